package checks

import (
	"path/filepath"
	"strconv"
	"strings"
)

// maxProblemWords bounds a kind of problem derived from a message: short enough to read in an
// ID, long enough to tell a check's kinds of problem apart.
const maxProblemWords = 6

// FindingID is the ID the runner gives a finding of the check checkID, before it makes the IDs
// of one result unique: the check's ID, what the finding is about, and the kind of problem,
// joined by "/".
//
//	network.services/Service/shop/web/no-ready-endpoints      an object: Kind/namespace/name
//	versions.nodes/Node/cp1/kubelet-is-too-old                cluster-scoped: Kind/name
//	network.policies/NetworkPolicy.projectcalico.org/shop/deny/...   a kind of an API group
//	host.kubelet/etc/kubernetes/kubelet.conf/...              a file: its path without the first "/"
//	api.reachable/connection-refused                          neither
//
// The kind of problem is the finding's Problem when the check set one, or else the first
// words of its message in lower case, joined by "-": letters only (numbers, which measure,
// count and date, are left out), without the subject's name (the ID says it already) and
// without words that only join others ("the", "is"). So the ID is the same for the same input,
// run after run. hostRoot is the
// directory a run reads a node's files under: a file under it is named as on the node, so
// the demo's node, unpacked into a new directory each run, keeps its IDs.
func FindingID(checkID string, f *Finding, hostRoot string) string {
	subject := findingSubject(f, hostRoot)
	problem := problemSlug(f.Problem)
	if problem == "" {
		problem = messageSlug(withoutSubject(f, hostRoot))
	}
	if problem == "" {
		problem = "finding"
	}
	if subject == "" {
		return checkID + "/" + problem
	}
	return checkID + "/" + subject + "/" + problem
}

// findingSubject names what a finding is about, for its ID: "Service/shop/web", "Node/cp1",
// "etc/kubernetes/kubelet.conf"; "" when it is about neither an object nor a file.
func findingSubject(f *Finding, hostRoot string) string {
	switch {
	case f.Object != nil:
		kind := f.Object.Kind
		if group, _, ok := strings.Cut(f.Object.APIVersion, "/"); ok && group != "" {
			kind += "." + group
		}
		if f.Object.Namespace == "" {
			return kind + "/" + f.Object.Name
		}
		return kind + "/" + f.Object.Namespace + "/" + f.Object.Name
	case f.File != nil:
		return strings.TrimPrefix(nodePath(f.File.Path, hostRoot), "/")
	}
	return ""
}

// nodePath is a file's path as on the node when it lies under the run's host root, else the
// path as given (a kubeconfig on this machine, a ConfigMap's key).
func nodePath(p, hostRoot string) string {
	if hostRoot == "" || hostRoot == "/" || !filepath.IsAbs(p) {
		return p
	}
	rel, err := filepath.Rel(hostRoot, p)
	switch {
	case err != nil || rel == ".." || strings.HasPrefix(rel, "../"):
		return p
	case rel == ".":
		return "/"
	}
	return "/" + filepath.ToSlash(rel)
}

// problemSlug normalises a check's Problem: lower case, anything but letters, digits and dots
// becomes one "-".
func problemSlug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || r == '.' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// withoutSubject is a finding's message without the names its subject gives already: the
// object ("Service shop/web", "shop/web", "web") or the file, as on the node and as read.
func withoutSubject(f *Finding, hostRoot string) string {
	var names []string
	switch {
	case f.Object != nil:
		o := f.Object
		if o.Namespace != "" {
			names = append(names, o.Kind+" "+o.Namespace+"/"+o.Name, o.Namespace+"/"+o.Name)
		}
		names = append(names, o.Kind+" "+o.Name, o.Name)
	case f.File != nil:
		names = append(names, f.File.Path, nodePath(f.File.Path, hostRoot))
	}
	msg := f.Message
	for _, n := range names {
		if n != "" {
			msg = strings.ReplaceAll(msg, n, " ")
		}
	}
	if hostRoot != "" && hostRoot != "/" {
		msg = strings.ReplaceAll(msg, hostRoot, "")
	}
	return msg
}

// messageSlug is the kind of problem a message names: its first words of letters, leaving out
// the words that only join others.
func messageSlug(msg string) string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(msg), notASCIILetter) {
		if len(w) < 2 || joiningWords[w] {
			continue
		}
		out = append(out, w)
		if len(out) == maxProblemWords {
			break
		}
	}
	return strings.Join(out, "-")
}

// joiningWords carry no kind of problem by themselves.
var joiningWords = map[string]bool{
	"an": true, "the": true, "of": true, "to": true, "is": true, "are": true, "its": true, "it": true,
	"and": true, "in": true, "on": true, "by": true, "for": true, "as": true, "at": true, "be": true,
	"so": true, "that": true, "which": true, "with": true,
}

func notASCIILetter(r rune) bool { return r < 'a' || r > 'z' }

// identify gives each finding of a result its ID, unique within the result in the check's
// order (the second with the same ID gets "-2"), and links the findings of the result the way
// the triage links them across results: to each finding's ExplainsFindings it adds the other
// findings about an object it explains (none that is Written), and it is added to those of the
// causes about an object its ExplainedBy names.
func identify(checkID string, findings []Finding, hostRoot string) {
	taken := make(map[string]bool, len(findings))
	about := map[objectName][]int{}
	for i := range findings {
		f := &findings[i]
		base := FindingID(checkID, f, hostRoot)
		id := base
		for n := 2; taken[id]; n++ {
			id = base + "-" + strconv.Itoa(n)
		}
		taken[id] = true
		f.ID = id
		if f.Object != nil {
			k := nameOf(*f.Object)
			about[k] = append(about[k], i)
		}
	}
	named := map[int]map[string]bool{} // per cause: the IDs it names, built when first linked
	link := func(i int, id string) {
		cause := &findings[i]
		if named[i] == nil {
			named[i] = map[string]bool{cause.ID: true}
			for _, n := range cause.ExplainsFindings {
				named[i][n] = true
			}
		}
		if !named[i][id] {
			named[i][id] = true
			cause.ExplainsFindings = append(cause.ExplainsFindings, id)
		}
	}
	for i := range findings {
		f := &findings[i]
		for _, o := range f.Explains {
			for _, j := range about[nameOf(o)] {
				if !findings[j].Written {
					link(i, findings[j].ID)
				}
			}
		}
		for _, o := range f.ExplainedBy {
			for _, j := range about[nameOf(o)] {
				if findings[j].Cause {
					link(j, f.ID)
				}
			}
		}
	}
}

// objectName is an object as Explains names it: some checks leave out the API version.
type objectName struct{ kind, namespace, name string }

func nameOf(o ObjectRef) objectName { return objectName{o.Kind, o.Namespace, o.Name} }

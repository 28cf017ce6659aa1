package api

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/safetext"
)

// fieldClass is what a field holds, in the order findings are ranked: where a look-alike
// breaks things first, where it only misleads a reader last.
type fieldClass int

const (
	classImage fieldClass = iota
	classHost
	classURL
	classSelector
	classPath
	classCommand
	classEnvValue
	classSubject
	className
	classKey
	classField
	classText
)

var classNames = [...]string{"image reference", "host", "URL", "selector", "path", "command or argument",
	"env value", "RBAC subject", "name", "key", "field", "text"}

func (c fieldClass) String() string { return classNames[c] }

// strict says whether a program reads the field, so that even a look-alike of a space in it
// breaks something; text may hold a no-break space on purpose.
func (c fieldClass) strict() bool { return c != classText }

var (
	hostFields = map[string]bool{"host": true, "hosts": true, "externalName": true, "hostname": true,
		"nodeName": true, "serverName": true, "hostnames": true}
	pathFields = map[string]bool{"path": true, "mountPath": true, "subPath": true, "subPathExpr": true,
		"mountPropagation": false, "devicePath": true, "workingDir": true}
)

// classify says what the field at p holds. Annotations and ConfigMap data are free-form maps:
// their keys ("url", "image") say nothing of the field, so they are text, judged by the words.
func classify(p *fieldPath, isKey bool) fieldClass {
	last := p.last()
	switch {
	case isKey:
		return classKey
	case p.hasSuffixName("elector") || p.has("matchLabels") || p.has("matchExpressions"):
		return classSelector
	case p.has("annotations") || len(p.segs) > 0 && p.segs[0].name == "data":
		return classText
	case last == "image":
		return classImage
	case hostFields[last]:
		return classHost
	case last == "url" || last == "URL":
		return classURL
	case pathFields[last]:
		return classPath
	case last == "command" || last == "args":
		return classCommand
	case last == "value" && p.has("env"):
		return classEnvValue
	case p.has("subjects"):
		return classSubject
	case last == "name" || last == "namespace" || last == "generateName":
		return className
	case last == "description" || last == "message":
		return classText
	}
	return classField
}

// hasSuffixName reports whether a field or key of the path ends in suffix (nodeSelector,
// podSelector, selector); keys count, as an unstructured object's fields are keys.
func (p *fieldPath) hasSuffixName(suffix string) bool {
	for _, s := range p.segs {
		if s.index < 0 && strings.HasSuffix(s.name, suffix) {
			return true
		}
	}
	return false
}

// judge is the severity of a hit: Fail where a program reads the value, and in text where the
// character stands in a host, URL, path or setting (a word with "." or "/" or ":"); Warn in
// prose.
func (h lookalikeHit) judge() checks.Status {
	if h.class != classText {
		return checks.StatusFail
	}
	for _, c := range h.chars {
		if safetext.MachineWord(h.value, c.Offset, c.Offset) {
			return checks.StatusFail
		}
	}
	return checks.StatusWarn
}

// namedLikeSecret says whether an env variable's name says it holds a credential: its value
// is never quoted.
func namedLikeSecret(name string) bool {
	return name != "" && safetext.RedactSecrets(name+"=x") != name+"=x"
}

// kindRank orders the objects of a group: the one a human edits first.
var kindRank = map[string]int{"Deployment": 0, "StatefulSet": 1, "DaemonSet": 2, "ReplicaSet": 3, "Pod": 4}

func rankOf(kind string) int {
	if r, ok := kindRank[kind]; ok {
		return r
	}
	return len(kindRank)
}

// groupHits puts together the hits of one value in one field, across objects: a Deployment,
// its ReplicaSets and pods, or the same annotation on every node. The first of each group is
// the object to edit.
func groupHits(hits []lookalikeHit) [][]lookalikeHit {
	index := map[string]int{}
	var groups [][]lookalikeHit
	for _, h := range hits {
		key := h.group + "\x00" + h.value
		if h.isKey {
			key += "\x00key"
		}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], h)
	}
	for _, g := range groups {
		sort.Slice(g, func(i, j int) bool { return hitLess(g[i], g[j]) })
	}
	sort.Slice(groups, func(i, j int) bool {
		a, b := groups[i][0], groups[j][0]
		if a.severity != b.severity {
			return a.severity > b.severity
		}
		if a.class != b.class {
			return a.class < b.class
		}
		return hitLess(a, b)
	})
	return groups
}

func hitLess(a, b lookalikeHit) bool {
	if ra, rb := rankOf(a.ref.Kind), rankOf(b.ref.Kind); ra != rb {
		return ra < rb
	}
	if a.ref.Kind != b.ref.Kind {
		return a.ref.Kind < b.ref.Kind
	}
	if a.ref.Namespace != b.ref.Namespace {
		return a.ref.Namespace < b.ref.Namespace
	}
	if a.ref.Name != b.ref.Name {
		return a.ref.Name < b.ref.Name
	}
	if a.path != b.path {
		return a.path < b.path
	}
	return !a.isKey && b.isKey
}

// lookalikeFindings turns the hits into findings, one per group, ranked, within the bound.
func lookalikeFindings(hits []lookalikeHit) []checks.Finding {
	groups := groupHits(hits)
	var findings []checks.Finding
	for i, g := range groups {
		if i == maxLookalikeFindings {
			findings = append(findings, moreLookalikes(groups[i:]))
			break
		}
		findings = append(findings, lookalikeFinding(g))
	}
	return findings
}

func lookalikeFinding(g []lookalikeHit) checks.Finding {
	h := g[0]
	ref := h.ref
	evidence := []string{h.valueLine()}
	multi := false
	for _, c := range h.chars {
		multi = multi || c.Line > 1
	}
	for _, c := range h.chars {
		evidence = append(evidence, charLine(c, multi))
	}
	if h.total > len(h.chars) {
		evidence = append(evidence, fmt.Sprintf("... and %d more characters", h.total-len(h.chars)))
	}
	if len(g) > 1 {
		var others []string
		for _, o := range g[1:] {
			if len(others) == maxCharsShown {
				others = append(others, fmt.Sprintf("and %d more", len(g)-1-len(others)))
				break
			}
			others = append(others, objectName(o.ref))
		}
		evidence = append(evidence, fmt.Sprintf("the same value in %d more objects: %s", len(g)-1, strings.Join(others, ", ")))
	}
	what := "field"
	if h.isKey {
		what = "key"
	}
	f := checks.Finding{
		Severity: h.severity,
		Problem:  "lookalike-characters",
		Object:   &ref,
		Message:  fmt.Sprintf("%s in the %s %s %s: %s", charKind(h.chars[0], h.total), h.class, what, h.path, h.chars[0]),
		Evidence: evidence,
		Hint:     lookalikeHint(h),
		Commands: []checks.Command{h.showCommand()},
		Written:  true,
	}
	if h.severity == checks.StatusFail && h.class.readToFind() && !h.isKey {
		// A program looks the value up (an image, a host, a selector's label): it finds nothing
		// or someone else's, so the look-alike is the cause of what the objects holding it show
		// (the pull failing, the crash, the Service without endpoints).
		f.Cause = true
		for _, o := range g {
			if len(f.Explains) == maxExplained {
				break
			}
			if !slices.Contains(f.Explains, o.ref) {
				f.Explains = append(f.Explains, o.ref)
			}
		}
	}
	return f
}

// maxExplained bounds the objects a finding names as those it explains: a DaemonSet's
// template copied into a thousand pods needs no thousand names; the first are the ones to edit.
const maxExplained = 20

// readToFind says whether a program reads the field to find something by it (an image, a
// host, the pods a selector names, a file, a flag, a subject): a look-alike there breaks the
// object, where in a name or in prose it misleads a reader.
func (c fieldClass) readToFind() bool { return c <= classSubject }

// charKind names what was found, by the first character: what a reader must look for.
func charKind(c safetext.Char, total int) string {
	what := "a look-alike character"
	switch {
	case c.Decoded != "":
		what = "a punycode label that decodes to look-alike characters"
	case c.Reason == safetext.ReasonBidi:
		what = "a bidi control"
	case c.Reason == safetext.ReasonInvalid:
		what = "invalid UTF-8"
	case c.Reason == safetext.ReasonControl:
		what = "a control character"
	case c.Reason == safetext.ReasonSpace:
		what = "a character that looks like a space"
	case strings.HasPrefix(c.Reason, "invisible"):
		what = "an invisible character"
	case c.LooksLike == "" && c.Script != "":
		what = "a letter of another script"
	}
	if total > 1 {
		what += fmt.Sprintf(" (and %d more)", total-1)
	}
	return what
}

// charLine describes one character where it stands: "column 35: с U+0441 ...".
func charLine(c safetext.Char, multi bool) string {
	where := fmt.Sprintf("column %d", c.Column)
	if multi {
		where = fmt.Sprintf("line %d, column %d", c.Line, c.Column)
	}
	if c.Decoded != "" {
		return fmt.Sprintf("%s: the punycode label decodes to %q, where %s", where, c.Decoded, c)
	}
	return where + ": " + c.String()
}

// valueLine quotes the value around the first character (the line it is on, cut to a window),
// except an env value named like a credential.
func (h lookalikeHit) valueLine() string {
	if h.secret {
		return h.path + ": value not shown (the variable's name says it holds a credential)"
	}
	c := h.chars[0]
	line := h.value
	prefix := h.path + ": "
	if strings.Contains(h.value, "\n") {
		lines := strings.Split(h.value, "\n")
		if c.Line-1 < len(lines) {
			line = lines[c.Line-1]
		}
		prefix = fmt.Sprintf("%s line %d: ", h.path, c.Line)
	}
	return prefix + window(line, c.Column, 40, 80)
}

// window cuts s to the runes around the 1-based column: before runes ahead and after behind.
func window(s string, column, before, after int) string {
	if utf8.RuneCountInString(s) <= before+after {
		return s
	}
	runes := []rune(s)
	from := max(column-1-before, 0)
	to := min(column-1+after, len(runes))
	out := string(runes[from:to])
	if from > 0 {
		out = "…" + out
	}
	if to < len(runes) {
		out += "…"
	}
	return out
}

// kubectlResource is the name kubectl knows the kind by: the plural for built-in kinds, the
// plural with its group for the others (Calico's networkpolicies are not Kubernetes').
func (h lookalikeHit) kubectlResource() string {
	if h.res.Typed {
		return h.res.Resource
	}
	return h.res.String()
}

func (h lookalikeHit) kubectl(args ...string) checks.Command {
	if h.ref.Namespace != "" {
		return checks.Cmd("kubectl", append([]string{"-n", h.ref.Namespace}, args...)...)
	}
	return checks.Cmd("kubectl", args...)
}

// showCommand prints the field and the lines of it outside ASCII; a key is shown in the
// object's YAML, a punycode label by itself.
func (h lookalikeHit) showCommand() checks.Command {
	switch {
	case h.isKey:
		return h.kubectl("get", h.kubectlResource(), h.ref.Name, "-o", "yaml").Pipe("grep", "-nP", `[^\x00-\x7F]`)
	case h.chars[0].Decoded != "":
		return h.kubectl("get", h.kubectlResource(), h.ref.Name, "-o", "jsonpath="+h.jsonPath).Pipe("grep", "-noiE", "xn--[a-z0-9-]+")
	}
	return h.kubectl("get", h.kubectlResource(), h.ref.Name, "-o", "jsonpath="+h.jsonPath).Pipe("grep", "-nP", `[^\x00-\x7F]`)
}

// lookalikeHint says what the character breaks in this kind of field, and how to fix it.
func lookalikeHint(h lookalikeHit) string {
	var why string
	switch h.class {
	case classImage:
		why = "The image reference is not the one it reads as: the kubelet pulls another repository or tag, or fails with InvalidImageName."
	case classHost, classURL, classEnvValue:
		why = "A host or URL with a look-alike is another name: the program resolves it to nothing (NXDOMAIN) or to someone else's server, while the value reads right."
	case classSelector:
		why = "A selector with a look-alike matches no label (labels are ASCII): it selects nothing."
	case classPath:
		why = "The path names another file than the one it reads as: it is missing, or empty."
	case classCommand:
		why = "The program gets an argument other than the one it reads as: a flag it does not know, a file or host that does not exist."
	case classSubject:
		why = "The binding grants its role to a subject that only looks like the real one: the real one is denied, and whoever holds the look-alike name gets the rights."
	case classText:
		if h.severity == checks.StatusFail {
			why = "The character stands in a host, path or setting inside the text: whatever reads it gets another value than the one it reads as."
		} else {
			why = "In prose it only misleads a reader; it breaks whatever parses the text."
		}
	default:
		why = "The value differs from the one it looks like: whatever compares it by name does not match."
	}
	fix := "retype the value in ASCII (" + h.kubectl("edit", h.kubectlResource(), h.ref.Name).String() + ")"
	switch h.ref.Kind {
	case "Pod":
		fix = "retype the value in ASCII where the pod comes from (its Deployment, StatefulSet, DaemonSet or Job, " +
			"whose template the pods copy; a pod's containers cannot be edited in place)"
	case "ReplicaSet":
		fix = "retype the value in ASCII in the Deployment that owns the ReplicaSet"
	}
	return why + " Show the code points with the command below, and " + fix + "."
}

// moreLookalikes counts the groups past the bound in one finding.
func moreLookalikes(rest [][]lookalikeHit) checks.Finding {
	worst := checks.StatusWarn
	var names []string
	for i, g := range rest {
		worst = max(worst, g[0].severity)
		if i < maxCharsShown {
			names = append(names, objectName(g[0].ref)+" "+g[0].path)
		}
	}
	return checks.Finding{
		Severity: worst,
		Problem:  "more-lookalike-characters",
		Message:  fmt.Sprintf("%d more fields hold look-alike or invisible characters", len(rest)),
		Evidence: append(names, "(the report shows the first ones, most harmful first)"),
		Hint:     "Fix the ones above first; run the check again to see these.",
	}
}

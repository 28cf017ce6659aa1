package versions

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// nodesCheck is the versions.nodes check.
var nodesCheck = checks.Check{
	ID:       "versions.nodes",
	Title:    "Kubelets, kube-proxies and control-plane components are within the version skew policy",
	Category: checks.CategoryVersions,
	Learn:    learn("versions.nodes"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.Nodes, kube.Pods},
	Run:      runNodeVersions,
}

const (
	// skewGroupAbove is how many nodes with the same versions still get a finding each; more
	// become one finding, so a fleet on an old release does not flood the report.
	skewGroupAbove = 10
	// skewGroupNames is how many node names a grouped finding lists before "and N more".
	skewGroupNames = 5
)

// controlPlaneComponents are the values of the "component" label kubeadm puts on the static
// pods of kube-system, and the policy each follows. etcd has its own releases and no skew rule.
var controlPlaneComponents = map[string]Component{
	"kube-apiserver":           ComponentAPIServer,
	"kube-controller-manager":  ComponentControllerManager,
	"kube-scheduler":           ComponentScheduler,
	"cloud-controller-manager": ComponentCloudControllerManager,
	"etcd":                     componentEtcd,
}

// componentEtcd is listed with the control plane but follows its own releases.
const componentEtcd Component = "etcd"

func runNodeVersions(ctx context.Context, env *checks.Env) checks.Result {
	nodes, err := kube.ListOf[*corev1.Node](ctx, env.Snapshot, kube.Nodes)
	if err != nil {
		return checks.SkipOrError(err)
	}
	pods, podsErr := kube.ListOf[*corev1.Pod](ctx, env.Snapshot, kube.Pods)
	server, serverErr := serverKubeVersion(ctx, env)
	return judgeNodeVersions(nodes, pods, podsErr, server, serverErr)
}

// componentVersion is one running component's version and where it was read.
type componentVersion struct {
	component Component
	raw       string           // as reported, or the image tag
	version   *version.Version // nil when raw does not parse
	source    string           // the field or image it was read from
}

// versionSubject is a node or a control-plane pod with the versions it runs.
type versionSubject struct {
	ref   checks.ObjectRef
	comps []componentVersion
	// viaPods says some version came from a pod's image rather than the node's status.
	viaPods bool
}

// versionReference is what components are held against: the API server, or when its version is
// unknown, the newest component that may not be newer than it (so a lower bound).
type versionReference struct {
	version *version.Version
	text    string // "the server v1.37"
	known   bool   // the API server's own version
}

// versionProblem is one component outside the policy, or unreadable.
type versionProblem struct {
	severity checks.Status
	text     string
	rule     string
	newer    bool
}

func judgeNodeVersions(nodes []*corev1.Node, pods []*corev1.Pod, podsErr error, server *version.Version, serverErr error) checks.Result {
	if len(nodes) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "no nodes")
	}
	subjects := nodeSubjects(nodes, kubeProxyPods(pods))
	cpSubjects := controlPlaneSubjects(pods)

	ref, ok := versionReferenceFor(server, append(append([]versionSubject(nil), subjects...), cpSubjects...))
	if !ok {
		r := checks.SkipOrError(fmt.Errorf("the server version is unknown and the nodes give nothing to compare: %w", serverErr))
		r.Findings = []checks.Finding{versionInventory(subjects, cpSubjects, server)}
		return r
	}

	var findings []checks.Finding
	badNodes := 0
	for _, g := range groupByProblems(subjects, ref) {
		badNodes += len(g.subjects)
		findings = append(findings, nodeVersionFindings(g, ref)...)
	}
	badPods := 0
	for _, s := range cpSubjects {
		if problems := subjectProblems(s, ref); len(problems) > 0 {
			badPods++
			findings = append(findings, controlPlaneVersionFinding(s, problems, ref))
		}
	}
	findings = append(findings, versionInventory(subjects, cpSubjects, server))

	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	if badNodes == 0 && badPods == 0 {
		r.Summary = fmt.Sprintf("%d nodes and %d control-plane pods within the skew policy of %s", len(subjects), len(cpSubjects), ref.text)
	} else {
		r.Summary = fmt.Sprintf("%d of %d nodes and %d of %d control-plane pods outside the skew policy of %s",
			badNodes, len(subjects), badPods, len(cpSubjects), ref.text)
	}
	if !ref.known {
		r.Summary += fmt.Sprintf(" (server version unknown: %v; compared the components with each other)", serverErr)
	}
	if podsErr != nil {
		r.Summary += fmt.Sprintf(" (pods not read, control plane and kube-proxy images not compared: %v)", podsErr)
	}
	return r
}

// kubeProxyPods maps node names to the kube-proxy DaemonSet pod on each: since Kubernetes 1.33
// the node status no longer carries a kube-proxy version, the pod's image is the one left.
func kubeProxyPods(pods []*corev1.Pod) map[string]*corev1.Pod {
	out := map[string]*corev1.Pod{}
	for _, p := range pods {
		if p.Namespace != "kube-system" || p.Labels["k8s-app"] != "kube-proxy" || p.Spec.NodeName == "" || podinfo.Finished(p) {
			continue
		}
		out[p.Spec.NodeName] = p
	}
	return out
}

func nodeSubjects(nodes []*corev1.Node, proxies map[string]*corev1.Pod) []versionSubject {
	sorted := append([]*corev1.Node(nil), nodes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var out []versionSubject
	for _, n := range sorted {
		info := n.Status.NodeInfo
		s := versionSubject{ref: checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: n.Name}}
		s.comps = append(s.comps, readComponentVersion(ComponentKubelet, info.KubeletVersion, "status.nodeInfo.kubeletVersion"))
		//lint:ignore SA1019 deprecated, but older kubelets (the ones at risk) still report it
		legacyProxy := info.KubeProxyVersion
		if p := proxies[n.Name]; p != nil {
			img := containerImage(p, "kube-proxy")
			tag := kube.ImageTag(img)
			s.comps = append(s.comps, readComponentVersion(ComponentKubeProxy, tag, fmt.Sprintf("image %s in pod kube-system/%s", safetext.Visible(img), p.Name)))
			s.viaPods = true
		} else if legacyProxy != "" {
			s.comps = append(s.comps, readComponentVersion(ComponentKubeProxy, legacyProxy, "status.nodeInfo.kubeProxyVersion"))
		}
		out = append(out, s)
	}
	return out
}

func controlPlaneSubjects(pods []*corev1.Pod) []versionSubject {
	var out []versionSubject
	for _, p := range pods {
		c, ok := controlPlaneComponents[p.Labels["component"]]
		if p.Namespace != "kube-system" || !ok || podinfo.Finished(p) {
			continue
		}
		img := containerImage(p, p.Labels["component"])
		out = append(out, versionSubject{
			ref:     checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name},
			comps:   []componentVersion{readComponentVersion(c, kube.ImageTag(img), "image "+safetext.Visible(img))},
			viaPods: true,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ref.Name < out[j].ref.Name })
	return out
}

func readComponentVersion(c Component, raw, source string) componentVersion {
	cv := componentVersion{component: c, raw: raw, source: source}
	if v, err := ParseKubeVersion(raw); err == nil {
		cv.version = v
	}
	return cv
}

// containerImage is the image of the container named name, else of the first container.
func containerImage(p *corev1.Pod, name string) string {
	for _, c := range p.Spec.Containers {
		if c.Name == name {
			return c.Image
		}
	}
	if len(p.Spec.Containers) > 0 {
		return p.Spec.Containers[0].Image
	}
	return ""
}

// versionReferenceFor picks what to compare with. Without the server's version, the newest
// component that may never be newer than the API server is a lower bound of it: whatever is
// too old against that bound is too old against any server. It needs two versions to compare.
func versionReferenceFor(server *version.Version, subjects []versionSubject) (versionReference, bool) {
	if server != nil {
		return versionReference{version: server, text: "the server " + MinorString(server), known: true}, true
	}
	var newest *componentVersion
	readable := 0
	for _, s := range subjects {
		for i, c := range s.comps {
			l, ok := skewLimits[c.component]
			if c.version == nil || !ok {
				continue
			}
			readable++
			if l.newer == 0 && (newest == nil || c.version.GreaterThan(newest.version)) {
				newest = &s.comps[i]
			}
		}
	}
	if newest == nil || readable < 2 {
		return versionReference{}, false
	}
	return versionReference{
		version: newest.version,
		text: fmt.Sprintf("%s, the newest %s here (the API server can be no older)",
			MinorString(newest.version), newest.component),
	}, true
}

// subjectProblems lists the subject's components outside the policy, or unreadable.
func subjectProblems(s versionSubject, ref versionReference) []versionProblem {
	var out []versionProblem
	for _, c := range s.comps {
		if _, ok := skewLimits[c.component]; !ok {
			continue // etcd
		}
		if c.version == nil {
			what := fmt.Sprintf("reports no %s version", c.component)
			if c.raw != "" {
				what = fmt.Sprintf("reports a %s version kockpit cannot read: %q", c.component, c.raw)
			}
			out = append(out, versionProblem{severity: checks.StatusWarn, text: what})
			continue
		}
		skew := CompareSkew(c.component, c.version, ref.version)
		// Against a lower bound only "too old" is certain: the server may be newer still.
		if skew.Allowed || (!ref.known && skew.SameMajor && skew.Minors > 0) {
			continue
		}
		out = append(out, versionProblem{
			severity: checks.StatusFail,
			text:     skew.SentenceAgainst(ref.text),
			rule:     skew.Rule(),
			newer:    skew.SameMajor && skew.Minors > 0,
		})
	}
	return out
}

// problemGroup is nodes with the same problems on the same versions.
type problemGroup struct {
	key      string
	problems []versionProblem
	subjects []versionSubject
}

func groupByProblems(subjects []versionSubject, ref versionReference) []*problemGroup {
	var order []*problemGroup
	byKey := map[string]*problemGroup{}
	for _, s := range subjects {
		problems := subjectProblems(s, ref)
		if len(problems) == 0 {
			continue
		}
		var key strings.Builder
		for _, p := range problems {
			key.WriteString(p.text + "\x00")
		}
		for _, c := range s.comps {
			key.WriteString(c.raw + "\x00")
		}
		g := byKey[key.String()]
		if g == nil {
			g = &problemGroup{key: key.String(), problems: problems}
			byKey[g.key] = g
			order = append(order, g)
		}
		g.subjects = append(g.subjects, s)
	}
	return order
}

// nodeVersionFindings makes one finding per node, or one for the group when it is large.
func nodeVersionFindings(g *problemGroup, ref versionReference) []checks.Finding {
	if len(g.subjects) <= skewGroupAbove {
		out := make([]checks.Finding, 0, len(g.subjects))
		for _, s := range g.subjects {
			f := nodeVersionFinding(g.problems, s, ref)
			f.Message = "node " + s.ref.Name + ": " + f.Message
			f.Object = &checks.ObjectRef{APIVersion: s.ref.APIVersion, Kind: s.ref.Kind, Name: s.ref.Name}
			f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "node", s.ref.Name, "-o", "jsonpath={.status.nodeInfo}"))
			if f.Cause {
				f.Explains = []checks.ObjectRef{s.ref}
			}
			out = append(out, f)
		}
		return out
	}
	names := make([]string, len(g.subjects))
	for i, s := range g.subjects {
		names[i] = s.ref.Name
	}
	f := nodeVersionFinding(g.problems, g.subjects[0], ref)
	f.Message = fmt.Sprintf("%d nodes: %s", len(g.subjects), f.Message)
	f.Evidence = append([]string{"nodes: " + phrase.List(names, skewGroupNames)}, f.Evidence...)
	if f.Cause {
		for _, s := range g.subjects {
			f.Explains = append(f.Explains, s.ref)
		}
	}
	return []checks.Finding{f}
}

// nodeVersionFinding describes the problems of one node (the first of a group).
func nodeVersionFinding(problems []versionProblem, s versionSubject, ref versionReference) checks.Finding {
	f := checks.Finding{Severity: worstProblem(problems), Message: joinProblems(problems), Commands: []checks.Command{checks.Cmd("kubectl", "get", "nodes", "-o", "wide")}}
	f.Evidence = componentEvidence(s, problems, ref)
	older, newer := false, false
	for _, p := range problems {
		older = older || (p.severity == checks.StatusFail && !p.newer)
		newer = newer || p.newer
	}
	var hints []string
	if older {
		hints = append(hints, "Upgrade the node one minor at a time (drain, upgrade kubelet and kube-proxy, uncordon) or replace it. "+
			"On a node nobody downgraded, see what systemd starts (`systemctl cat kubelet`, `kubelet --version`): an old binary may have been put back.")
	}
	if newer {
		hints = append(hints, "Nothing may be newer than the API server: upgrade the control plane first, or put back the kubelet that matches it (`kubelet --version` on the node).")
	}
	if f.Severity == checks.StatusWarn && !older && !newer {
		hints = append(hints, "A kubelet that never posted its status has no version: see the node's conditions and the kubelet's log (`journalctl -u kubelet`).")
	}
	f.Hint = strings.Join(hints, " ")
	if s.viaPods {
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "-n", "kube-system", "get", "pods", "-l", "k8s-app=kube-proxy", "-o", "wide"))
	}
	f.Cause = f.Severity == checks.StatusFail
	// A version installed too old or too new was put there: a node's state (NotReady, a CNI
	// agent missing) does not explain it.
	f.Written = older || newer
	return f
}

func controlPlaneVersionFinding(s versionSubject, problems []versionProblem, ref versionReference) checks.Finding {
	c := s.comps[0].component
	f := checks.Finding{
		Severity: worstProblem(problems),
		Message:  fmt.Sprintf("pod %s/%s: %s", s.ref.Namespace, s.ref.Name, joinProblems(problems)),
		Object:   &checks.ObjectRef{APIVersion: s.ref.APIVersion, Kind: s.ref.Kind, Namespace: s.ref.Namespace, Name: s.ref.Name},
		Evidence: componentEvidence(s, problems, ref),
		Hint: fmt.Sprintf("A kubeadm control plane runs %s as a static pod: its image tag is in /etc/kubernetes/manifests/%s.yaml "+
			"on the control-plane node; set it to the API server's release and the kubelet restarts the pod. "+
			"A mutating webhook can also rewrite images: compare the manifest with the pod.", c, c),
		Commands: []checks.Command{checks.Cmd("kubectl", "-n", "kube-system", "get", "pods", "-l", "component="+string(c), "-o", "custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[*].image")},
		Cause:    worstProblem(problems) == checks.StatusFail,
	}
	if f.Cause {
		f.Explains = []checks.ObjectRef{s.ref}
	}
	return f
}

func componentEvidence(s versionSubject, problems []versionProblem, ref versionReference) []string {
	var ev []string
	for _, c := range s.comps {
		ev = append(ev, fmt.Sprintf("%s: %s (%s)", c.component, quoteIfOdd(c.raw), c.source))
	}
	if ref.known {
		ev = append(ev, "server: "+displayVersion(ref.version))
	} else {
		ev = append(ev, "server: unknown; compared with "+ref.text)
	}
	seen := map[string]bool{}
	for _, p := range problems {
		if p.rule != "" && !seen[p.rule] {
			seen[p.rule] = true
			ev = append(ev, "policy: "+p.rule)
		}
	}
	return ev
}

func quoteIfOdd(raw string) string {
	if raw == "" {
		return `""`
	}
	if _, err := ParseKubeVersion(raw); err != nil {
		return fmt.Sprintf("%q", raw)
	}
	return raw
}

func worstProblem(problems []versionProblem) checks.Status {
	w := checks.StatusOK
	for _, p := range problems {
		w = max(w, p.severity)
	}
	return w
}

func joinProblems(problems []versionProblem) string {
	texts := make([]string, len(problems))
	for i, p := range problems {
		texts[i] = p.text
	}
	return strings.Join(texts, "; ")
}

// versionInventory is the informational finding that lists which versions run where.
func versionInventory(nodes, controlPlane []versionSubject, server *version.Version) checks.Finding {
	type key struct {
		c   Component
		raw string
	}
	var order []key
	names := map[key][]string{}
	for _, s := range append(append([]versionSubject(nil), nodes...), controlPlane...) {
		for _, c := range s.comps {
			k := key{c.component, c.raw}
			if names[k] == nil {
				order = append(order, k)
			}
			names[k] = append(names[k], s.ref.Name)
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].c != order[j].c {
			return order[i].c < order[j].c
		}
		return order[i].raw < order[j].raw
	})
	var ev []string
	if server != nil {
		ev = append(ev, "server: "+displayVersion(server))
	}
	for _, k := range order {
		line := fmt.Sprintf("%s %s: %s", k.c, quoteIfOdd(k.raw), phrase.List(names[k], skewGroupNames))
		if k.c == componentEtcd {
			line += " (etcd has its own releases; the skew policy does not apply)"
		}
		ev = append(ev, line)
	}
	return checks.Finding{
		Severity: checks.StatusOK,
		Message:  fmt.Sprintf("versions running on %d nodes and %d control-plane pods", len(nodes), len(controlPlane)),
		Evidence: ev,
		Commands: []checks.Command{checks.Cmd("kubectl", "get", "nodes", "-o", "wide")},
	}
}

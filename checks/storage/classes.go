package storage

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// classesCheck is the storage.classes check.
var classesCheck = checks.Check{
	ID:       "storage.classes",
	Title:    "StorageClasses: one default, and a provisioner that runs for each",
	Category: checks.CategoryStorage,
	Learn:    learn("storage.classes"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.StorageClasses, kube.PVCs, kube.CSIDrivers, kube.CSINodes, kube.Pods, kube.Nodes, kube.SecretMetadata},
	Run:      runStorageClasses,
}

func runStorageClasses(ctx context.Context, env *checks.Env) checks.Result {
	w, bad := load(ctx, env, []kube.Resource{kube.StorageClasses, kube.PVCs},
		[]kube.Resource{kube.CSIDrivers, kube.CSINodes, kube.Pods, kube.Nodes, kube.SecretMetadata})
	if bad != nil {
		return *bad
	}
	r := judgeClasses(w)
	w.addChains(r.Findings)
	return r
}

func judgeClasses(w *world) checks.Result {
	var findings []checks.Finding
	findings = append(findings, defaultFindings(w)...)
	for _, name := range w.classNames {
		sc := w.classes[name]
		if f, ok := orphanProvisionerFinding(w, sc); ok {
			findings = append(findings, f)
			continue
		}
		if f, ok := topologyFinding(w, sc); ok {
			findings = append(findings, f)
		}
		if f, ok := classSecretsFinding(w, sc); ok {
			findings = append(findings, f)
		}
	}
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	problems := 0 // findings that judge; an OK one says what was not judged
	for _, f := range findings {
		if f.Severity > checks.StatusOK {
			problems++
		}
	}
	switch {
	case len(w.classes) == 0:
		r.Summary = fmt.Sprintf("no StorageClass; %s", phrase.Count(len(w.claims), "claim", "claims"))
	case problems == 0:
		r.Summary = fmt.Sprintf("%s, one default, each provisioner served", phrase.Count(len(w.classes), "StorageClass", "StorageClasses"))
		if len(w.defaults()) == 0 {
			r.Summary = fmt.Sprintf("%s, no default (no claim needs one), each provisioner served", phrase.Count(len(w.classes), "StorageClass", "StorageClasses"))
		}
	default:
		r.Summary = fmt.Sprintf("%s need a look among %s", phrase.Count(problems, "problem", "problems"), phrase.Count(len(w.classes), "StorageClass", "StorageClasses"))
	}
	r.Summary += w.unreadNote()
	return r
}

// pendingOf are the claims of the class (by name; "" for claims that name none) still Pending.
func (w *world) pendingOf(class *string) []*corev1.PersistentVolumeClaim {
	var out []*corev1.PersistentVolumeClaim
	for _, c := range w.claims {
		if c.Status.Phase != corev1.ClaimPending || c.DeletionTimestamp != nil {
			continue
		}
		if class == nil && c.Spec.StorageClassName == nil || class != nil && c.Spec.StorageClassName != nil && *c.Spec.StorageClassName == *class {
			out = append(out, c)
		}
	}
	return out
}

// explainClaims makes f the cause of the claims' Pending: their objects and the pods that mount
// them, and the claims' findings in storage.claims by ID.
func (w *world) explainClaims(f *checks.Finding, claims []*corev1.PersistentVolumeClaim) {
	for _, c := range claims {
		ref := claimRef(c)
		f.Explains = append(f.Explains, ref)
		f.ExplainsFindings = append(f.ExplainsFindings, pendingClaimID(ref))
		for _, p := range w.usersOf(c) {
			f.Explains = append(f.Explains, podRef(p))
		}
	}
}

// pendingClaimID is the ID storage.claims gives its finding on a Pending claim.
func pendingClaimID(ref checks.ObjectRef) string {
	return checks.FindingID(claimsCheck.ID, &checks.Finding{Object: &ref, Problem: problemPending}, "")
}

func claimNames(claims []*corev1.PersistentVolumeClaim, n int) string {
	names := make([]string, 0, len(claims))
	for _, c := range claims {
		names = append(names, c.Namespace+"/"+c.Name)
	}
	return phrase.List(names, n)
}

func defaultFindings(w *world) []checks.Finding {
	defaults := w.defaults()
	switch {
	case len(defaults) == 0:
		waiting := w.pendingOf(nil)
		if len(waiting) == 0 || len(w.classes) == 0 && len(w.pvs) > 0 {
			return nil // claims without a class bind static volumes without a class: fine
		}
		f := checks.Finding{
			Severity: checks.StatusFail,
			Problem:  "no-default-class",
			Message: fmt.Sprintf("No StorageClass is the default, and %s name no class: they stay Pending until a volume without a class appears",
				phrase.Count(len(waiting), "Pending claim", "Pending claims")),
			Evidence: []string{"Pending without a class: " + claimNames(waiting, 5), "classes: " + phrase.List(w.classNames, 5)},
			Hint: "Mark one class the default (annotation " + defaultClassAnnotation + "=true); since Kubernetes 1.28 claims " +
				"without a class get it retroactively. Or set storageClassName on the claims.",
			Commands: []checks.Command{
				checks.Cmd("kubectl", "get", "storageclass"),
				checks.Cmd("kubectl", "get", "pvc", "-A", "-o", "custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,CLASS:.spec.storageClassName,STATUS:.status.phase"),
			},
			Cause: true,
		}
		if len(w.classNames) > 0 {
			f.Commands = append(f.Commands, checks.Cmd("kubectl", "annotate", "storageclass", w.classNames[0], defaultClassAnnotation+"=true"))
		}
		w.explainClaims(&f, waiting)
		return []checks.Finding{f}
	case len(defaults) > 1:
		var names, evidence []string
		for _, d := range defaults {
			names = append(names, d.Name)
			evidence = append(evidence, fmt.Sprintf("%s: default, created %s, provisioner %s", d.Name, phrase.Stamp(d.CreationTimestamp.Time), d.Provisioner))
		}
		f := checks.Finding{
			Severity: checks.StatusWarn,
			Problem:  "several-default-classes",
			Object:   ptr(classRef(defaults[0].Name)),
			Message: fmt.Sprintf("%d StorageClasses are the default (%s): a new claim without a class gets %s, the newest, which may not be the one meant",
				len(defaults), strings.Join(names, ", "), defaults[0].Name),
			Evidence: evidence,
			Hint: "Keep one default: set " + defaultClassAnnotation + " to \"false\" on the others. The API server gives " +
				"claims the most recently created default class, and ties go to the name first in order.",
			Commands: []checks.Command{checks.Cmd("kubectl", "get", "storageclass")},
		}
		for _, d := range defaults[1:] {
			f.Commands = append(f.Commands, checks.Cmd("kubectl", "annotate", "--overwrite", "storageclass", d.Name, defaultClassAnnotation+"=false"))
		}
		return []checks.Finding{f}
	}
	return nil
}

// orphanProvisionerFinding is a class whose provisioner nothing serves: no CSINode registers it
// and no pod of it is ready. Its claims wait forever; the class is the first broken link.
func orphanProvisionerFinding(w *world, sc *storagev1.StorageClass) (checks.Finding, bool) {
	p := w.provisioner(sc.Provisioner)
	if !p.orphan() {
		return checks.Finding{}, false
	}
	waiting := w.pendingOf(&sc.Name)
	for _, c := range w.pendingOf(nil) {
		if d := w.defaults(); len(d) > 0 && d[0].Name == sc.Name {
			waiting = append(waiting, c) // admitted before the default existed: the default serves them now
		}
	}
	f := checks.Finding{
		Severity: checks.StatusWarn,
		Problem:  "provisioner-not-running",
		Object:   ptr(classRef(sc.Name)),
		Evidence: []string{"provisioner: " + sc.Provisioner},
		Commands: []checks.Command{
			checks.Cmd("kubectl", "get", "storageclass", sc.Name, "-o", "jsonpath={.provisioner}"),
			checks.Cmd("kubectl", "get", "csinodes", "-o", "custom-columns=NODE:.metadata.name,DRIVERS:.spec.drivers[*].name"),
			checks.Cmd("kubectl", "get", "pods", "-A", "-o", "wide"),
		},
		Cause: true,
	}
	what := "no pod of it is ready"
	if p.csi || p.driver != p.name {
		what = "no CSINode registers it and no pod of it is ready"
	}
	if p.driver != p.name {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s is migrated to the CSI driver %s", p.name, p.driver))
	}
	if len(p.unready) > 0 {
		f.Evidence = append(f.Evidence, "its pods, not ready: "+podStates(p.unready, 3))
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "-n", p.unready[0].Namespace, "describe", "pod", p.unready[0].Name))
	} else {
		f.Evidence = append(f.Evidence, "no pod names "+p.driver+" in its command, arguments or environment")
	}
	if _, ok := w.drivers[p.driver]; ok {
		f.Evidence = append(f.Evidence, "CSIDriver "+p.driver+" exists, but no node registered its plugin")
	}
	if len(waiting) > 0 {
		f.Severity = checks.StatusFail
		f.Message = fmt.Sprintf("StorageClass %s's provisioner %s runs nowhere (%s): %s wait for a volume that never comes",
			sc.Name, sc.Provisioner, what, phrase.Count(len(waiting), "Pending claim", "Pending claims"))
		f.Evidence = append(f.Evidence, "waiting: "+claimNames(waiting, 5))
		w.explainClaims(&f, waiting)
	} else {
		f.Message = fmt.Sprintf("StorageClass %s's provisioner %s runs nowhere (%s): a claim of this class would stay Pending",
			sc.Name, sc.Provisioner, what)
	}
	f.Hint = "Install or repair the provisioner (its controller Deployment and, for CSI, the node DaemonSet that " +
		"registers it on every node), or point the class at one that runs: a class's provisioner cannot be changed, " +
		"so create a new class."
	return f, true
}

// topologyFinding is a class whose allowedTopologies match no node: its volumes could be made
// nowhere a pod can run.
func topologyFinding(w *world, sc *storagev1.StorageClass) (checks.Finding, bool) {
	if len(sc.AllowedTopologies) == 0 || len(w.nodes) == 0 || !w.readAll(kube.Nodes) {
		return checks.Finding{}, false
	}
	var terms []corev1.NodeSelectorTerm
	var shown, odd []string // odd: look-alike characters, the usual reason a zone matches nothing
	for _, t := range sc.AllowedTopologies {
		var term corev1.NodeSelectorTerm
		for _, e := range t.MatchLabelExpressions {
			term.MatchExpressions = append(term.MatchExpressions, corev1.NodeSelectorRequirement{Key: e.Key, Operator: corev1.NodeSelectorOpIn, Values: e.Values})
			shown = append(shown, fmt.Sprintf("%s in (%s)", e.Key, strings.Join(e.Values, ", ")))
			for _, v := range append([]string{e.Key}, e.Values...) {
				if chars := safetext.Suspicious(v); len(chars) > 0 {
					odd = append(odd, safetext.Describe(chars)...)
				}
			}
		}
		terms = append(terms, term)
	}
	sel := nodeaffinity.NewLazyErrorNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: terms})
	for _, n := range w.nodeNames {
		if ok, _ := sel.Match(w.nodes[n]); ok {
			return checks.Finding{}, false
		}
	}
	waiting := w.pendingOf(&sc.Name)
	f := checks.Finding{
		Severity: checks.StatusWarn,
		Problem:  "allowed-topologies-match-no-node",
		Object:   ptr(classRef(sc.Name)),
		Message:  fmt.Sprintf("StorageClass %s's allowedTopologies match none of the %s: its volumes can be made nowhere a pod runs", sc.Name, phrase.Count(len(w.nodes), "node", "nodes")),
		Evidence: append([]string{"allowedTopologies: " + strings.Join(shown, "; ")}, odd...),
		Hint:     "Compare the topology keys and values with the nodes' labels (a zone renamed, a typo), and fix the class (create it anew: its fields are immutable).",
		Commands: []checks.Command{
			checks.Cmd("kubectl", "get", "storageclass", sc.Name, "-o", "jsonpath={.allowedTopologies}"),
			checks.Cmd("kubectl", "get", "nodes", "--show-labels"),
		},
		Cause: true,
	}
	if len(waiting) > 0 {
		f.Severity = checks.StatusFail
		f.Evidence = append(f.Evidence, "waiting: "+claimNames(waiting, 5))
		w.explainClaims(&f, waiting)
	}
	return f, true
}

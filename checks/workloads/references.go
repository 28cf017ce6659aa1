package workloads

import (
	"context"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// referencesCheck is the workloads.references check.
var referencesCheck = checks.Check{
	ID:       "workloads.references",
	Title:    "References point somewhere: accounts, configuration, claims, backends, roles, selectors",
	Category: checks.CategoryWorkloads,
	Learn:    learn("workloads.references"),
	Needs:    checks.NeedsObjects,
	Reads:    referenceReads,
	Run:      runReferences,
}

// referrers are the kinds whose references the check judges: when none can be read, it skips.
var referrers = []kube.Resource{
	kube.Pods, kube.Deployments, kube.StatefulSets, kube.DaemonSets, kube.ReplicaSets, kube.Jobs, kube.CronJobs,
	kube.Ingresses, kube.Gateways, kube.HTTPRoutes, kube.HPAs, kube.RoleBindings, kube.ClusterRoleBindings,
	kube.NetworkPolicies, kube.PodDisruptionBudgets,
}

// referenceReads is every kind read: the referrers and what they name.
var referenceReads = append(slices.Clone(referrers),
	kube.ServiceAccounts, kube.ConfigMaps, kube.SecretMetadata, kube.PVCs, kube.Services, kube.IngressClasses,
	kube.GatewayClasses, kube.Roles, kube.ClusterRoles)

// refWorld is what the check read: the referrers, and the names of what they may name. A kind
// that could not be read has no entry in names, and a reference to it is never judged missing.
type refWorld struct {
	p        checks.Partial
	names    map[string]map[string]bool // kind → "namespace/name" (cluster-scoped: "/name")
	services map[string]*corev1.Service
	pods     []*corev1.Pod
	owners   *podinfo.WorkloadIndex
	// podsOf lists each workload's pods, by "Kind/namespace/name".
	podsOf map[string][]*corev1.Pod

	deployments  []*appsv1.Deployment
	statefulSets []*appsv1.StatefulSet
	daemonSets   []*appsv1.DaemonSet
	replicaSets  []*appsv1.ReplicaSet
	jobs         []*batchv1.Job
	cronJobs     []*batchv1.CronJob
	// notServed names the Gateway API kinds the server does not serve.
	notServed []string
}

func runReferences(ctx context.Context, env *checks.Env) checks.Result {
	w, err := loadReferences(ctx, env.Snapshot)
	if err != nil {
		return checks.Errored(fmt.Sprintf("listing for workloads.references: %v", err))
	}
	if w.p.NoneRead(referrers...) {
		return w.p.Skip()
	}
	findings := w.podReferenceFindings()
	findings = append(findings, w.routeFindings(ctx, env.Snapshot)...)
	findings = append(findings, w.autoscalerFindings(ctx, env.Snapshot)...)
	findings = append(findings, w.bindingFindings(ctx, env.Snapshot)...)
	findings = append(findings, w.selectorFindings(ctx, env.Snapshot)...)
	if err := ctx.Err(); err != nil {
		return checks.Errored(fmt.Sprintf("listing for workloads.references: %v", err))
	}
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	switch n := len(findings); {
	case n == 0:
		r.Summary = "every reference read points at an object that exists"
	default:
		r.Summary = fmt.Sprintf("%s to objects that do not exist, or select nothing", phrase.Count(n, "reference", "references"))
	}
	if len(w.notServed) > 0 {
		r.Summary += "; not served: " + strings.Join(w.notServed, ", ")
	}
	return w.p.Note(r)
}

func loadReferences(ctx context.Context, s *kube.Snapshot) (*refWorld, error) {
	w := &refWorld{names: map[string]map[string]bool{}, services: map[string]*corev1.Service{}, podsOf: map[string][]*corev1.Pod{}}
	var err error
	w.pods, _ = checks.ListPartial[*corev1.Pod](ctx, s, &w.p, kube.Pods)
	w.deployments, _ = checks.ListPartial[*appsv1.Deployment](ctx, s, &w.p, kube.Deployments)
	w.statefulSets, _ = checks.ListPartial[*appsv1.StatefulSet](ctx, s, &w.p, kube.StatefulSets)
	w.daemonSets, _ = checks.ListPartial[*appsv1.DaemonSet](ctx, s, &w.p, kube.DaemonSets)
	w.replicaSets, _ = checks.ListPartial[*appsv1.ReplicaSet](ctx, s, &w.p, kube.ReplicaSets)
	w.jobs, _ = checks.ListPartial[*batchv1.Job](ctx, s, &w.p, kube.Jobs)
	w.cronJobs, _ = checks.ListPartial[*batchv1.CronJob](ctx, s, &w.p, kube.CronJobs)
	w.owners = podinfo.NewWorkloadIndex(w.deployments, w.daemonSets, w.statefulSets)
	for _, p := range w.pods {
		o := w.owners.OwnerOf(p)
		key := o.Kind + "/" + o.Namespace + "/" + o.Name
		w.podsOf[key] = append(w.podsOf[key], p)
	}
	for _, r := range []kube.Resource{kube.ServiceAccounts, kube.ConfigMaps, kube.PVCs, kube.IngressClasses, kube.Roles, kube.ClusterRoles} {
		if err = w.readNames(ctx, s, r); err != nil {
			return nil, err
		}
	}
	if err = w.readSecretNames(ctx, s); err != nil {
		return nil, err
	}
	svcs, _ := checks.ListPartial[*corev1.Service](ctx, s, &w.p, kube.Services)
	if w.p.Read(kube.Services) {
		w.names["Service"] = map[string]bool{}
		for _, svc := range svcs {
			w.names["Service"][svc.Namespace+"/"+svc.Name] = true
			w.services[svc.Namespace+"/"+svc.Name] = svc
		}
	}
	return w, ctx.Err()
}

// readNames records the names of r's objects, when r could be read.
func (w *refWorld) readNames(ctx context.Context, s *kube.Snapshot, r kube.Resource) error {
	objs, err := checks.ListPartial[namedObject](ctx, s, &w.p, r)
	if err != nil || !w.p.Read(r) {
		return err
	}
	set := make(map[string]bool, len(objs))
	for _, o := range objs {
		set[o.GetNamespace()+"/"+o.GetName()] = true
	}
	w.names[r.Kind] = set
	return nil
}

// namedObject is any object of a kind read only for its names.
type namedObject interface {
	runtime.Object
	GetNamespace() string
	GetName() string
}

// exists says whether the object of kind is there, and whether that could be told at all.
func (w *refWorld) exists(kind, namespace, name string) (found, known bool) {
	set, ok := w.names[kind]
	if !ok {
		return false, false
	}
	return set[namespace+"/"+name], true
}

// missingFinding is a reference from referrer at field to an object that does not exist.
func missingFinding(sev checks.Severity, referrer checks.ObjectRef, field, kind, namespace, name string) checks.Finding {
	target := name
	if namespace != "" && namespace != referrer.Namespace {
		target = namespace + "/" + name
	}
	f := checks.Finding{
		Severity: sev,
		Problem:  "missing-" + strings.ToLower(kind) + "-" + name,
		Object:   &referrer,
		Message: fmt.Sprintf("%s %s names %s %s, which does not exist", referrer.Kind, visibleName(referrer),
			kind, safetext.Visible(target)),
		Evidence: []string{
			safetext.Visible(field + ": " + name),
			"no " + kind + " " + safetext.Visible(strings.TrimPrefix(namespace+"/"+name, "/")),
		},
		Hint: missingHint(kind),
		Commands: []checks.Command{
			getCmd(referrer, "jsonpath={."+field+"}"),
			getCmd(checks.ObjectRef{Kind: kind, Namespace: namespace, Name: name}, ""),
		},
	}
	return f
}

// missingHint is how to fix a reference to a missing object of kind.
func missingHint(kind string) string {
	switch kind {
	case "ServiceAccount":
		return "Create the ServiceAccount (kubectl create serviceaccount), or fix the name: admission refuses every pod that names a ServiceAccount that does not exist, so the controller creates none."
	case "ConfigMap", "Secret":
		return "Create the " + kind + " in the same namespace, fix the name, or mark the reference optional: the kubelet does not start a container whose configuration it cannot find."
	case "PersistentVolumeClaim":
		return "Create the claim, or fix claimName: the pod stays Pending until the claim exists."
	case "Service":
		return "Create the Service or point the backend at one that exists: traffic to this backend gets 503s."
	case "Role", "ClusterRole":
		return "Create the role or fix roleRef (it cannot be changed: delete and recreate the binding): the binding grants nothing until the role exists."
	}
	return "Create the " + kind + ", or fix the reference."
}

// getCmd is `kubectl get` of an object, with the output flag when one is given.
func getCmd(o checks.ObjectRef, output string) checks.Command {
	args := []string{}
	if o.Namespace != "" {
		args = append(args, "-n", o.Namespace)
	}
	args = append(args, "get", resourceName(o), o.Name)
	if output != "" {
		args = append(args, "-o", output)
	}
	return checks.Cmd("kubectl", args...)
}

// resourceName is how kubectl names the object's kind: "deployment.apps", "secret".
func resourceName(o checks.ObjectRef) string {
	kind := strings.ToLower(o.Kind)
	if group, _, ok := strings.Cut(o.APIVersion, "/"); ok && group != "" {
		return kind + "." + group
	}
	return kind
}

func visibleName(o checks.ObjectRef) string {
	if o.Namespace == "" {
		return safetext.Visible(o.Name)
	}
	return safetext.Visible(o.Namespace + "/" + o.Name)
}

func visibleText(s string) string { return safetext.Visible(s) }

package runtime

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// podsCheck is the runtime.pods check.
var podsCheck = checks.Check{
	ID:       "runtime.pods",
	Title:    "Containers start: images pull, configuration resolves, sandboxes come up, nothing crash-loops",
	Category: checks.CategoryRuntime,
	Learn:    learn("runtime.pods"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.Pods, kube.Events, kube.ConfigMaps, kube.SecretMetadata, kube.Deployments, kube.DaemonSets, kube.StatefulSets},
	Run:      runPods,
}

// creatingThreshold is how long a container may wait in ContainerCreating before it is
// reported: pulling a big image takes minutes, a sandbox that never comes up takes forever.
const creatingThreshold = 5 * time.Minute

// podInputs is what the grouping reads; the lists other than pods may be missing, and then
// what they would have told is said to be unknown, never absent.
type podInputs struct {
	pods          []*corev1.Pod
	events        eventIndex // nil when the events could not be read
	eventsErr     error
	configMaps    map[string]*corev1.ConfigMap // "namespace/name"; nil when not read
	configMapsErr error
	secrets       map[string]bool // "namespace/name" of every Secret (names only); nil when not read
	secretsErr    error
	owners        *podinfo.WorkloadIndex
	now           time.Time
}

func runPods(ctx context.Context, env *checks.Env) checks.Result {
	pods, err := kube.ListOf[*corev1.Pod](ctx, env.Snapshot, kube.Pods)
	if err != nil {
		return checks.SkipOrError(err)
	}
	in := podInputs{pods: pods, now: env.CurrentTime()}
	// The other kinds sharpen the causes; without one, the pods are still judged and the
	// result names what was not read.
	var p checks.Partial
	events, _ := checks.ListPartial[*corev1.Event](ctx, env.Snapshot, &p, kube.Events)
	in.events, in.eventsErr = indexEvents(events), p.Err(kube.Events)
	cms, _ := checks.ListPartial[*corev1.ConfigMap](ctx, env.Snapshot, &p, kube.ConfigMaps)
	if in.configMapsErr = p.Err(kube.ConfigMaps); in.configMapsErr == nil {
		in.configMaps = make(map[string]*corev1.ConfigMap, len(cms))
		for _, cm := range cms {
			in.configMaps[cm.Namespace+"/"+cm.Name] = cm
		}
	}
	// Secrets are read as names only: whether one exists, never what it holds.
	secrets, _ := checks.ListPartial[*metav1.PartialObjectMetadata](ctx, env.Snapshot, &p, kube.SecretMetadata)
	if in.secretsErr = p.Err(kube.SecretMetadata); in.secretsErr == nil {
		in.secrets = make(map[string]bool, len(secrets))
		for _, s := range secrets {
			in.secrets[s.Namespace+"/"+s.Name] = true
		}
	}
	// Owners without their lists still come from the pods' owner references.
	deps, _ := checks.ListPartial[*appsv1.Deployment](ctx, env.Snapshot, &p, kube.Deployments)
	dss, _ := checks.ListPartial[*appsv1.DaemonSet](ctx, env.Snapshot, &p, kube.DaemonSets)
	sss, _ := checks.ListPartial[*appsv1.StatefulSet](ctx, env.Snapshot, &p, kube.StatefulSets)
	in.owners = podinfo.NewWorkloadIndex(deps, dss, sss)
	if err := ctx.Err(); err != nil {
		return checks.Errored(fmt.Sprintf("listing for runtime.pods: %v", err))
	}
	return p.Note(judgePods(in))
}

func judgePods(in podInputs) checks.Result {
	groups := groupPodProblems(in)
	var findings []checks.Finding
	for _, g := range groups {
		findings = append(findings, g.finding(in))
	}
	if in.eventsErr != nil && len(findings) > 0 {
		// Without events, causes come from the pods' status alone: say so once.
		findings = append(findings, checks.Finding{
			Severity: checks.StatusOK,
			Message:  "events not read: causes above come from the pods' status only",
			Evidence: []string{safetext.Visible(phrase.Clip(in.eventsErr.Error(), 300))},
			Commands: []checks.Command{checks.Cmd("kubectl", "auth", "can-i", "list", "events", "--all-namespaces")},
		})
	}
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	if r.Status == checks.StatusOK {
		r.Summary = fmt.Sprintf("no container of %s is stuck starting or crash-looping", phrase.Count(len(in.pods), "pod", "pods"))
		return r
	}
	r.Summary = podsSummary(groups)
	return r
}

// podsSummary is one line over every group: "3 causes keep 34 pods from starting: ...".
func podsSummary(groups []*problemGroup) string {
	pods := map[string]bool{}
	var first string
	for _, g := range groups {
		for _, p := range g.pods {
			pods[p.Namespace+"/"+p.Name] = true
		}
		if first == "" && g.severity == checks.StatusFail {
			first = g.title()
		}
	}
	if first == "" {
		first = groups[0].title()
	}
	if len(groups) == 1 {
		return first
	}
	return fmt.Sprintf("%s affect %s; first: %s", phrase.Count(len(groups), "cause", "causes"),
		phrase.Count(len(pods), "pod", "pods"), first)
}

// eventIndex holds the events about each pod, "namespace/name", newest first.
type eventIndex map[string][]*corev1.Event

func indexEvents(events []*corev1.Event) eventIndex {
	ix := eventIndex{}
	for _, e := range events {
		if e.InvolvedObject.Kind != "Pod" {
			continue
		}
		key := e.InvolvedObject.Namespace + "/" + e.InvolvedObject.Name
		ix[key] = append(ix[key], e)
	}
	for _, list := range ix {
		sort.SliceStable(list, func(i, j int) bool { return kube.EventLastSeen(list[i]).After(kube.EventLastSeen(list[j])) })
	}
	return ix
}

// latest is the newest event about the pod with the reason whose message match accepts.
func (ix eventIndex) latest(p *corev1.Pod, reason string, match func(string) bool) *corev1.Event {
	for _, e := range ix[p.Namespace+"/"+p.Name] {
		if e.Reason == reason && (match == nil || match(e.Message)) {
			return e
		}
	}
	return nil
}

// errSecretKeysUnread is why a key of a Secret that exists is never judged: kockpit reads
// Secrets' names, never their contents.
var errSecretKeysUnread = errors.New("the Secret exists; kockpit reads Secret names, never their keys")

// lookupConfig says whether the referenced object (and key) exists now: "missing", "exists",
// or "cannot tell" with the reason.
func (in podInputs) lookupConfig(namespace string, ref configRef) (state string, why error) {
	if ref.Kind == "Secret" {
		switch {
		case in.secrets == nil:
			return "cannot tell", in.secretsErr
		case !in.secrets[namespace+"/"+ref.Name]:
			return "missing", nil
		case ref.Key != "":
			return "cannot tell", errSecretKeysUnread
		}
		return "exists", nil
	}
	if in.configMaps == nil {
		return "cannot tell", in.configMapsErr
	}
	cm := in.configMaps[namespace+"/"+ref.Name]
	if cm == nil {
		return "missing", nil
	}
	if ref.Key == "" {
		return "exists", nil
	}
	if _, ok := cm.Data[ref.Key]; ok {
		return "exists", nil
	}
	if _, ok := cm.BinaryData[ref.Key]; ok {
		return "exists", nil
	}
	return "missing", nil
}

// isControlPlanePod is a kubeadm static control-plane pod: api.control-plane judges those.
func isControlPlanePod(p *corev1.Pod) bool {
	if p.Namespace != "kube-system" {
		return false
	}
	switch p.Labels["component"] {
	case "kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd":
		return true
	}
	return false
}

// quoteMessage is a message from the cluster as evidence: one line, clipped, terminal-safe.
func quoteMessage(source, msg string) string {
	return fmt.Sprintf("%s: %q", source, safetext.Visible(phrase.Clip(strings.TrimSpace(msg), 400)))
}

package kube

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/kockpit/kockpit/safetext"
)

// ObjectKey names one object, as a finding points at it.
type ObjectKey struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
}

// String is "Pod kube-system/etcd-cp1", "Node cp1".
func (k ObjectKey) String() string {
	if k.Namespace == "" {
		return k.Kind + " " + k.Name
	}
	return k.Kind + " " + k.Namespace + "/" + k.Name
}

// ObjectDetail is one object as the cockpit's drill-in shows it. Nothing in it may carry a
// secret: Secret values are redacted before the YAML is written.
type ObjectDetail struct {
	Key ObjectKey
	// YAML is the object with managedFields folded away (and last-applied-configuration, which
	// repeats the object), Secret data and stringData redacted.
	YAML string
	// Live is true when the object was read from the API server just now, false when it comes
	// from snapshot files.
	Live bool
	// Events are the object's most recent events from the run's snapshot, newest first.
	Events []EventLine
	// EventsErr says why there are no events to show when they could not be read.
	EventsErr string
	// Containers are a pod's init and app containers' states; empty for other kinds.
	Containers []ContainerState
	// Related are objects worth a look from here: owners, and the node a pod runs on.
	Related []ObjectKey
}

// EventLine is one event about the object.
type EventLine struct {
	Type    string // Normal or Warning
	Reason  string
	Message string
	Count   int32
	Last    time.Time
	Source  string
}

// ContainerState is one container of a pod: what it is doing and how it last ended.
type ContainerState struct {
	Name     string
	Init     bool
	Ready    bool
	Restarts int32
	// State is "running", "waiting: CrashLoopBackOff", "terminated: Error (exit 1)".
	State string
	// Message is the waiting or terminated state's message, when there is one.
	Message string
	// LastTermination is how the previous instance ended: "Error (exit 137) at ...", or "".
	LastTermination string
}

// maxEvents bounds the drill-in's events: the recent ones tell the story.
const maxEvents = 20

// extraResources are kinds findings point at that the snapshot does not list; the drill-in
// reads them with a GET only.
var extraResources = []Resource{
	{Version: "v1", Resource: "secrets", Kind: "Secret", Namespaced: true},
	{Version: "v1", Resource: "serviceaccounts", Kind: "ServiceAccount", Namespaced: true},
	{Version: "v1", Resource: "persistentvolumeclaims", Kind: "PersistentVolumeClaim", Namespaced: true},
	{Version: "v1", Resource: "persistentvolumes", Kind: "PersistentVolume"},
	{Version: "v1", Resource: "endpoints", Kind: "Endpoints", Namespaced: true},
	{Group: "coordination.k8s.io", Version: "v1", Resource: "leases", Kind: "Lease", Namespaced: true},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles", Kind: "ClusterRole"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings", Kind: "ClusterRoleBinding"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles", Kind: "Role", Namespaced: true},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings", Kind: "RoleBinding", Namespaced: true},
	{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions", Kind: "CustomResourceDefinition"},
}

// FetchObject reads one object for the drill-in. Live, it GETs the object (bounded by the
// request timeout) so the guest sees it as it is now; offline, it finds it in the snapshot.
// Events come from the snapshot's one list of events, never a new query per object.
func FetchObject(ctx context.Context, s *Snapshot, key ObjectKey) (*ObjectDetail, error) {
	r, err := s.resourceFor(ctx, key)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if s.cluster != nil {
		obj, err = s.getLive(ctx, r, key)
	} else {
		obj, err = s.findInSnapshot(ctx, r, key)
	}
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: obj}
	if u.GetAPIVersion() == "" {
		u.SetAPIVersion(r.APIVersion())
	}
	if u.GetKind() == "" {
		u.SetKind(r.Kind)
	}
	d := &ObjectDetail{Key: key, Live: s.cluster != nil, Related: related(u)}
	if key.Kind == "Pod" && r.Group == "" {
		d.Containers = containerStates(u)
	}
	d.YAML, err = objectYAML(u)
	if err != nil {
		return nil, err
	}
	d.Events, err = s.eventsFor(ctx, key, u.GetUID())
	if err != nil {
		d.EventsErr = err.Error()
	}
	return d, nil
}

// resourceFor finds the resource of a kind: the known ones, a few more, or (live) discovery.
func (s *Snapshot) resourceFor(ctx context.Context, key ObjectKey) (Resource, error) {
	gv, err := schema.ParseGroupVersion(key.APIVersion)
	if err != nil {
		return Resource{}, safetext.Errorf("%s: bad apiVersion %q: %w", key, key.APIVersion, err)
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: key.Kind}
	if r, ok := ResourceForGroupKind(gk); ok {
		return r, nil
	}
	for _, r := range extraResources {
		if r.GroupKind() == gk {
			return r, nil
		}
	}
	if s.cluster == nil {
		return Resource{}, safetext.Errorf("%s: %s objects are not in snapshot files kockpit reads", key, key.Kind)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cluster.requestTimeout())
	defer cancel()
	list, err := s.cluster.Clientset.Discovery().ServerResourcesForGroupVersion(gv.String())
	if err != nil || ctx.Err() != nil {
		return Resource{}, safetext.Errorf("%s: finding the resource of kind %s in %s: %v", key, key.Kind, gv, err)
	}
	for _, ar := range list.APIResources {
		if ar.Kind == key.Kind && !strings.Contains(ar.Name, "/") {
			return Resource{Group: gv.Group, Version: gv.Version, Resource: ar.Name, Kind: ar.Kind, Namespaced: ar.Namespaced}, nil
		}
	}
	return Resource{}, safetext.Errorf("%s: the API server serves no kind %s in %s", key, key.Kind, gv)
}

func (s *Snapshot) getLive(ctx context.Context, r Resource, key ObjectKey) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cluster.requestTimeout())
	defer cancel()
	ri := s.cluster.Dynamic.Resource(r.GVR())
	var (
		u   *unstructured.Unstructured
		err error
	)
	if r.Namespaced {
		u, err = ri.Namespace(key.Namespace).Get(ctx, key.Name, metav1.GetOptions{})
	} else {
		u, err = ri.Get(ctx, key.Name, metav1.GetOptions{})
	}
	if err != nil {
		return nil, safetext.Errorf("getting %s: %w", key, err)
	}
	return u.Object, nil
}

func (s *Snapshot) findInSnapshot(ctx context.Context, r Resource, key ObjectKey) (map[string]any, error) {
	objs, err := s.List(ctx, r)
	if err != nil {
		return nil, safetext.Errorf("%s: %w", key, err)
	}
	for _, o := range objs {
		m, err := metaOf(o)
		if err != nil {
			continue
		}
		if m.GetName() == key.Name && m.GetNamespace() == key.Namespace {
			return toUnstructured(o)
		}
	}
	return nil, safetext.Errorf("%s is not in the snapshot (%s)", key, s.Source())
}

func metaOf(o runtime.Object) (metav1.Object, error) {
	if u, ok := o.(*unstructured.Unstructured); ok {
		return u, nil
	}
	m, ok := o.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%T has no metadata", o)
	}
	return m, nil
}

func toUnstructured(o runtime.Object) (map[string]any, error) {
	if u, ok := o.(*unstructured.Unstructured); ok {
		return u.DeepCopy().Object, nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, fmt.Errorf("converting %T: %w", o, err)
	}
	pruneNulls(m)
	return m, nil
}

// pruneNulls drops the null fields that converting a typed object leaves behind
// ("creationTimestamp: null"): the API server never shows them, nor should the drill-in.
func pruneNulls(m map[string]any) {
	for k, v := range m {
		switch v := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			pruneNulls(v)
		case []any:
			for _, e := range v {
				if em, ok := e.(map[string]any); ok {
					pruneNulls(em)
				}
			}
		}
	}
}

// lastApplied is kubectl's annotation that repeats the whole object, Secret values included.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// objectYAML writes the object for a reader: managedFields and last-applied-configuration
// folded into one comment line each, Secret values and env values named like credentials
// replaced by their size.
func objectYAML(u *unstructured.Unstructured) (string, error) {
	if deeper(u.Object, maxYAMLDepth) {
		key := ObjectKey{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
		return "", safetext.Errorf("%s nests more than %d levels deep, and objects nest a few dozen at most: kockpit does not write it as YAML, "+
			"whose indentation grows with the square of the depth (50 KB nested 10000 deep is 100 MB of YAML); `kubectl get -o json` shows it",
			key, maxYAMLDepth)
	}
	u = u.DeepCopy()
	var notes []string
	if mf := u.GetManagedFields(); len(mf) > 0 {
		u.SetManagedFields(nil)
		notes = append(notes, fmt.Sprintf("# managedFields: %d entries folded (kubectl get --show-managed-fields shows them)", len(mf)))
	}
	if ann := u.GetAnnotations(); ann[lastApplied] != "" {
		delete(ann, lastApplied)
		if len(ann) == 0 {
			ann = nil
		}
		u.SetAnnotations(ann)
		notes = append(notes, "# "+lastApplied+": folded")
	}
	if u.GetKind() == "Secret" && u.GroupVersionKind().Group == "" {
		// Some controllers copy the value into an annotation too (OpenShift's
		// openshift.io/token-secret.value carries the token).
		if n := redactCredentialAnnotations(u); n > 0 {
			notes = append(notes, fmt.Sprintf("# %d annotations named like credentials redacted", n))
		}
		if n := RedactSecret(u.Object); n > 0 {
			notes = append(notes, fmt.Sprintf("# %d Secret values redacted: kockpit never shows them", n))
		}
	}
	if n := redactSecretEnv(u.Object); n > 0 {
		notes = append(notes, fmt.Sprintf("# %d env values named like credentials redacted", n))
	}
	// Each string first: the YAML writer folds long strings and writes multi-line ones as
	// blocks, which can put a credential's name and its value on different lines.
	redactStrings(u.Object)
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		return "", safetext.Errorf("writing %s as YAML: %w", u.GetKind(), err)
	}
	// What no field name gives away: a --token=... argument, a kubeconfig in a ConfigMap.
	text := safetext.RedactSecrets(string(b))
	if len(notes) == 0 {
		return text, nil
	}
	return strings.Join(notes, "\n") + "\n" + text, nil
}

// maxYAMLDepth bounds the nesting of an object written as YAML. The decoders stop at 10000
// levels; CRD schemas, the deepest objects clusters hold, nest some tens.
const maxYAMLDepth = 128

// deeper reports whether maps and lists nest more than limit levels deep in v. It keeps its
// own stack rather than recursing.
func deeper(v any, limit int) bool {
	type item struct {
		v     any
		depth int
	}
	stack := []item{{v, 0}}
	push := func(e any, depth int) {
		switch e.(type) {
		case map[string]any, []any:
			stack = append(stack, item{e, depth})
		}
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.depth > limit {
			return true
		}
		switch v := it.v.(type) {
		case map[string]any:
			for _, e := range v {
				push(e, it.depth+1)
			}
		case []any:
			for _, e := range v {
				push(e, it.depth+1)
			}
		}
	}
	return false
}

// redactStrings runs every string of an object through safetext.RedactSecrets (a list of
// strings through safetext.RedactArgs, as a container's command and args are), and replaces a
// multi-line value under a name RedactSecrets treats as a credential ("token: |") whole.
func redactStrings(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			s, ok := e.(string)
			switch {
			case !ok:
				redactStrings(e)
			case strings.Contains(s, "\n") && safetext.RedactSecrets(k+": x") != k+": x":
				v[k] = "<redacted>"
			default:
				v[k] = safetext.RedactSecrets(s)
			}
		}
	case []any:
		// A list of strings may be a command and its arguments, where a credential flag's
		// value is the next item ("--password", "X"): redacted as arguments, not one by one.
		args := make([]string, len(v))
		for i, e := range v {
			if s, ok := e.(string); ok {
				args[i] = s
			} else {
				redactStrings(e)
			}
		}
		for i, s := range safetext.RedactArgs(args) {
			if _, ok := v[i].(string); ok {
				v[i] = s
			}
		}
	}
}

// RedactSecret replaces every value of a Secret's data and stringData with its size, and
// returns how many it replaced. Keys stay: which keys a Secret holds is what a debugger needs.
func RedactSecret(obj map[string]any) int {
	n := 0
	for _, field := range []string{"data", "stringData"} {
		m, ok := obj[field].(map[string]any)
		if !ok {
			continue
		}
		for k, v := range m {
			size := 0
			if s, ok := v.(string); ok {
				size = len(s)
				if field == "data" {
					size = size * 3 / 4 // base64: roughly the decoded size
				}
			}
			m[k] = fmt.Sprintf("<redacted, about %d bytes>", size)
			n++
		}
	}
	return n
}

// secretEnvName matches env var (and Secret annotation) names that say they hold a credential. Their literal values
// are as secret as a Secret's (a guest who puts DB_PASSWORD in a Deployment on camera must not
// leak it); valueFrom references stay, they name no value.
var secretEnvName = regexp.MustCompile(`(?i)(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|credential|auth)`)

// redactSecretEnv replaces the literal value of every env var named like a credential, in any
// container list of any kind (pods, their templates, jobs of cron jobs), with its size.
func redactSecretEnv(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if list, ok := e.([]any); ok && k == "env" {
				n += redactEnvList(list)
				continue
			}
			n += redactSecretEnv(e)
		}
	case []any:
		for _, e := range v {
			n += redactSecretEnv(e)
		}
	}
	return n
}

// redactCredentialAnnotations replaces the values of annotations named like credentials.
func redactCredentialAnnotations(u *unstructured.Unstructured) int {
	ann := u.GetAnnotations()
	n := 0
	for k, v := range ann {
		if v != "" && secretEnvName.MatchString(k) {
			ann[k] = fmt.Sprintf("<redacted, %d bytes>", len(v))
			n++
		}
	}
	if n > 0 {
		u.SetAnnotations(ann)
	}
	return n
}

func redactEnvList(list []any) int {
	n := 0
	for _, e := range list {
		ev, ok := e.(map[string]any)
		if !ok {
			continue
		}
		name, _ := ev["name"].(string)
		val, ok := ev["value"].(string)
		if !ok || val == "" || !secretEnvName.MatchString(name) {
			continue
		}
		ev["value"] = fmt.Sprintf("<redacted, %d bytes>", len(val))
		n++
	}
	return n
}

// related lists the object's owners and, for a pod, its node, each once. An owner of a kind
// known to be cluster-scoped (a static pod's mirror is owned by its Node) has no namespace.
func related(u *unstructured.Unstructured) []ObjectKey {
	var out []ObjectKey
	add := func(k ObjectKey) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, o := range u.GetOwnerReferences() {
		k := ObjectKey{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: u.GetNamespace(), Name: o.Name}
		if clusterScoped(k) {
			k.Namespace = ""
		}
		add(k)
	}
	if u.GetKind() == "Pod" {
		if node, _, _ := unstructured.NestedString(u.Object, "spec", "nodeName"); node != "" {
			add(ObjectKey{APIVersion: "v1", Kind: "Node", Name: node})
		}
	}
	return out
}

// clusterScoped reports whether the key's kind is one kockpit knows to be cluster-scoped.
func clusterScoped(k ObjectKey) bool {
	gv, err := schema.ParseGroupVersion(k.APIVersion)
	if err != nil {
		return false
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: k.Kind}
	if r, ok := ResourceForGroupKind(gk); ok {
		return !r.Namespaced
	}
	for _, r := range extraResources {
		if r.GroupKind() == gk {
			return !r.Namespaced
		}
	}
	return false
}

// containerStates reads a pod's container statuses: init containers first, as they run.
func containerStates(u *unstructured.Unstructured) []ContainerState {
	var pod corev1.Pod
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &pod); err != nil {
		return nil
	}
	var out []ContainerState
	add := func(statuses []corev1.ContainerStatus, init bool) {
		for _, cs := range statuses {
			c := ContainerState{Name: cs.Name, Init: init, Ready: cs.Ready, Restarts: cs.RestartCount}
			c.State, c.Message = describeState(cs.State)
			c.Message = safetext.RedactSecrets(c.Message)
			if t := cs.LastTerminationState.Terminated; t != nil {
				c.LastTermination = describeTermination(t)
			}
			out = append(out, c)
		}
	}
	add(pod.Status.InitContainerStatuses, true)
	add(pod.Status.ContainerStatuses, false)
	return out
}

func describeState(s corev1.ContainerState) (state, message string) {
	switch {
	case s.Running != nil:
		return "running", ""
	case s.Waiting != nil:
		return "waiting: " + orUnknown(s.Waiting.Reason), s.Waiting.Message
	case s.Terminated != nil:
		return "terminated: " + describeTermination(s.Terminated), s.Terminated.Message
	}
	return "unknown", ""
}

func describeTermination(t *corev1.ContainerStateTerminated) string {
	s := fmt.Sprintf("%s (exit %d", orUnknown(t.Reason), t.ExitCode)
	if t.Signal != 0 {
		s += fmt.Sprintf(", signal %d", t.Signal)
	}
	s += ")"
	if !t.FinishedAt.IsZero() {
		s += " at " + t.FinishedAt.UTC().Format(time.RFC3339)
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown reason"
	}
	return s
}

// eventsFor returns the object's recent events from the snapshot's list of events.
func (s *Snapshot) eventsFor(ctx context.Context, key ObjectKey, uid types.UID) ([]EventLine, error) {
	events, err := ListOf[*corev1.Event](ctx, s, Events)
	if err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	var out []EventLine
	for _, e := range events {
		io := e.InvolvedObject
		if io.Kind != key.Kind || io.Name != key.Name || io.Namespace != key.Namespace {
			continue
		}
		if uid != "" && io.UID != "" && io.UID != uid {
			continue // an earlier object of the same name
		}
		out = append(out, EventLine{
			Type: e.Type, Reason: e.Reason, Message: safetext.RedactSecrets(e.Message), Count: e.Count,
			Last: EventLastSeen(e), Source: eventSource(e),
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Last.After(out[j].Last) })
	if len(out) > maxEvents {
		out = out[:maxEvents]
	}
	return out, nil
}

// EventLastSeen is when an event was last seen, in whichever field its writer filled: the
// newest of its series' last observation, lastTimestamp, eventTime and firstTimestamp (events
// written by the events/v1 API fill the first and third, core/v1 writers the second and fourth),
// else when it was created. Every check that orders or ages events uses it.
func EventLastSeen(e *corev1.Event) time.Time {
	var last time.Time
	for _, t := range []time.Time{e.LastTimestamp.Time, e.EventTime.Time, e.FirstTimestamp.Time} {
		if t.After(last) {
			last = t
		}
	}
	if e.Series != nil && e.Series.LastObservedTime.Time.After(last) {
		last = e.Series.LastObservedTime.Time
	}
	if last.IsZero() {
		return e.CreationTimestamp.Time
	}
	return last
}

func eventSource(e *corev1.Event) string {
	switch {
	case e.ReportingController != "":
		return e.ReportingController
	case e.Source.Component != "":
		return e.Source.Component
	}
	return ""
}

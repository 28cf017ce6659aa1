package network

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/internal/nearmiss"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestNetworkServicesHealthy(t *testing.T) {
	r := checktest.RunLive(t, "network.services")
	checktest.RequireNoProblems(t, r)
	if r.Summary != "all 3 Services with a selector match pods and have ready endpoints" {
		t.Errorf("summary = %q", r.Summary)
	}
}

func servicesWith(t *testing.T, file string) checks.Result {
	t.Helper()
	checktest.Cluster(t).Apply(t, checktest.Fixture("net-services/"+file))
	return checktest.RunLive(t, "network.services")
}

func TestNetworkServicesSelectorLookalike(t *testing.T) {
	r := servicesWith(t, "lookalike.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Service", "team-a", "api",
		"Service team-a/api selects no pod: its selector differs from the labels of api-v1-5c8d7f9b4-k2m7x by a look-alike character")
	if !slices.Contains(f.Evidence, "app=api-vl: the pods have app=api-v1 (a look-alike character)") {
		t.Errorf("evidence = %q", f.Evidence)
	}
	// The selector was meant for these pods: the Service explains itself and them.
	want := []checks.ObjectRef{*f.Object, {APIVersion: "v1", Kind: "Pod", Namespace: "team-a", Name: "api-v1-5c8d7f9b4-k2m7x"}}
	if !f.Cause || !f.Written || !slices.Equal(f.Explains, want) {
		t.Errorf("cause %v, written %v, explains %v, want %v", f.Cause, f.Written, f.Explains, want)
	}
}

func TestNetworkServicesSelectorCase(t *testing.T) {
	r := servicesWith(t, "case.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Service", "team-a", "web-case", "differs from the labels of web-5d7f8b9c6d-q7m4n, web-5d7f8b9c6d-x2k9p by case")
	if !slices.Contains(f.Evidence, "app=Web: the pods have app=web (case)") {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestNetworkServicesSelectorOneEdit(t *testing.T) {
	r := servicesWith(t, "one-edit.yaml")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Service", "team-a", "web-typo", "by one character")
}

func TestNetworkServicesSelectorMatchesNothing(t *testing.T) {
	r := servicesWith(t, "no-match.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Service", "team-a", "web-frontend", "Service team-a/web-frontend selects no pod, so it has no endpoints")
	if !slices.Contains(f.Evidence, "nearest pods: web-5d7f8b9c6d-q7m4n, web-5d7f8b9c6d-x2k9p, matching 1 of 2 selector labels") ||
		!slices.Contains(f.Evidence, "tier=frontend: the pods have no such label") {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestNetworkServicesPodsInAnotherNamespace(t *testing.T) {
	r := servicesWith(t, "other-namespace.yaml")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Service", "team-b", "web", "Service team-b/web selects no pod in its namespace; the pods it would select are in team-a")
}

func TestNetworkServicesNamedTargetPort(t *testing.T) {
	r := servicesWith(t, "named-port.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Service", "team-a", "web-named-port", `targetPort "htpp" names no TCP container port of 2 of its 2 pods`)
	if !strings.Contains(f.Hint, `The pods have "http", which differs by one character`) &&
		!strings.Contains(f.Hint, `The pods have "http"`) {
		t.Errorf("hint = %q", f.Hint)
	}
	if !slices.Contains(f.Evidence, "the pods declare: http 80/TCP") {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestNetworkServicesRemappedTargetPort(t *testing.T) {
	r := servicesWith(t, "remapped-port.yaml")
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Service", "team-a", "web-remapped", "sends port 80 to targetPort 8081, which 2 of its 2 pods do not declare")
}

func TestNetworkServicesNoReadyEndpoints(t *testing.T) {
	r := servicesWith(t, "not-ready.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Service", "team-a", "queue", "Service team-a/queue has no ready endpoints: its only pod is not ready")
	if !slices.Contains(f.Evidence, "queue-6f8d9c7b5-p2x4k: container queue CrashLoopBackOff (14 restarts)") {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestNetworkServicesNoEndpointSlice(t *testing.T) {
	r := servicesWith(t, "no-endpointslice.yaml")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Service", "team-a", "web-no-slice", "has no EndpointSlice although 2 of its pods are ready")
}

// The API server refuses labels outside ASCII, but snapshot files (and the demo) carry them.
func TestNetworkServicesCyrillicSelectorOffline(t *testing.T) {
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", Labels: map[string]string{"app": "web"}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning}}
	svc := &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "wеb"}}}
	r := runNetworkServices(t.Context(), checktest.OfflineEnv(t, pod, svc))
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Service", "shop", "web", "differs from the labels of web-1 by a look-alike character")
	if !strings.Contains(strings.Join(f.Evidence, "\n"), `in "wеb" column 2: е U+0435 CYRILLIC SMALL LETTER IE (looks like "e")`) {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestOneEdit(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"web", "web", false}, {"web", "wen", true}, {"web", "webb", true}, {"web", "eb", true},
		{"web", "wbe", false}, {"wеb", "web", true}, {"", "a", true}, {"ab", "", false},
	} {
		if got := nearmiss.OneEdit(tc.a, tc.b); got != tc.want {
			t.Errorf("oneEdit(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

// A snapshot can hold names and labels the API server would refuse. Each reaches the
// suggested commands as one literal word: nothing in them runs when a command is pasted.
func TestNetworkServicesHostileNamesOffline(t *testing.T) {
	const (
		ns       = "team a'b"
		svcName  = "payments$(touch${IFS}pwned)"
		podName  = "worker;touch pwned2 `id`"
		label    = "pay\u202eload'x"
		lonely   = "web$(id)"
		elsewhat = "shop\nx"
		farLabel = "far 'away$(id)"
	)
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: podName, Namespace: ns, Labels: map[string]string{"app": label}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app",
			Ports: []corev1.ContainerPort{{Name: "htpp", ContainerPort: 8080}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	svc := &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: svcName, Namespace: ns},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": label},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}}
	farPod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "far-1", Namespace: elsewhat, Labels: map[string]string{"app": farLabel}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning}}
	lonelySvc := &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: lonely, Namespace: ns},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": farLabel}}}
	slice := &discoveryv1.EndpointSlice{TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta:  metav1.ObjectMeta{Name: "payments-x", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
		AddressType: discoveryv1.AddressTypeIPv4}
	r := runNetworkServices(t.Context(), checktest.OfflineEnv(t, pod, svc, farPod, lonelySvc, slice))

	checktest.RequireLiteralCommands(t, r)
	words := map[string]bool{}
	for _, f := range r.Findings {
		for _, c := range f.Commands {
			for _, stage := range c.Stages() {
				for _, w := range stage {
					words[w] = true
				}
			}
		}
	}
	for _, want := range []string{ns, svcName, podName, "app=" + label, "app=" + farLabel,
		"kubernetes.io/service-name=" + svcName} {
		if !words[want] {
			t.Errorf("no command has %q as one word; the findings:\n%s", want, describeCommands(r))
		}
	}
}

func describeCommands(r checks.Result) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString(f.Message + "\n")
		for _, c := range f.Commands {
			b.WriteString("  $ " + strconv.Quote(c.String()) + "\n")
		}
	}
	return b.String()
}

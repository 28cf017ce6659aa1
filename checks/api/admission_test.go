package api

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube"
)

func admissionWith(t *testing.T, file string) checks.Result {
	t.Helper()
	checktest.Cluster(t).Apply(t, checktest.Fixture("net-admission/"+file))
	return checktest.RunLive(t, "api.admission")
}

func TestAdmissionHealthy(t *testing.T) {
	r := checktest.RunLive(t, "api.admission")
	checktest.RequireNoProblems(t, r)
	if r.Summary != "all 2 admission webhooks reachable, none matching everything" {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestAdmissionServiceMissing(t *testing.T) {
	r := admissionWith(t, "missing-service.yaml")
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v:\n%s", r.Status, checktest.DescribeObjectFindings(r))
	}
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "ValidatingWebhookConfiguration", "", "policy-guard",
		"validating webhook deployments.policy-guard.example.com fails closed and its Service policy-system/policy-guard does not exist: the API server rejects every request it matches")
	if !f.Cause || !slices.Contains(f.Evidence, "clientConfig.service: policy-system/policy-guard:443") ||
		!slices.Contains(f.Evidence, "matches: CREATE,UPDATE deployments.apps") {
		t.Errorf("finding = %+v", f)
	}
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "ValidatingWebhookConfiguration", "", "policy-guard",
		"validating webhook audit.policy-guard.example.com cannot be reached (its Service policy-system/policy-guard does not exist): requests it matches go through without it")
}

// A fail-closed webhook explains the creates it refused: the controllers whose FailedCreate
// events or ReplicaFailure condition name it (the condition when the events expired), and the
// Deployment that owns one; not a create refused for another reason.
func TestAdmissionExplainsWhatItRefused(t *testing.T) {
	r := admissionWith(t, "refused.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "ValidatingWebhookConfiguration", "", "pod-guard",
		"validating webhook pods.pod-guard.example.com fails closed and its Service policy-system/pod-guard does not exist")
	var got []string
	for _, o := range f.Explains {
		got = append(got, o.String())
	}
	slices.Sort(got)
	want := []string{"Deployment shop/checkout", "ReplicaSet shop/cart-5d4c3b2a1", "ReplicaSet shop/checkout-7f9c6d5b8"}
	if !f.Cause || !slices.Equal(got, want) {
		t.Errorf("cause %v, explains %q, want %q", f.Cause, got, want)
	}
	if !slices.ContainsFunc(f.Evidence, func(e string) bool {
		return strings.HasPrefix(e, "refused creates for 3 objects; ") && strings.Contains(e, `failed calling webhook "pods.pod-guard.example.com"`)
	}) {
		t.Errorf("evidence does not quote a refusal: %q", f.Evidence)
	}
}

func TestAdmissionServiceWithoutEndpoints(t *testing.T) {
	r := admissionWith(t, "no-endpoints.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "ValidatingWebhookConfiguration", "", "gatekeeper-validating-webhook-configuration",
		"validating webhook validation.gatekeeper.sh fails closed and its Service gatekeeper-system/gatekeeper-webhook-service has no ready endpoints")
	if !slices.Contains(f.Evidence, "endpoints: 0 listed, 0 ready") {
		t.Errorf("evidence = %q", f.Evidence)
	}
	scope := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "ValidatingWebhookConfiguration", "", "gatekeeper-validating-webhook-configuration",
		"validating webhook validation.gatekeeper.sh matches every resource and every operation: every such request waits for it, and fails when it is down")
	if !slices.Contains(scope.Evidence, "it applies in kube-system too") {
		t.Errorf("evidence = %q", scope.Evidence)
	}
}

func TestAdmissionURLLocalhost(t *testing.T) {
	r := admissionWith(t, "localhost.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "ValidatingWebhookConfiguration", "", "cron-guard",
		"validating webhook cron-guard.example.com fails closed and its URL points at 127.0.0.1, the API server's own host")
	if !slices.Contains(f.Evidence, "clientConfig.url: https://127.0.0.1:9443/validate") {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestAdmissionURLOutsideCluster(t *testing.T) {
	r := admissionWith(t, "outside.yaml")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "ValidatingWebhookConfiguration", "", "compliance-scanner",
		"its URL points outside the cluster (admission.compliance.example.net)")
}

func TestAdmissionMutatingPods(t *testing.T) {
	r := admissionWith(t, "mutating-pods.yaml")
	if r.Status != checks.StatusWarn {
		t.Fatalf("status = %v, want warn (the webhook is reachable):\n%s", r.Status, checktest.DescribeObjectFindings(r))
	}
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "MutatingWebhookConfiguration", "", "image-rewriter",
		"mutating webhook rewrite.registry-mirror.example.com can rewrite images")
	joined := strings.Join(f.Evidence, "\n")
	if !strings.Contains(joined, `rules[0]: operations [CREATE UPDATE], apiGroups [""], resources ["pods"]`) ||
		strings.Contains(joined, "it applies in kube-system too") {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestAdmissionSaysWhenEndpointsWereNotRead(t *testing.T) {
	ctx := context.Background()
	fail := admissionregistrationv1.Fail
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: "guard"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: "pods.guard.example.com", FailurePolicy: &fail,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "guard", Name: "guard"}},
		}},
	}
	svc := &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "guard", Name: "guard"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 443}}}}
	// No EndpointSlices in the snapshot: the check cannot know whether the webhook answers.
	noMutating := &admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: "empty"},
	}
	snap, err := kube.NewObjectSnapshot(ctx, cfg, noMutating, svc)
	if err != nil {
		t.Fatal(err)
	}
	r := checktest.RunCheck(t, &checks.Env{Snapshot: snap}, "api.admission")
	if r.Status != checks.StatusWarn && r.Status != checks.StatusFail {
		t.Fatalf("OK although the endpoints were never read: %+v", r)
	}
	found := false
	for _, f := range r.Findings {
		found = found || strings.Contains(f.Message, "endpoints were not checked")
	}
	if !found {
		t.Errorf("no finding says the endpoints were not checked: %+v", r.Findings)
	}
}

// admissionOnSnapshot runs api.admission on a snapshot file under testdata/partial.
func admissionOnSnapshot(t *testing.T, file string) checks.Result {
	t.Helper()
	snap, err := kube.LoadSnapshot(context.Background(), filepath.Join(checktest.Testdata(), "partial", file))
	if err != nil {
		t.Fatal(err)
	}
	return checktest.RunCheck(t, &checks.Env{Snapshot: snap}, "api.admission")
}

// A snapshot without MutatingWebhookConfigurations still names the broken validating webhook,
// and says the mutating ones were not read: kubectl's output cannot tell none from not asked.
func TestAdmissionSnapshotWithoutMutatingWebhooks(t *testing.T) {
	r := admissionOnSnapshot(t, "webhooks-no-mutating.yaml")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "ValidatingWebhookConfiguration", "", "policy-guard",
		"validating webhook deployments.policy-guard.example.com fails closed and its Service policy-system/policy-guard does not exist")
	if !strings.Contains(r.Summary, "not read: mutatingwebhookconfigurations.admissionregistration.k8s.io (not in the snapshot, or none)") {
		t.Errorf("summary does not name the kind not read: %q", r.Summary)
	}
	// The fail-closed webhook's refusals are read from events, ReplicaSets and Deployments, which
	// the file lacks as well: named too, and nothing concluded from them.
	note := checktest.FindingWith(r, "not judged: mutatingwebhookconfigurations.admissionregistration.k8s.io, namespaces, events, replicasets.apps, deployments.apps")
	if note == nil || note.Severity != checks.StatusOK || len(note.Commands) != 5 ||
		note.Commands[0].String() != "kubectl get mutatingwebhookconfigurations.admissionregistration.k8s.io -o yaml" {
		t.Errorf("no OK finding naming what was not read, with the command that collects it: %+v", note)
	}
}

// Under kockpit's header, a kind listed with no objects is none: nothing to name. Forbidden
// kinds are named as forbidden.
func TestAdmissionSnapshotHeaderTellsNoneFromNotCollected(t *testing.T) {
	r := admissionOnSnapshot(t, "webhooks-header.yaml")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "ValidatingWebhookConfiguration", "", "policy-guard",
		"its Service policy-system/policy-guard does not exist")
	if strings.Contains(r.Summary, "mutatingwebhookconfigurations") {
		t.Errorf("mutating webhooks were listed (none): the summary should not name them: %q", r.Summary)
	}
	if !strings.Contains(r.Summary, "not read: namespaces (forbidden)") {
		t.Errorf("summary = %q, want the forbidden namespaces named", r.Summary)
	}
}

// Services the snapshot's user could not list are not missing: no webhook is said to lack its
// Service, and the check says the Services were not checked.
func TestAdmissionSnapshotServicesForbidden(t *testing.T) {
	r := admissionOnSnapshot(t, "webhooks-services-forbidden.yaml")
	if f := checktest.FindingWith(r, "does not exist"); f != nil {
		t.Errorf("a Service that could not be read is called missing: %+v", f)
	}
	f := checktest.FindingWith(r, "the webhooks' Services were not checked")
	if f == nil || f.Severity != checks.StatusWarn {
		t.Fatalf("no Warn saying the Services were not checked:\n%s", checktest.DescribeObjectFindings(r))
	}
	if !strings.Contains(r.Summary, "services (forbidden)") {
		t.Errorf("summary = %q", r.Summary)
	}
}

package versions

import (
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

// A healthy snapshot read on a machine whose kubectl is five minors older than the snapshot's
// server: that kubectl does not talk to that cluster, so nothing warns or fails.
func TestKubectlOfflineJudgesNothing(t *testing.T) {
	requireUnixShell(t)
	apiserver := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-cp1", Namespace: "kube-system", Labels: map[string]string{"component": "kube-apiserver"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "kube-apiserver", Image: "registry.k8s.io/kube-apiserver:v1.37.2"}}},
	}
	for _, tc := range []struct {
		name string
		mode os.FileMode
	}{{"five minors behind", 0o755}, {"no exec bit", 0o644}} {
		t.Run(tc.name, func(t *testing.T) {
			env := checktest.OfflineEnv(t, apiserver)
			env.Path = writeKubectl(t, versionScript("v1.32.0"), tc.mode)
			r := runKubectlVersion(t.Context(), env)
			if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipOffline {
				t.Fatalf("status = %v %q (%s), want an offline skip", r.Status, r.SkipReason, r.Summary)
			}
			if !strings.Contains(r.Summary, "offline") || !strings.Contains(r.Summary, "v1.37.2") {
				t.Errorf("summary does not say what it would compare: %q", r.Summary)
			}
			if len(r.Findings) == 0 {
				t.Fatal("what the check saw is gone: want its findings kept as notes")
			}
			for _, f := range r.Findings {
				if f.Severity > checks.StatusOK || f.Cause {
					t.Errorf("offline finding judged the reader's machine: %v %q", f.Severity, f.Message)
				}
			}
		})
	}

	// Live, the same skew fails: the offline rule is what changed the verdict.
	r := inspectKubectl(t.Context(), writeKubectl(t, versionScript("v1.32.0"), 0o755), mustKubeVersion(t, "v1.37.2"), nil)
	if r.Status != checks.StatusFail {
		t.Fatalf("live status = %v (%s), want fail", r.Status, r.Summary)
	}
}

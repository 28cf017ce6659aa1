package storage

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube/testcluster"
)

func TestStorageClassSecretsMissing(t *testing.T) {
	withStorage(t, "class-secrets")
	r := checktest.RunLive(t, "storage.classes")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "StorageClass", "", "encrypted",
		"StorageClass encrypted's parameters name 2 Secrets that do not exist: the CSI operations that need them fail for 2 claims")
	want := []string{
		"provisioner secret kube-system/encrypted-provisioner: missing",
		"node-stage secret for claim team-a/vault-data: team-a/vault-data-luks: missing",
		"claims of the class: team-a/ok-data, team-a/vault-data",
	}
	if !slices.Equal(f.Evidence, want) {
		t.Errorf("evidence\n  %q\nwant\n  %q", f.Evidence, want)
	}
	if got := checktest.ExplainedNames(f); !slices.Equal(got, []string{"ok-data", "vault-data"}) {
		t.Errorf("explains %q", got)
	}
	if cmds := checktest.Lines(f.Commands); !slices.Contains(cmds, "kubectl -n kube-system get secret encrypted-provisioner") {
		t.Errorf("commands %q", cmds)
	}
	checktest.RequireLiteralCommands(t, r)
	said := checktest.RequireObjectFinding(t, r, checks.StatusOK, "StorageClass", "", "templated", "no claim resolves yet: not judged")
	if !strings.Contains(strings.Join(said.Evidence, "\n"), "no claim uses the class, so not judged") {
		t.Errorf("evidence %q", said.Evidence)
	}
	if strings.Contains(checktest.DescribeObjectFindings(r), "canary") {
		t.Errorf("a Secret's value is shown")
	}
	// Offline, from the same objects: the same finding.
	off := checktest.RunCheck(t, offlineCopy(t, time.Now(), nil), "storage.classes")
	checktest.RequireObjectFinding(t, off, checks.StatusFail, "StorageClass", "", "encrypted", "name 2 Secrets that do not exist")
}

// A user who may not list Secrets gets no judgement of the class's Secrets, and is told so.
func TestStorageClassSecretsForbidden(t *testing.T) {
	c := checktest.Cluster(t)
	withStorage(t, "class-secrets")
	kc := c.KubeconfigWith(t, func(cfg *clientcmdapi.Config) { cfg.AuthInfos[testcluster.AdminUser].Impersonate = "storage-viewer" })
	r := checktest.RunCheck(t, checktest.LiveEnv(t, kc), "storage.classes")
	if f := checktest.FindingWith(r, "Secrets that do not exist"); f != nil {
		t.Errorf("judged without reading Secrets: %s", f.Message)
	}
	if r.Status != checks.StatusOK || !strings.Contains(r.Summary, "(not read, so not judged: secrets: forbidden") {
		t.Errorf("summary %q", r.Summary)
	}
}

func TestResolveSecretTemplate(t *testing.T) {
	c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "data",
		Annotations: map[string]string{"example.com/key": "kms-key"}}}
	bound := c.DeepCopy()
	bound.Spec.VolumeName = "pvc-123"
	for _, tc := range []struct {
		tmpl, role string
		namespace  bool
		claim      *corev1.PersistentVolumeClaim
		want, err  string
	}{
		{"${pvc.name}-luks", "node-stage", false, c, "data-luks", ""},
		{"${pvc.namespace}", "node-stage", true, c, "team-a", ""},
		{"${pvc.annotations['example.com/key']}", "node-publish", false, c, "kms-key", ""},
		{"${pvc.annotations['example.com/other']}", "node-publish", false, c, "", "no annotation"},
		{"${pvc.annotations['example.com/key']}", "provisioner", false, c, "", "not a template the external provisioner allows"},
		{"${pvc.name}", "node-stage", true, c, "", "not a template the external provisioner allows in the node-stage secret's namespace"},
		{"${pv.name}", "node-stage", false, c, "", errUnresolved.Error()},
		{"${pv.name}", "node-stage", false, bound, "pvc-123", ""},
		{"x-${pvc.name", "node-stage", false, c, "", "closing brace"},
	} {
		got, err := resolveSecretTemplate(tc.tmpl, tc.claim, tc.namespace, tc.role)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q (%s, namespace %v) = %q, %v; want %q, %q", tc.tmpl, tc.role, tc.namespace, got, err, tc.want, tc.err)
		}
	}
}

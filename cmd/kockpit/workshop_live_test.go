package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/workshop"
)

func kockpitIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := execute(args, genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

// TestWorkshopApplyVerify: against the real test apiserver, apply refuses without consent and
// writes after it; verify says unsolved, then solved once the test repairs the Deployment, and
// unsolved again when the broken object is deleted instead of fixed. The audit log shows the
// writes, all from apply's own user agent.
func TestWorkshopApplyVerify(t *testing.T) {
	c := testCluster(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	kc := c.AdminKubeconfig
	admin := adminClient(t, kc)
	ctx := context.Background()
	t.Cleanup(func() {
		_ = admin.AppsV1().Deployments("shop").Delete(context.Background(), "shop", metav1.DeleteOptions{})
	})

	before := appliedWrites(t)
	code, out, errOut := kockpitIn(t, "no\n", "workshop", "apply", "dns-policy-default", "--kubeconfig", kc)
	if code != 2 || !strings.Contains(errOut, `not written: the answer was "no"`) || !strings.Contains(out, "Deployment shop/shop") {
		t.Fatalf("apply without consent: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := appliedWrites(t) - before; n != 0 {
		t.Fatalf("apply wrote %d times without consent", n)
	}

	code, out, errOut = kockpitIn(t, "yes\n", "workshop", "apply", "dns-policy-default", "--kubeconfig", kc)
	if code != 0 || !strings.Contains(out, "wrote Deployment shop/shop") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := appliedWrites(t) - before; n != 2 {
		t.Errorf("apply made %d writes, want 2 (the namespace and the Deployment)", n)
	}

	code, out, errOut = kockpit(t, "workshop", "verify", "dns-policy-default", "--kubeconfig", kc)
	if code != 1 || !strings.HasPrefix(out, "not solved: dns.policy on Deployment shop/shop still reports it") {
		t.Fatalf("verify before the fix: exit %d %q %s", code, out, errOut)
	}

	d, err := admin.AppsV1().Deployments("shop").Get(ctx, "shop", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.DNSPolicy = "ClusterFirst"
	if _, err := admin.AppsV1().Deployments("shop").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = kockpit(t, "workshop", "verify", "dns-policy-default", "--kubeconfig", kc)
	if code != 0 || !strings.HasPrefix(out, "solved:") {
		t.Fatalf("verify after the fix: exit %d %q %s", code, out, errOut)
	}
	st, err := workshop.LoadState(filepath.Join(os.Getenv("XDG_STATE_HOME"), "kockpit", "workshops.json"))
	if err != nil || st.Solved["dns-policy-default"].Points != workshop.MaxPoints {
		t.Errorf("the solve is not recorded: %v %+v", err, st)
	}

	if err := admin.AppsV1().Deployments("shop").Delete(ctx, "shop", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = kockpit(t, "workshop", "verify", "dns-policy-default", "--kubeconfig", kc)
	if code != 1 || !strings.Contains(out, "is gone. Deleting the broken object does not fix it") {
		t.Errorf("verify after deleting: exit %d %q", code, out)
	}
}

// TestWorkshopApplyRefuses: a server on a public address, a server behind a proxy, and a
// missing answer are refused with exit 2 before anything is written.
func TestWorkshopApplyRefuses(t *testing.T) {
	public := writeKubeconfig(t, "https://8.8.8.8:6443")
	before := 0
	if testCluster(t) != nil {
		before = appliedWrites(t)
	}
	code, _, errOut := kockpitIn(t, "yes\n", "workshop", "apply", "dns-policy-default", "--kubeconfig", public)
	if code != 2 || !strings.Contains(errOut, "refusing to write: the server https://8.8.8.8:6443 is at 8.8.8.8, which is neither loopback nor a private network") {
		t.Errorf("public server: exit %d %s", code, errOut)
	}
	proxied := testCluster(t).KubeconfigWith(t, func(c *clientcmdapi.Config) {
		for _, cl := range c.Clusters {
			cl.ProxyURL = "http://10.0.0.1:3128"
		}
	})
	code, _, errOut = kockpitIn(t, "yes\n", "workshop", "apply", "dns-policy-default", "--kubeconfig", proxied)
	if code != 2 || !strings.Contains(errOut, "refusing to write: the writes would go through the proxy http://10.0.0.1:3128") {
		t.Errorf("a proxied server: exit %d %s", code, errOut)
	}
	code, _, errOut = kockpitIn(t, "", "workshop", "apply", "dns-policy-default", "--kubeconfig", testCluster(t).AdminKubeconfig)
	if code != 2 || !strings.Contains(errOut, `not written: the answer was ""`) {
		t.Errorf("no answer: exit %d %s", code, errOut)
	}
	if n := appliedWrites(t) - before; n != 0 {
		t.Errorf("%d writes", n)
	}
}

// appliedWrites counts the writes the audit log shows from workshop apply.
func appliedWrites(t *testing.T) int {
	t.Helper()
	w, err := testCluster(t).WritesBy(workshop.ApplyUserAgentPrefix)
	if err != nil {
		t.Fatal(err)
	}
	return len(w)
}

func adminClient(t *testing.T, kubeconfig string) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(cfg)
}

func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: server}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "x"}
	cfg.Contexts["ctx"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = "ctx"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWorkshopVerifyByProblem: a scenario whose cause is named by check and problem (no default
// StorageClass, a finding about no object) is unsolved after apply and solved once a class is
// made the default; another problem of the same check (the class's provisioner, which the test
// cluster does not run) does not count as the cause.
func TestWorkshopVerifyByProblem(t *testing.T) {
	c := testCluster(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	kc := c.AdminKubeconfig
	admin := adminClient(t, kc)
	ctx := context.Background()
	t.Cleanup(func() {
		ctx := context.Background()
		_ = admin.AppsV1().StatefulSets("analytics").Delete(ctx, "metabase-db", metav1.DeleteOptions{})
		_ = admin.CoreV1().PersistentVolumeClaims("analytics").Delete(ctx, "data-metabase-db-0", metav1.DeleteOptions{})
		_ = admin.AppsV1().Deployments("analytics").Delete(ctx, "metabase", metav1.DeleteOptions{})
		for _, sc := range []string{"standard", "nfs-archive"} {
			_ = admin.StorageV1().StorageClasses().Delete(ctx, sc, metav1.DeleteOptions{})
		}
	})
	if code, out, errOut := kockpitIn(t, "yes\n", "workshop", "apply", "storage-no-default-class", "--kubeconfig", kc); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	const cause = "storage.classes on PersistentVolumeClaim analytics/data-metabase-db-0: no-default-class"
	code, out, errOut := kockpit(t, "workshop", "verify", "storage-no-default-class", "--kubeconfig", kc)
	if code != 1 || !strings.HasPrefix(out, "not solved: "+cause+" still reports it") {
		t.Fatalf("verify before the fix: exit %d %q %s", code, out, errOut)
	}
	// Deleting the claim the missing default keeps Pending makes the finding go, and is no fix.
	if err := admin.CoreV1().PersistentVolumeClaims("analytics").Delete(ctx, "data-metabase-db-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Its pvc-protection finalizer keeps it Terminating: being deleted is deleted.
	code, out, errOut = kockpit(t, "workshop", "verify", "storage-no-default-class", "--kubeconfig", kc)
	if code != 1 || !strings.HasPrefix(out, "not solved: "+cause+" is gone") {
		t.Fatalf("verify with the claim deleted: exit %d %q %s", code, out, errOut)
	}
	if _, err := admin.CoreV1().PersistentVolumeClaims("analytics").Patch(ctx, "data-metabase-db-0", types.MergePatchType,
		[]byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	if code, out, errOut := kockpitIn(t, "yes\n", "workshop", "apply", "storage-no-default-class", "--kubeconfig", kc); code != 0 {
		t.Fatalf("apply again: exit %d\n%s\n%s", code, out, errOut)
	}
	sc, err := admin.StorageV1().StorageClasses().Get(ctx, "standard", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sc.Annotations["storageclass.kubernetes.io/is-default-class"] = "true"
	if _, err := admin.StorageV1().StorageClasses().Update(ctx, sc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = kockpit(t, "workshop", "verify", "storage-no-default-class", "--kubeconfig", kc)
	if code != 0 || !strings.HasPrefix(out, "solved: storage.classes no longer reports "+cause) {
		t.Fatalf("verify after the fix: exit %d %q %s", code, out, errOut)
	}
}

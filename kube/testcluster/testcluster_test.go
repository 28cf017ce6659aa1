package testcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// shared is the cluster the package's tests use, started by the first that needs it.
var shared = NewLazy(Options{})

func TestMain(m *testing.M) { os.Exit(shared.Run(m)) }

var healthy = filepath.Join("..", "..", "testdata", "fixtures", "healthy")

// clientFor builds a clientset from a kubeconfig with the given user agent.
func clientFor(t *testing.T, kubeconfig, userAgent string) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("loading %s: %v", kubeconfig, err)
	}
	return clientForConfig(t, cfg, userAgent)
}

func clientForConfig(t *testing.T, cfg *rest.Config, userAgent string) kubernetes.Interface {
	t.Helper()
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = userAgent
	cfg.Timeout = 10 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestHealthyFixturesKeepTheirStatus(t *testing.T) {
	ctx := context.Background()
	cs := clientForConfig(t, shared.Get(t).AdminConfig, "testcluster-test")
	t.Run("applied", func(t *testing.T) {
		shared.Get(t).Apply(t, healthy)

		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes.Items) != 3 {
			t.Fatalf("got %d nodes, want 3", len(nodes.Items))
		}
		for _, n := range nodes.Items {
			info := n.Status.NodeInfo
			if info.KubeletVersion != "v1.37.2" || info.ContainerRuntimeVersion != "containerd://2.1.4" {
				t.Errorf("node %s: nodeInfo %+v lost the fixture's versions", n.Name, info)
			}
			if !nodeReady(&n) {
				t.Errorf("node %s is not Ready: %+v", n.Name, n.Status.Conditions)
			}
			if n.Spec.PodCIDR == "" {
				t.Errorf("node %s has no podCIDR", n.Name)
			}
		}

		api, err := cs.CoreV1().Pods("kube-system").Get(ctx, "kube-apiserver-cp1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if api.Status.Phase != corev1.PodRunning || len(api.Status.ContainerStatuses) != 1 || !api.Status.ContainerStatuses[0].Ready {
			t.Errorf("kube-apiserver-cp1 status not kept: %+v", api.Status)
		}
		if api.Labels["component"] != "kube-apiserver" || api.Spec.Containers[0].Image != "registry.k8s.io/kube-apiserver:v1.37.2" {
			t.Errorf("kube-apiserver-cp1: labels %v image %s", api.Labels, api.Spec.Containers[0].Image)
		}

		dns, err := cs.CoreV1().Services("kube-system").Get(ctx, "kube-dns", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if dns.Spec.ClusterIP != "10.96.0.10" || len(dns.Spec.Ports) != 3 {
			t.Errorf("kube-dns: clusterIP %s, %d ports", dns.Spec.ClusterIP, len(dns.Spec.Ports))
		}
		coredns, err := cs.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if coredns.Status.ReadyReplicas != 2 {
			t.Errorf("coredns: %d ready replicas, want the fixture's 2", coredns.Status.ReadyReplicas)
		}
	})
	// The subtest's cleanup has run: what Apply made is gone, the namespace stays.
	if _, err := cs.CoreV1().Nodes().Get(ctx, "cp1", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("node cp1 after cleanup: %v, want NotFound", err)
	}
	if _, err := cs.CoreV1().Pods("team-a").Get(ctx, "web-5d7f8b9c6d-x2k9p", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("pod web-5d7f8b9c6d-x2k9p after cleanup: %v, want NotFound", err)
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "team-a", metav1.GetOptions{}); err != nil {
		t.Errorf("namespace team-a after cleanup: %v", err)
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func TestViewerReadsOnlyItsNamespace(t *testing.T) {
	shared.Get(t).Apply(t, filepath.Join(healthy, "team-a.yaml"))
	ctx := context.Background()
	viewer := clientFor(t, shared.Get(t).ViewerKubeconfig, "testcluster-test")

	pods, err := viewer.CoreV1().Pods(shared.Get(t).ViewerNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("viewer listing pods in %s: %v", shared.Get(t).ViewerNamespace, err)
	}
	if len(pods.Items) != 2 {
		t.Errorf("viewer sees %d pods in %s, want 2", len(pods.Items), shared.Get(t).ViewerNamespace)
	}
	if _, err := viewer.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("viewer listing nodes: %v, want Forbidden", err)
	}
	if _, err := viewer.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("viewer listing pods in all namespaces: %v, want Forbidden", err)
	}
	if _, err := viewer.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("viewer listing pods in kube-system: %v, want Forbidden", err)
	}
}

func TestViewRoleIsAggregated(t *testing.T) {
	cs := clientForConfig(t, shared.Get(t).AdminConfig, "testcluster-test")
	role, err := cs.RbacV1().ClusterRoles().Get(context.Background(), "view", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(role.Rules) == 0 {
		t.Fatal("ClusterRole view has no rules: the aggregation controller did not run")
	}
}

func TestAuditEventsSeeARequest(t *testing.T) {
	agent := "testcluster-test/audit-" + randomSuffix(t)
	cs := clientForConfig(t, shared.Get(t).AdminConfig, agent)
	if _, err := cs.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "no-such-map", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("getting a missing ConfigMap: %v", err)
	}
	events, err := shared.Get(t).AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.UserAgent != agent {
			continue
		}
		uri := "/api/v1/namespaces/kube-system/configmaps/no-such-map"
		if strings.HasPrefix(e.RequestURI, uri+"?") { // client-go adds ?timeout=
			e.RequestURI = uri
		}
		want := AuditEvent{Verb: "get", UserAgent: agent, User: AdminUser, Resource: "configmaps", Namespace: "kube-system",
			Name: "no-such-map", RequestURI: uri, Code: 404}
		if e != want {
			t.Errorf("audit event\n got %+v\nwant %+v", e, want)
		}
		return
	}
	t.Fatalf("no audit event with user agent %q among %d", agent, len(events))
}

// TestWritesBy runs its own cluster: its kockpit write would fail this package's read-only
// proof in Main otherwise. It also covers Options.Fixtures and Stop.
func TestWritesBy(t *testing.T) {
	begin := time.Now()
	c, err := Start(Options{Fixtures: []string{filepath.Join(healthy, "nodes.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second cluster up in %s", time.Since(begin).Round(time.Millisecond))
	defer func() {
		c.Stop()
		if _, err := os.Stat(c.Dir); !os.IsNotExist(err) {
			t.Errorf("Stop left %s: %v", c.Dir, err)
		}
	}()
	ctx := context.Background()
	kockpit := clientForConfig(t, c.AdminConfig, "kockpit/test")
	if nodes, err := kockpit.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil || len(nodes.Items) != 3 {
		t.Fatalf("Options.Fixtures: listing nodes: %v (%d nodes, want 3)", err, len(nodes.Items))
	}
	ssar := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods"},
	}}
	if _, err := kockpit.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, ssar, metav1.CreateOptions{}); err != nil {
		t.Fatalf("asking a SelfSubjectAccessReview: %v", err)
	}
	// The DNS probe's port-forward over SPDY is a POST to pods/portforward: audited as a create,
	// yet it stores nothing. It fails here (no such pod), and is left out either way.
	_ = kockpit.CoreV1().RESTClient().Post().Namespace("default").Resource("pods").Name("nope").SubResource("portforward").Do(ctx).Error()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "written-by-kockpit", Namespace: "default"}}
	if _, err := kockpit.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a ConfigMap: %v", err)
	}

	writes, err := c.WritesBy("kockpit/")
	if err != nil {
		t.Fatal(err)
	}
	if len(writes) != 1 {
		t.Fatalf("WritesBy found %d writes, want just the ConfigMap create: %v", len(writes), writes)
	}
	if w := writes[0]; w.Verb != "create" || w.Resource != "configmaps" || w.Namespace != "default" || w.Code != 201 {
		t.Errorf("write %+v, want the ConfigMap create", w)
	}
	events, err := c.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(events, func(e AuditEvent) bool {
		return e.Verb == "create" && e.Subresource == "portforward" && e.UserAgent == "kockpit/test"
	}) {
		t.Error("the port-forward create is not in the audit log: the test above proves nothing")
	}
}

func TestKubeconfigWith(t *testing.T) {
	ctx := context.Background()
	list := func(kubeconfig string) error {
		_, err := clientFor(t, kubeconfig, "testcluster-test").CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		return err
	}
	if err := list(shared.Get(t).KubeconfigWith(t, nil)); err != nil {
		t.Fatalf("unchanged admin kubeconfig: %v", err)
	}
	if err := list(shared.Get(t).AdminKubeconfig); err != nil {
		t.Fatalf("AdminKubeconfig: %v", err)
	}

	unknownToken := shared.Get(t).KubeconfigWith(t, func(cfg *clientcmdapi.Config) {
		cfg.AuthInfos[AdminUser].Token = "not-a-token"
	})
	if err := list(unknownToken); !apierrors.IsUnauthorized(err) {
		t.Errorf("unknown token: %v, want Unauthorized", err)
	}

	other, err := newPKI()
	if err != nil {
		t.Fatal(err)
	}
	wrongCA := shared.Get(t).KubeconfigWith(t, func(cfg *clientcmdapi.Config) {
		cfg.Clusters[ClusterName].CertificateAuthorityData = other.caPEM
	})
	if err := list(wrongCA); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("wrong CA: %v, want a certificate error", err)
	}

	localhost := shared.Get(t).KubeconfigWith(t, func(cfg *clientcmdapi.Config) {
		cfg.Clusters[ClusterName].Server = strings.Replace(shared.Get(t).Server, "127.0.0.1", "localhost", 1)
	})
	if err := list(localhost); err != nil {
		t.Errorf("server URL by name (localhost is in the certificate): %v", err)
	}
}

func TestKubectlDumpsTheCluster(t *testing.T) {
	kubectl := filepath.Join(shared.Get(t).BinDir, "kubectl")
	if !isExecutable(kubectl) {
		if os.Getenv("KOCKPIT_REQUIRE_CLUSTER") == "1" {
			t.Fatalf("%s missing: run hack/kube-binaries.sh", kubectl)
		}
		t.Skipf("%s missing: run hack/kube-binaries.sh", kubectl)
	}
	shared.Get(t).Apply(t, filepath.Join(healthy, "nodes.yaml"))
	out, err := exec.Command(kubectl, "--kubeconfig", shared.Get(t).AdminKubeconfig, "get", "nodes,pods", "-A", "-o", "yaml").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "kubeletVersion: v1.37.2") {
		t.Errorf("kubectl's dump lacks the nodes' kubeletVersion:\n%s", out)
	}
}

func randomSuffix(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

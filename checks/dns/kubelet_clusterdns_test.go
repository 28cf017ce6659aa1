package dns

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube"
)

// fakeKubelet serves /configz over HTTPS on a non-loopback address of this machine (the API
// server's node proxy refuses loopback), as a kubelet would, and applies a Node that points at
// it. It returns the node's name and how many times the kubelet was asked. Each call names its
// node anew: the API server may still know a deleted node's old port for a while.
func fakeKubelet(t *testing.T, clusterDNS []string, domain string) (string, *atomic.Int32) {
	t.Helper()
	ip := hostIP(t)
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	var asked atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		if r.URL.Path != "/configz" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"kubeletconfig": map[string]any{
			"clusterDNS": clusterDNS, "clusterDomain": domain, "resolvConf": "/run/systemd/resolve/resolv.conf",
		}})
	}))
	srv.Listener = ln
	// No keep-alive: the API server's idle connection would hold Close for seconds.
	srv.Config.SetKeepAlivesEnabled(false)
	srv.StartTLS()
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	tmpl, err := os.ReadFile("../../testdata/fixtures/dns-kubelet-clusterdns/node.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	node := "dnsnode" + strconv.Itoa(int(fakeKubelets.Add(1)))
	fixture := strings.NewReplacer("${NODE_NAME}", node, "${KUBELET_IP}", ip, "${KUBELET_PORT}", port).Replace(string(tmpl))
	path := filepath.Join(t.TempDir(), "node.yaml")
	if err := os.WriteFile(path, []byte(fixture), 0o600); err != nil {
		t.Fatal(err)
	}
	checktest.Cluster(t).Apply(t, path)
	return node, &asked
}

// fakeKubelets counts the fake kubelets' nodes, to name each anew.
var fakeKubelets atomic.Int32

// hostIP is a non-loopback IPv4 address of this machine, or the test is skipped.
func hostIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("no network interfaces to serve a kubelet on: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address: the API server's node proxy refuses loopback kubelets")
	return ""
}

// TestKubeletClusterDNSLive reads a kubelet's configuration through the real API server's node
// proxy: the fake kubelet says 10.96.0.99 while kube-dns is at 10.96.0.10.
func TestKubeletClusterDNSLive(t *testing.T) {
	node, asked := fakeKubelet(t, []string{"10.96.0.99"}, "cluster.local")
	env := checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig)
	r := checktest.RunCheck(t, env, "dns.kubelet-clusterdns")
	if asked.Load() == 0 {
		t.Fatalf("the kubelet was never asked: %v %q", r.Status, r.Summary)
	}
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v (%s), want fail: %+v", r.Status, r.Summary, r.Findings)
	}
	f := r.Findings[0]
	if f.Object == nil || f.Object.Kind != "Node" || f.Object.Name != node || !f.Cause ||
		f.Evidence[0] != "kubeletconfig.clusterDNS: [10.96.0.99]" || f.Evidence[1] != "kube-dns Service clusterIP: 10.96.0.10" {
		t.Errorf("finding = %+v", f)
	}
	if !strings.Contains(f.Message, "the kubelet of node "+node+" gives pods the nameserver 10.96.0.99 instead of the kube-dns Service 10.96.0.10") {
		t.Errorf("message = %q", f.Message)
	}
	// The healthy fixture's nodes have no kubelet to answer: they are said to be unread, not OK.
	if !strings.Contains(r.Summary, "1 of 1 kubelet(s) give pods another nameserver") || !strings.Contains(r.Summary, "3 did not answer") {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestKubeletClusterDNSLiveHealthy(t *testing.T) {
	fakeKubelet(t, []string{"10.96.0.10"}, "cluster.local")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.kubelet-clusterdns")
	if r.Status != checks.StatusOK || !strings.HasPrefix(r.Summary, "1 kubelet(s) give pods the kube-dns Service 10.96.0.10") {
		t.Fatalf("got %v %q %+v", r.Status, r.Summary, r.Findings)
	}
}

// TestKubeletClusterDNSUnreachable: the healthy fixture's kubelets do not exist; the check says
// so with the reason, and never reports OK.
func TestKubeletClusterDNSUnreachable(t *testing.T) {
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.kubelet-clusterdns")
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipUnreachable || !strings.Contains(r.Summary, "no kubelet answered") {
		t.Fatalf("got %v %s %q", r.Status, r.SkipReason, r.Summary)
	}
}

func TestKubeletClusterDNSForbidden(t *testing.T) {
	// The viewer may not even list nodes: the check skips on that, before any proxy request.
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).ViewerKubeconfig), "dns.kubelet-clusterdns")
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipForbidden {
		t.Fatalf("got %v %s %q", r.Status, r.SkipReason, r.Summary)
	}
}

func TestKubeletClusterDNSOffline(t *testing.T) {
	r := checktest.RunCheck(t, &checks.Env{Snapshot: checktest.Snapshot(t)}, "dns.kubelet-clusterdns")
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipOffline {
		t.Fatalf("got %v %s %q", r.Status, r.SkipReason, r.Summary)
	}
}

// The judgement itself, for what the test cluster cannot show: many nodes, node-local DNS,
// forbidden proxies, disagreeing domains.

func kubeDNSService(ip string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Namespace: "kube-system"},
		Spec:       corev1.ServiceSpec{ClusterIP: ip, ClusterIPs: []string{ip}},
	}
}

func answer(node string, dns []string, domain string) kubeletAnswer {
	return kubeletAnswer{node: node, cfg: &kube.KubeletConfig{ClusterDNS: dns, ClusterDomain: domain}}
}

func TestJudgeKubeletClusterDNSGroups(t *testing.T) {
	var answers []kubeletAnswer
	for i := range 8 {
		answers = append(answers, answer("n"+strconv.Itoa(i), []string{"10.96.0.99"}, "cluster.local"))
	}
	answers = append(answers, answer("ok1", []string{"10.96.0.10"}, "cluster.local"),
		answer("empty", nil, "cluster.local"))
	r := judgeKubeletClusterDNS(kubeDNSService("10.96.0.10"), answers, 120, false)
	if r.Status != checks.StatusFail || len(r.Findings) != 2 {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
	g := r.Findings[0]
	if g.Object.Name != "n0" || len(g.Explains) != 7 || !strings.HasPrefix(g.Message, "the kubelets of 8 nodes give pods the nameserver 10.96.0.99") ||
		g.Evidence[2] != "nodes: n0, n1, n2, n3, n4, and 3 more" {
		t.Errorf("grouped finding = %+v", g)
	}
	if !strings.Contains(r.Findings[1].Message, "gives pods no nameserver") {
		t.Errorf("empty clusterDNS = %q", r.Findings[1].Message)
	}
	if !strings.Contains(r.Summary, "9 of 10 kubelet(s)") || !strings.HasSuffix(r.Summary, "(asked the first 10 of 120 nodes, by name)") {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestJudgeKubeletClusterDNSNodeLocal(t *testing.T) {
	answers := []kubeletAnswer{answer("a", []string{"169.254.20.10"}, "cluster.local")}
	if r := judgeKubeletClusterDNS(kubeDNSService("10.96.0.10"), answers, 1, true); r.Status != checks.StatusOK {
		t.Errorf("with NodeLocal DNSCache, a link-local clusterDNS is right: %v %+v", r.Status, r.Findings)
	}
	if r := judgeKubeletClusterDNS(kubeDNSService("10.96.0.10"), answers, 1, false); r.Status != checks.StatusFail {
		t.Errorf("without it, it is not: %v", r.Status)
	}
}

func TestJudgeKubeletClusterDNSErrors(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "a", errors.New("cannot get nodes/proxy"))
	r := judgeKubeletClusterDNS(kubeDNSService("10.96.0.10"), []kubeletAnswer{{node: "a", err: forbidden}, {node: "b", err: forbidden}}, 2, false)
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipForbidden || !strings.Contains(r.Summary, "get nodes/proxy") {
		t.Errorf("all forbidden: %v %s %q", r.Status, r.SkipReason, r.Summary)
	}
	r = judgeKubeletClusterDNS(kubeDNSService("10.96.0.10"), []kubeletAnswer{
		{node: "a", err: errors.New("dial tcp 10.0.0.1:10250: i/o timeout")},
		answer("b", []string{"10.96.0.10"}, "cluster.local"),
		answer("c", []string{"10.96.0.10"}, "corp.example"),
	}, 3, false)
	if r.Status != checks.StatusWarn || !strings.Contains(r.Summary, "1 did not answer") {
		t.Fatalf("mixed: %v %q %+v", r.Status, r.Summary, r.Findings)
	}
	var sawDomain, sawUnread bool
	for _, f := range r.Findings {
		sawDomain = sawDomain || strings.Contains(f.Message, "disagree on the cluster domain")
		sawUnread = sawUnread || (f.Severity == checks.StatusOK && strings.Contains(f.Evidence[0], "node a: dial tcp"))
	}
	if !sawDomain || !sawUnread {
		t.Errorf("findings = %+v", r.Findings)
	}
}

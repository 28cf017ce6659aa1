package api

import (
	"encoding/pem"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/testcluster"
)

// These tests run the api.* checks against the real test cluster, with the healthy fixtures
// loaded, and against kubeconfigs broken the ways guests meet.

var apiCheckIDs = []string{"api.reachable", "api.health", "api.access", "api.kubeconfig", "api.control-plane", "api.apiservices"}

func TestAPIChecksHealthyOnTestCluster(t *testing.T) {
	env := checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig)
	for _, id := range apiCheckIDs {
		t.Run(id, func(t *testing.T) {
			r := checktest.RunCheck(t, env, id)
			if r.Status >= checks.StatusFail || r.Status == checks.StatusSkip {
				t.Errorf("status = %v (%s): %s", r.Status, r.Summary, findingMessages(r))
			}
		})
	}
	r := checktest.RunCheck(t, env, "api.reachable")
	if !strings.Contains(r.Summary, testcluster.KubeVersion) {
		t.Errorf("api.reachable summary = %q, want the server version", r.Summary)
	}
	r = checktest.RunCheck(t, env, "api.access")
	if r.Status != checks.StatusOK || !strings.Contains(r.Summary, `authenticated as "admin"`) {
		t.Errorf("api.access = %v %q", r.Status, r.Summary)
	}
	if got := strings.Join(r.Findings[0].Evidence, "\n"); !strings.Contains(got, "system:masters") {
		t.Errorf("who-am-I evidence = %q, want the admin's groups", got)
	}
	r = checktest.RunCheck(t, env, "api.health")
	if !strings.Contains(r.Summary, "readyz passes") || !strings.Contains(r.Summary, "livez passes") {
		t.Errorf("api.health summary = %q", r.Summary)
	}
}

func TestAPIReachableBrokenKubeconfigsOnTestCluster(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	other := checktest.NewCA(t)

	tests := []struct {
		name    string
		mutate  func(*clientcmdapi.Config)
		message string
	}{
		{"closed port", func(c *clientcmdapi.Config) { c.Clusters[testcluster.ClusterName].Server = "https://" + closedAddr },
			"connection refused at " + closedAddr},
		{"wrong CA", func(c *clientcmdapi.Config) {
			c.Clusters[testcluster.ClusterName].CertificateAuthorityData = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Cert.Raw})
		}, "signed by an authority the kubeconfig does not trust"},
		{"unknown token", func(c *clientcmdapi.Config) { c.AuthInfos[testcluster.AdminUser].Token = "kockpit-unknown-token" },
			"rejected the credentials (401 Unauthorized)"},
		{"wrong name", func(c *clientcmdapi.Config) {
			c.Clusters[testcluster.ClusterName].TLSServerName = "not-the-apiserver.example"
		}, `not valid for "not-the-apiserver.example"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := checktest.LiveEnv(t, checktest.Cluster(t).KubeconfigWith(t, tt.mutate))
			start := time.Now()
			r := checktest.RunCheck(t, env, "api.reachable")
			if took := time.Since(start); took > env.Cluster.RequestTimeout+time.Second {
				t.Errorf("took %s, want at most the request timeout %s", took, env.Cluster.RequestTimeout)
			}
			if r.Status != checks.StatusFail || !strings.Contains(r.Summary, tt.message) {
				t.Fatalf("got %v %q, want fail containing %q", r.Status, r.Summary, tt.message)
			}
			if s := fmt.Sprint(r); strings.Contains(s, "kockpit-unknown-token") {
				t.Errorf("the token leaked into the result: %s", s)
			}
			// The checks that need the server skip or report; none claims health.
			for _, id := range []string{"api.health", "api.access"} {
				if r := checktest.RunCheck(t, env, id); r.Status == checks.StatusOK {
					t.Errorf("%s = ok (%s) with a broken kubeconfig", id, r.Summary)
				}
			}
		})
	}
}

func TestAPIAccessViewerOnTestCluster(t *testing.T) {
	env := checktest.LiveEnv(t, checktest.Cluster(t).ViewerKubeconfig)
	r := checktest.RunCheck(t, env, "api.access")
	if r.Status != checks.StatusWarn {
		t.Fatalf("status = %v (%s), want warn: %s", r.Status, r.Summary, findingMessages(r))
	}
	if who := r.Findings[0]; who.Message != `authenticated as "viewer"` {
		t.Errorf("first finding = %+v, want who-am-I", who)
	}
	degraded := checktest.FindingsWith(r, "checks will be degraded")
	if len(degraded) != 1 {
		t.Fatalf("no degraded-checks finding: %s", findingMessages(r))
	}
	ev := strings.Join(degraded[0].Evidence, "\n")
	for _, want := range []string{"api.control-plane: list pods (all namespaces)", "api.apiservices: list apiservices.apiregistration.k8s.io"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if !strings.Contains(strings.Join(checktest.Lines(degraded[0].Commands), "\n"), "kubectl auth can-i list pods -A") {
		t.Errorf("commands = %q", degraded[0].Commands)
	}
	// The degraded checks themselves skip as forbidden, not fail and not error.
	for _, id := range []string{"api.control-plane", "api.apiservices"} {
		if r := checktest.RunCheck(t, env, id); r.Status != checks.StatusSkip || r.SkipReason != checks.SkipForbidden {
			t.Errorf("%s as viewer = %v %q, want skip forbidden", id, r.Status, r.Summary)
		}
	}
}

func TestAPIControlPlaneBrokenOnTestCluster(t *testing.T) {
	checktest.Cluster(t).Apply(t, "../../testdata/fixtures/api-control-plane-broken")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "api.control-plane")
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v (%s), want fail", r.Status, r.Summary)
	}
	for _, want := range []string{
		"kube-apiserver-cp2: --enable-admission-plugins is given 2 times with different values",
		"kube-apiserver-cp2: the AlwaysDeny admission plugin is enabled",
		"kube-controller-manager-cp2: the replicaset controller is switched off",
		"kube-scheduler-cp2 is crash-looping (12 restarts)",
		"etcd-cp2: --quota-backend-bytes is tiny (16 KiB)",
	} {
		if len(checktest.FindingsWith(r, want)) != 1 {
			t.Errorf("no finding %q in:\n%s", want, findingMessages(r))
		}
	}
	for _, f := range r.Findings {
		if f.Object != nil && strings.HasSuffix(f.Object.Name, "-cp1") && f.Severity > checks.StatusOK {
			t.Errorf("healthy cp1 pod reported: %v %s", f.Severity, f.Message)
		}
	}
	dup := checktest.FindingsWith(r, "is given 2 times")[0]
	if strings.Join(dup.Evidence, "\n") != "--enable-admission-plugins=NodeRestriction\n--enable-admission-plugins=NodeRestriction,AlwaysDeny" {
		t.Errorf("repeated flag evidence = %q", dup.Evidence)
	}
}

func TestAPIServicesUnavailableOnTestCluster(t *testing.T) {
	checktest.Cluster(t).Apply(t, "../../testdata/fixtures/api-apiservice-unavailable")
	// The API server's availability controller, not the fixture, sets the condition: wait for it.
	var r checks.Result
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		r = checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "api.apiservices")
		if len(checktest.FindingsWith(r, "no Available condition yet")) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v (%s), want fail", r.Status, r.Summary)
	}
	fs := checktest.FindingsWith(r, "the APIService v1beta1.metrics.k8s.io is not available")
	if len(fs) != 1 || fs[0].Object.Name != "v1beta1.metrics.k8s.io" ||
		!strings.Contains(strings.Join(fs[0].Evidence, "\n"), "spec.service: kube-system/metrics-server:443") {
		t.Errorf("findings:\n%s", findingMessages(r))
	}
}

func TestAPIKubeconfigLookalikeContextOnTestCluster(t *testing.T) {
	// The current context differs from the real one by a Cyrillic "е" (U+0435).
	path := checktest.Cluster(t).KubeconfigWith(t, func(c *clientcmdapi.Config) {
		c.CurrentContext = strings.Replace(testcluster.AdminContext, "testcluster", "tеstcluster", 1)
	})
	flags := genericclioptions.NewConfigFlags(true)
	flags.KubeConfig = &path
	_, kc, err := kube.Connect(flags, checktest.Version)
	if err == nil || kc == nil {
		t.Fatalf("Connect = %v, %v; want an error and the kubeconfig", kc, err)
	}
	r := runKubeconfig(t.Context(), &checks.Env{Kubeconfig: kc, Now: time.Now})
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v (%s)", r.Status, r.Summary)
	}
	missing := checktest.FindingsWith(r, "does not exist")
	if len(missing) != 1 || missing[0].File == nil || missing[0].File.Path != path {
		t.Fatalf("findings:\n%s", findingMessages(r))
	}
	if ev := strings.Join(missing[0].Evidence, "\n"); !strings.Contains(ev, "U+0435 CYRILLIC SMALL LETTER IE") ||
		!strings.Contains(ev, `looks the same as "admin@testcluster"`) {
		t.Errorf("evidence = %q", ev)
	}
}

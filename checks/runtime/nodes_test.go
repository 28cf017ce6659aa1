package runtime

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

func TestNodesHealthy(t *testing.T) {
	r := checktest.RunLive(t, "runtime.nodes")
	checktest.RequireNoProblems(t, r)
	if r.Status != checks.StatusOK {
		t.Errorf("status = %v (%s)", r.Status, r.Summary)
	}
}

// TestNodes runs against the test API server, v1.37.2: past containerd 1.x's last release.
func TestNodes(t *testing.T) {
	checktest.Cluster(t).Apply(t, checktest.Fixture("runtime-nodes"))
	r := checktest.RunLive(t, "runtime.nodes")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Node", "", "worker3", "node worker3 reports PLEG is not healthy")
	requireEvidence(t, f, `condition Ready=False: "PLEG is not healthy: pleg was last seen active 3m12.5s ago`)
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Node", "", "worker4", "node worker4 reports RuntimeReady=false")
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Node", "", "worker5", "node worker5 runs containerd 1.7.27, which Kubernetes 1.37 does not support")
	requireEvidence(t, f, "cluster version: 1.37.2")
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Node", "", "worker6", "node worker6 runs CRI-O 1.34.2 under kubelet v1.37.2")
	if !f.Written {
		t.Error("the runtime installed on a node is not marked Written: a cause naming the node would take it for its symptom")
	}
	if n := countProblems(r.Findings); n != 4 {
		t.Errorf("want 4 problems:\n%s", checktest.DescribeObjectFindings(r))
	}
}

func runtimeNode(name, runtime, kubelet string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{
		NodeInfo: corev1.NodeSystemInfo{ContainerRuntimeVersion: runtime, KubeletVersion: kubelet}}}
}

// TestNodesSupportWindow: containerd 1.x against the cluster's version and its end-of-life
// dates, CRI-O against the kubelet's minor.
func TestNodesSupportWindow(t *testing.T) {
	dec2026 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	jan2026 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		runtime, kubelet, server string
		now                      time.Time
		want                     checks.Status
	}{
		{"containerd://2.1.4", "v1.37.2", "v1.37.2", dec2026, checks.StatusOK},
		{"containerd://1.7.27", "v1.36.0", "v1.36.0", jan2026, checks.StatusFail},
		{"containerd://1.7.27", "v1.35.1", "v1.35.1", jan2026, checks.StatusOK},
		{"containerd://1.7.27", "v1.35.1", "v1.35.1", dec2026, checks.StatusWarn},
		{"containerd://1.6.36", "v1.33.1", "", jan2026, checks.StatusWarn},
		{"containerd://1.4.13", "v1.30.0", "v1.30.0", jan2026, checks.StatusWarn},
		{"containerd://1.7.27", "v1.36.0", "", jan2026, checks.StatusFail}, // the kubelet's version stands in for the server's
		{"cri-o://1.37.1", "v1.37.2", "v1.37.2", dec2026, checks.StatusOK},
		{"cri-o://1.36.1", "v1.37.2", "v1.37.2", dec2026, checks.StatusWarn},
		{"cri-o://1.33.0", "v1.37.2", "v1.37.2", dec2026, checks.StatusFail},
		{"docker://24.0.7", "v1.37.2", "v1.37.2", dec2026, checks.StatusOK},
		{"containerd://", "v1.37.2", "v1.37.2", dec2026, checks.StatusOK}, // versions.runtime says it
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s on %s at %s", tt.runtime, tt.server, tt.now.Format("2006-01")), func(t *testing.T) {
			var server *version.Version
			if tt.server != "" {
				server = version.MustParseGeneric(tt.server)
			}
			r := judgeNodes([]*corev1.Node{runtimeNode("n", tt.runtime, tt.kubelet)}, server, tt.now)
			if r.Status != tt.want {
				t.Errorf("status %v, want %v:\n%s", r.Status, tt.want, checktest.DescribeObjectFindings(r))
			}
		})
	}
}

package versions

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestSplitRuntimeVersion(t *testing.T) {
	tests := []struct{ raw, name, version string }{
		{"containerd://2.1.4", "containerd", "2.1.4"},
		{"cri-o://1.33.0", "cri-o", "1.33.0"},
		{"docker://24.0.7", "docker", "24.0.7"},
		{"containerd://", "containerd", ""},
		{"containerd", "containerd", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		name, version := splitRuntimeVersion(tt.raw)
		if name != tt.name || version != tt.version {
			t.Errorf("splitRuntimeVersion(%q) = %q, %q; want %q, %q", tt.raw, name, version, tt.name, tt.version)
		}
	}
}

func TestRuntimeVersions(t *testing.T) {
	tests := []struct {
		name     string
		runtimes []string // one node each, named n0, n1, ...
		status   checks.Status
		messages []string
	}{
		{
			name:     "one runtime",
			runtimes: []string{"containerd://2.1.4", "containerd://2.1.4", "containerd://2.1.4"},
			status:   checks.StatusOK,
		},
		{
			name:     "mixed runtimes",
			runtimes: []string{"containerd://2.1.4", "containerd://2.1.4", "cri-o://1.33.0"},
			status:   checks.StatusWarn,
			messages: []string{"nodes run different container runtimes: containerd on 2 nodes, cri-o on 1 node"},
		},
		{
			name:     "mixed versions",
			runtimes: []string{"containerd://2.1.4", "containerd://1.7.13", "containerd://2.1.4"},
			status:   checks.StatusWarn,
			messages: []string{"containerd versions differ across nodes: 2.1.4 on 2 nodes, 1.7.13 on 1 node"},
		},
		{
			name:     "mixed runtimes and versions",
			runtimes: []string{"containerd://2.1.4", "containerd://1.7.13", "docker://24.0.7"},
			status:   checks.StatusWarn,
			messages: []string{
				"nodes run different container runtimes: containerd on 2 nodes, docker on 1 node",
				"containerd versions differ across nodes",
			},
		},
		{
			name:     "empty version",
			runtimes: []string{"containerd://2.1.4", "", "containerd://"},
			status:   checks.StatusWarn,
			messages: []string{
				"node n1 reports no container runtime version",
				`node n2 reports a container runtime without a version: "containerd://"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []runtime.Object
			for i, rt := range tt.runtimes {
				objs = append(objs, versionsNode(fmt.Sprintf("n%d", i), "v1.37.2", rt))
			}
			r := checktest.RunCheck(t, checktest.OfflineEnv(t, objs...), "versions.runtime")
			if r.Status != tt.status {
				t.Errorf("status = %v (%s), want %v", r.Status, r.Summary, tt.status)
			}
			var warnings int
			for _, f := range r.Findings {
				if f.Severity == checks.StatusWarn {
					warnings++
				}
			}
			if warnings != len(tt.messages) {
				t.Errorf("got %d warnings, want %d: %+v", warnings, len(tt.messages), r.Findings)
			}
			for _, m := range tt.messages {
				if len(checktest.FindingsWith(r, m)) != 1 {
					t.Errorf("no finding %q in %+v", m, r.Findings)
				}
			}
		})
	}
}

func TestRuntimeVersionsEvidenceTruncates(t *testing.T) {
	var objs []runtime.Object
	for i := range 8 {
		objs = append(objs, versionsNode(fmt.Sprintf("a%d", i), "v1.37.2", "containerd://2.1.4"))
	}
	objs = append(objs, versionsNode("odd", "v1.37.2", "cri-o://1.33.0"))
	for i := range 11 {
		objs = append(objs, versionsNode(fmt.Sprintf("z%02d", i), "v1.37.2", ""))
	}
	r := checktest.RunCheck(t, checktest.OfflineEnv(t, objs...), "versions.runtime")
	mixed := checktest.FindingsWith(r, "different container runtimes")
	if len(mixed) != 1 {
		t.Fatalf("findings = %+v", r.Findings)
	}
	ev := strings.Join(mixed[0].Evidence, "\n")
	if !strings.Contains(ev, "containerd://2.1.4: a0, a1, a2, a3, a4 and 3 more") || !strings.Contains(ev, "cri-o://1.33.0: odd") {
		t.Errorf("evidence:\n%s", ev)
	}
	grouped := checktest.FindingsWith(r, "11 nodes report no container runtime version")
	if len(grouped) != 1 || grouped[0].Evidence[0] != "nodes: z00, z01, z02, z03, z04 and 6 more" {
		t.Errorf("findings = %+v", r.Findings)
	}
}

func TestRuntimeVersionsNoNodes(t *testing.T) {
	if r := judgeRuntimeVersions(nil); r.Status != checks.StatusSkip {
		t.Errorf("status = %v", r.Status)
	}
}

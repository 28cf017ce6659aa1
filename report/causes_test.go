package report

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
)

func causesRun(order []int) *Report {
	list := []checks.Check{{ID: "network.cni", Category: checks.CategoryNetwork}, {ID: "runtime.nodes", Category: checks.CategoryRuntime}, {ID: "workloads.nodes", Category: checks.CategoryWorkloads}}
	node := checks.ObjectRef{Kind: "Node", Name: "w3"}
	results := []checks.Result{
		{CheckID: "network.cni", Status: checks.StatusFail, Findings: []checks.Finding{
			{ID: "network.cni/DaemonSet/kube-system/cilium/skips", Severity: checks.StatusFail, Cause: true, Message: "cilium skips w3 \x1b[31m",
				Object: &checks.ObjectRef{Kind: "DaemonSet", Namespace: "kube-system", Name: "cilium"}, Explains: []checks.ObjectRef{node}}}},
		{CheckID: "runtime.nodes", Status: checks.StatusFail, Findings: []checks.Finding{{ID: "runtime.nodes/Node/w3/not-ready", Severity: checks.StatusFail, Object: &node, Message: "w3 is NotReady"}}},
		{CheckID: "workloads.nodes", Status: checks.StatusWarn, Findings: []checks.Finding{{ID: "workloads.nodes/Node/w3/strands", Severity: checks.StatusWarn, Object: &node, Message: "w3 strands 2 pods"}}},
	}
	r := New("test", checks.Source{}, list, time.Unix(0, 0))
	for _, i := range order {
		r.Add(results[i])
	}
	r.Finish(0, nil)
	return r
}

// The causes do not depend on the order results arrive in; every format starts with them, and
// a cluster string in them is made terminal-safe.
func TestCausesSectionFirstAndStable(t *testing.T) {
	a, b := causesRun([]int{0, 1, 2}), causesRun([]int{2, 1, 0})
	if !reflect.DeepEqual(a.Causes, b.Causes) {
		t.Fatalf("causes depend on arrival order:\n%+v\n%+v", a.Causes, b.Causes)
	}
	if len(a.Causes) != 1 || !reflect.DeepEqual(a.Causes[0].Explains, []string{"runtime.nodes/Node/w3/not-ready", "workloads.nodes/Node/w3/strands"}) {
		t.Fatalf("causes %+v", a.Causes)
	}
	for _, format := range Formats {
		var buf bytes.Buffer
		if err := Write(&buf, a, format, false); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		cause, check := strings.Index(out, "cilium skips w3"), strings.Index(out, "\"checks\"")
		if format != "json" {
			check = strings.LastIndex(out, "w3 strands 2 pods")
		}
		if cause < 0 || check < cause {
			t.Errorf("%s: the cause is not first:\n%s", format, out)
		}
		if strings.Contains(out, "\x1b[31m") {
			t.Errorf("%s: an escape sequence reached the output", format)
		}
	}
}

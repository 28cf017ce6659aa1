package checks

import (
	"slices"
	"testing"
)

func TestLayoutOrdersAFindingOnce(t *testing.T) {
	full := Finding{Severity: StatusFail, Message: "kube-scheduler-cp1 is crash-looping",
		Object:   &ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "kube-system", Name: "kube-scheduler-cp1"},
		Evidence: []string{"restarts: 12", "last state: Error"}, Hint: "Read its previous log.",
		Commands: []Command{Cmd("kubectl", "-n", "kube-system", "logs", "kube-scheduler-cp1", "--previous")},
		Cause:    true, Explains: []ObjectRef{{Kind: "Pod", Namespace: "team-a", Name: "web-1"}, {Kind: "Node", Name: "cp1"}},
		ExplainsFindings: []string{"api.control-plane/Pod/team-a/web-1/pending"}}
	var kinds []SectionKind
	var labels []string
	for _, s := range full.Layout() {
		kinds, labels = append(kinds, s.Kind), append(labels, s.Label)
	}
	if want := []SectionKind{SectionAbout, SectionMessage, SectionEvidence, SectionFix, SectionCommands, SectionExplains}; !slices.Equal(kinds, want) {
		t.Errorf("sections %v, want %v", kinds, want)
	}
	if want := []string{"", "", "evidence", "fix", "$", "explains"}; !slices.Equal(labels, want) {
		t.Errorf("labels %q, want %q", labels, want)
	}
	layout := full.Layout()
	if got := layout[0].Lines; !slices.Equal(got, []string{"Pod kube-system/kube-scheduler-cp1"}) {
		t.Errorf("about %q", got)
	}
	if got := layout[5].Lines; !slices.Equal(got, []string{"Pod team-a/web-1", "Node cp1"}) {
		t.Errorf("a cause that names objects explains them: %q", got)
	}

	// Only what a finding has; the findings by ID when it names no object.
	bare := Finding{Message: "the node swaps", File: &FileRef{Path: "/proc/swaps", Line: 2, Column: 1},
		ExplainsFindings: []string{"host.kubelet/var/lib/kubelet/config.yaml/fails-swap-on"}}
	layout = bare.Layout()
	if len(layout) != 3 || layout[0].Lines[0] != "/proc/swaps:2:1" || layout[1].Lines[0] != "the node swaps" ||
		layout[2].Kind != SectionExplains || layout[2].Lines[0] != bare.ExplainsFindings[0] {
		t.Errorf("bare finding laid out as %+v", layout)
	}
}

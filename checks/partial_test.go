package checks

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/kube"
)

// partialSnapshot holds one pod, lists services (none), and records nodes as forbidden;
// configmaps are not in it at all.
func partialSnapshot(t *testing.T) *kube.Snapshot {
	t.Helper()
	fsys := fstest.MapFS{"snap.yaml": &fstest.MapFile{Data: []byte(`apiVersion: kockpit.dev/v1
kind: SnapshotHeader
takenAt: "2026-12-01T10:00:00Z"
listed: [pods, services]
forbidden: [nodes]
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Pod, metadata: {namespace: default, name: web}}
`)}}
	s, err := kube.LoadSnapshotFS(context.Background(), fsys, "snap.yaml", "snap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestListPartialNamesWhatItCouldNotRead(t *testing.T) {
	ctx := context.Background()
	s := partialSnapshot(t)
	var p Partial
	pods, _ := ListPartial[*corev1.Pod](ctx, s, &p, kube.Pods)
	svcs, _ := ListPartial[*corev1.Service](ctx, s, &p, kube.Services)
	nodes, _ := ListPartial[*corev1.Node](ctx, s, &p, kube.Nodes)
	cms, _ := ListPartial[*corev1.ConfigMap](ctx, s, &p, kube.ConfigMaps)
	if len(pods) != 1 || len(svcs) != 0 || nodes != nil || cms != nil {
		t.Fatalf("pods %v services %v nodes %v configmaps %v", pods, svcs, nodes, cms)
	}
	if !p.Read(kube.Pods) || !p.Read(kube.Services) || p.Read(kube.Nodes) || p.Read(kube.ConfigMaps) {
		t.Errorf("read: %+v", p.Unread())
	}
	if p.NoneRead(kube.Pods, kube.Nodes) || !p.NoneRead(kube.Nodes, kube.ConfigMaps) {
		t.Error("NoneRead")
	}
	r := p.Note(Result{Status: StatusOK, Summary: "1 pod"})
	if r.Status != StatusOK || r.Summary != "1 pod; not read: nodes (forbidden), configmaps (not collected)" || len(r.Findings) != 1 {
		t.Fatalf("%+v", r)
	}
	f := r.Findings[0]
	if f.Severity != StatusOK || len(f.Evidence) != 2 || f.Commands[0].String() != "kubectl auth can-i list nodes" ||
		f.Commands[1].String() != "kubectl get configmaps -A -o yaml" {
		t.Errorf("note = %+v", f)
	}
	if skip := p.Skip(); skip.Status != StatusSkip || skip.SkipReason != SkipForbidden ||
		!strings.HasPrefix(skip.Summary, "none of the kinds it judges could be read: nodes (forbidden), configmaps") {
		t.Errorf("skip = %+v", skip)
	}
	// A result that did not judge stays as it is, and says what was not read.
	if r := p.Note(Skipped(SkipNotApplicable, "no webhooks")); r.Status != StatusSkip || len(r.Findings) != 0 ||
		!strings.Contains(r.Summary, "not read: nodes") {
		t.Errorf("note on a skip = %+v", r)
	}
}

func TestListPartialReadEverything(t *testing.T) {
	var p Partial
	if _, err := ListPartial[*corev1.Pod](context.Background(), partialSnapshot(t), &p, kube.Pods); err != nil {
		t.Fatal(err)
	}
	in := Result{Status: StatusWarn, Summary: "as it was"}
	if r := p.Note(in); r.Summary != in.Summary || len(r.Findings) != 0 || r.Status != StatusWarn {
		t.Errorf("%+v", r)
	}
}

// A metadata-only kind's command shows names, never what kockpit does not read (a Secret's values).
func TestListPartialMetadataOnlyCommandShowsNames(t *testing.T) {
	var p Partial
	metas, _ := ListPartial[*metav1.PartialObjectMetadata](context.Background(), partialSnapshot(t), &p, kube.SecretMetadata)
	if metas != nil || p.Read(kube.SecretMetadata) {
		t.Fatalf("secrets read from a snapshot without them: %v", metas)
	}
	f := p.Note(Result{Status: StatusOK, Summary: "x"}).Findings[0]
	if got := f.Commands[0].String(); got != "kubectl get secrets -A -o custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name" {
		t.Errorf("command %q", got)
	}
}

package kube

import (
	"testing"
	"testing/fstest"
	"time"
)

func TestTakenAtIsTheNewestTimestamp(t *testing.T) {
	const files = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1, creationTimestamp: "2026-10-01T00:00:00Z"}
  status:
    conditions:
    - {type: Ready, status: "True", lastHeartbeatTime: "2026-11-01T10:00:00Z", lastTransitionTime: "2026-10-01T00:00:00Z"}
- apiVersion: v1
  kind: Event
  metadata: {name: e1, namespace: shop, creationTimestamp: "2026-11-01T09:00:00Z"}
  involvedObject: {kind: Pod, name: web, namespace: shop}
  lastTimestamp: "2026-11-01T10:05:00Z"
- apiVersion: v1
  kind: Pod
  metadata: {name: web, namespace: shop, creationTimestamp: "2026-11-01T08:00:00Z"}
  spec: {containers: [{name: app, image: nginx}]}
  status:
    containerStatuses:
    - name: app
      ready: false
      restartCount: 3
      image: nginx
      imageID: ""
      state: {running: {startedAt: "2026-11-01T10:04:00Z"}}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: from-the-future, namespace: shop, creationTimestamp: "2999-01-01T00:00:00Z"}
`
	s, err := LoadSnapshotFS(t.Context(), fstest.MapFS{"cluster.yaml": {Data: []byte(files)}}, "cluster.yaml", "cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	at, from := s.TakenAt()
	if want := time.Date(2026, 11, 1, 10, 5, 0, 0, time.UTC); !at.Equal(want) || from != TakenFromTimestamps {
		t.Fatalf("TakenAt = %v (%q), want %v from the event's lastTimestamp; a year-2999 object must not move it", at, from, want)
	}

	bare, err := LoadSnapshotFS(t.Context(), fstest.MapFS{"cm.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n")}}, "cm.yaml", "cm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if at, from := bare.TakenAt(); !at.IsZero() || from != "" {
		t.Errorf("files without timestamps gave TakenAt %v (%q): want unknown", at, from)
	}
}

// kockpit's own header says when the LISTs began: it wins over the objects' timestamps.
func TestTakenAtPrefersTheHeader(t *testing.T) {
	const event = `apiVersion: v1
kind: Event
metadata: {name: e1, namespace: shop}
involvedObject: {kind: Pod, name: web, namespace: shop}
lastTimestamp: "2026-11-30T08:00:00Z"
`
	s, err := loadText(t, map[string]string{"cluster.yaml": testHeader + event})
	if err != nil {
		t.Fatal(err)
	}
	at, from := s.TakenAt()
	if want := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC); !at.Equal(want) || from != TakenFromHeader {
		t.Fatalf("TakenAt = %v (%q), want the header's %v", at, from, want)
	}
}

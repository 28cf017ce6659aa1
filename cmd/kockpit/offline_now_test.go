package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Offline, ages are judged at the snapshot's moment: a kube-apiserver that restarted five
// minutes before a year-old snapshot was taken restarted "recently", and the report says which
// moment it judged.
func TestOfflineNowIsTheSnapshotsMoment(t *testing.T) {
	const snapshot = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: kube-apiserver-cp1
    namespace: kube-system
    labels: {component: kube-apiserver, tier: control-plane}
    creationTimestamp: "2025-11-01T08:00:00Z"
  spec:
    nodeName: cp1
    containers: [{name: kube-apiserver, image: "registry.k8s.io/kube-apiserver:v1.37.2"}]
  status:
    phase: Running
    conditions: [{type: Ready, status: "True", lastTransitionTime: "2025-11-01T09:55:00Z"}]
    containerStatuses:
    - name: kube-apiserver
      ready: true
      restartCount: 3
      image: "registry.k8s.io/kube-apiserver:v1.37.2"
      imageID: ""
      state: {running: {startedAt: "2025-11-01T09:55:00Z"}}
      lastState: {terminated: {exitCode: 1, reason: Error, startedAt: "2025-11-01T09:50:00Z", finishedAt: "2025-11-01T09:55:00Z"}}
- apiVersion: v1
  kind: Event
  metadata: {name: kube-apiserver-cp1.1, namespace: kube-system}
  involvedObject: {kind: Pod, name: kube-apiserver-cp1, namespace: kube-system}
  reason: BackOff
  type: Warning
  lastTimestamp: "2025-11-01T10:00:00Z"
`
	path := filepath.Join(t.TempDir(), "old.yaml")
	if err := os.WriteFile(path, []byte(snapshot), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out, stderr := kockpit(t, "--report", "--format", "json", "--fail-on", "never", "--snapshot", path, "--only", "api.control-plane")
	var r struct {
		Source struct {
			TakenAt   string `json:"takenAt"`
			TakenFrom string `json:"takenFrom"`
		} `json:"source"`
		Checks []struct {
			ID       string                     `json:"id"`
			Findings []struct{ Message string } `json:"findings"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s\n%s", err, out, stderr)
	}
	if r.Source.TakenAt != "2025-11-01T10:00:00Z" || r.Source.TakenFrom == "" {
		t.Errorf("source takenAt = %q (%q), want the event's lastTimestamp", r.Source.TakenAt, r.Source.TakenFrom)
	}
	var messages []string
	for _, c := range r.Checks {
		for _, f := range c.Findings {
			messages = append(messages, f.Message)
		}
	}
	if !strings.Contains(strings.Join(messages, "\n"), "restarted 3 times, last 5m0s ago") {
		t.Errorf("the restart five minutes before the snapshot is not judged at the snapshot's moment: %q", messages)
	}

	_, text, _ := kockpit(t, "--report", "--fail-on", "never", "--snapshot", path, "--only", "api.control-plane")
	if !strings.Contains(text, "as of 2025-11-01T10:00:00Z (the newest timestamp in the files)") {
		t.Errorf("the text report does not say which moment it judged:\n%s", text)
	}
}

// The demo reads its node from a temporary copy, but speaks in the node's paths: a viewer types
// /usr/bin/kubeadm, not the copy's directory.
func TestDemoNamesTheNodesPaths(t *testing.T) {
	_, out, stderr := kockpit(t, "--demo", "--report", "--format", "json", "--fail-on", "never", "--only", "host.")
	if strings.Contains(out, "kockpit-demo-node") || strings.Contains(out, os.TempDir()+"/") {
		t.Errorf("the demo names its temporary copy of the node:\n%s", out)
	}
	for _, want := range []string{`"path": "/usr/bin/kubeadm"`, `"ls -l /usr/bin/kubeadm"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo report lacks %s\n%s\n%s", want, out, stderr)
		}
	}
}

package testcluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestReplace swaps the healthy CoreDNS Deployment and ConfigMap for broken copies, and checks
// both the swap and the restore, statuses included; a fixture object with no counterpart is
// created and removed.
func TestReplace(t *testing.T) {
	ctx := context.Background()
	cs := clientForConfig(t, shared.Get(t).AdminConfig, "testcluster-test")
	shared.Get(t).Apply(t, filepath.Join(healthy, "dns.yaml"))
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	err := os.WriteFile(broken, []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data: {Corefile: "broken"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 0
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers: [{name: coredns, image: registry.k8s.io/coredns/coredns:v1.12.1}]
status: {observedGeneration: 1, replicas: 0, readyReplicas: 0}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: extra, namespace: kube-system}
data: {x: "1"}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("replaced", func(t *testing.T) {
		shared.Get(t).Replace(t, broken)
		cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
		if err != nil || cm.Data["Corefile"] != "broken" {
			t.Fatalf("ConfigMap not replaced: %v %v", err, cm.Data)
		}
		d, err := cs.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
		if err != nil || *d.Spec.Replicas != 0 || d.Status.ReadyReplicas != 0 {
			t.Fatalf("Deployment not replaced: %v", err)
		}
	})
	cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
	if err != nil || cm.Data["Corefile"] == "broken" || cm.Data["Corefile"] == "" {
		t.Errorf("ConfigMap not restored: %v %q", err, cm.Data["Corefile"])
	}
	d, err := cs.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 2 || d.Status.ReadyReplicas != 2 {
		t.Errorf("Deployment not restored with its status: %v %+v", err, d.Status)
	}
	if _, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "extra", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the fixture's own ConfigMap after the test: %v, want NotFound", err)
	}
}

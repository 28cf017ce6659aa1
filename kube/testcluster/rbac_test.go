package testcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// TestBindingsAreInForceWhenApplyReturns: a user bound by a fixture may act at once. Without
// the wait, the RBAC authorizer's informers lag the create and the first LIST is now and then
// forbidden; several users in a row make that lag show.
func TestBindingsAreInForceWhenApplyReturns(t *testing.T) {
	for i := range 5 {
		user := fmt.Sprintf("fresh-viewer-%d", i)
		file := filepath.Join(t.TempDir(), "binding.yaml")
		err := os.WriteFile(file, []byte(fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: %s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: %s}]
`, user, user)), 0o600)
		if err != nil {
			t.Fatal(err)
		}
		shared.Get(t).Apply(t, file)
		cfg := rest.CopyConfig(shared.Get(t).AdminConfig)
		cfg.Impersonate.UserName = user
		cs := clientForConfig(t, cfg, "testcluster-test")
		if _, err := cs.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{Limit: 1}); err != nil {
			t.Errorf("%s, just bound to view, may not list pods: %v", user, err)
		}
	}
}

func TestAccessSpec(t *testing.T) {
	rule := map[string]any{"apiGroups": []any{""}, "resources": []any{"pods"}, "verbs": []any{"get", "list"}}
	spec, ok := accessSpec(map[string]any{"kind": "ServiceAccount", "name": "probe", "namespace": "ops"}, rule, "ops")
	attrs, _ := spec["resourceAttributes"].(map[string]any)
	if !ok || spec["user"] != "system:serviceaccount:ops:probe" || attrs["resource"] != "pods" || attrs["verb"] != "get" || attrs["namespace"] != "ops" {
		t.Errorf("service account: %v %v", ok, spec)
	}
	spec, ok = accessSpec(map[string]any{"kind": "Group", "name": "devs"}, map[string]any{"nonResourceURLs": []any{"/readyz"}, "verbs": []any{"get"}}, "")
	if !ok || spec["nonResourceAttributes"] == nil || spec["groups"] == nil {
		t.Errorf("group, URL: %v %v", ok, spec)
	}
	if _, ok := accessSpec(map[string]any{"kind": "Robot", "name": "x"}, rule, ""); ok {
		t.Error("an unknown subject kind was phrased")
	}
}

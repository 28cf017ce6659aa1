package api

import (
	"context"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

func apiService(name, group string, service map[string]any, conds ...map[string]any) *unstructured.Unstructured {
	spec := map[string]any{"group": group, "version": "v1", "groupPriorityMinimum": int64(100), "versionPriority": int64(100)}
	if service != nil {
		spec["service"] = service
	}
	obj := map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1",
		"kind":       "APIService",
		"metadata":   map[string]any{"name": name},
		"spec":       spec,
	}
	if len(conds) > 0 {
		list := make([]any, len(conds))
		for i, c := range conds {
			list[i] = c
		}
		obj["status"] = map[string]any{"conditions": list}
	}
	return &unstructured.Unstructured{Object: obj}
}

func available(status, reason, message string) map[string]any {
	return map[string]any{"type": "Available", "status": status, "reason": reason, "message": message}
}

func apiRunWithObjects(t *testing.T, run func(context.Context, *checks.Env) checks.Result, objs ...runtime.Object) checks.Result {
	t.Helper()
	return run(t.Context(), &checks.Env{Snapshot: checktest.Snapshot(t, objs...)})
}

func TestAPIServicesHealthy(t *testing.T) {
	r := apiRunWithObjects(t, runAPIServices,
		apiService("v1.", "", nil, available("True", "Local", "Local APIServices are always available")),
		apiService("v1.apps", "apps", nil, available("True", "Local", "")),
		apiService("v1beta1.metrics.k8s.io", "metrics.k8s.io",
			map[string]any{"namespace": "kube-system", "name": "metrics-server", "port": int64(443)},
			available("True", "Passed", "all checks passed")),
	)
	if r.Status != checks.StatusOK || r.Summary != "all 3 APIServices are available" {
		t.Errorf("got %v %q %+v", r.Status, r.Summary, r.Findings)
	}
}

func TestAPIServicesBroken(t *testing.T) {
	r := apiRunWithObjects(t, runAPIServices,
		apiService("v1.", "", map[string]any{"namespace": "default", "name": "evil", "port": int64(443)},
			available("False", "ServiceNotFound", `service/evil in "default" is not present`)),
		apiService("v1beta1.metrics.k8s.io", "metrics.k8s.io",
			map[string]any{"namespace": "kube-system", "name": "metrics-server", "port": int64(443)},
			available("False", "MissingEndpoints", "endpoints for service/metrics-server in \"kube-system\" have no addresses with port name \"https\"")),
		apiService("v1.custom.example.com", "custom.example.com", map[string]any{"namespace": "x", "name": "y"}),
		apiService("v1.аpps", "аpps", nil, available("True", "Local", "")),
	)
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v, want fail", r.Status)
	}
	byMessage := map[string]checks.Finding{}
	for _, f := range r.Findings {
		byMessage[f.Message] = f
	}
	hijack, ok := byMessage["the core API (v1) is handed to the Service default/evil:443 instead of the API server itself"]
	if !ok || hijack.Severity != checks.StatusFail || !hijack.Cause || hijack.Object.Name != "v1." {
		t.Errorf("no hijack finding for v1.: %+v", r.Findings)
	}
	metrics, ok := byMessage["the APIService v1beta1.metrics.k8s.io is not available (MissingEndpoints)"]
	if !ok || metrics.Severity != checks.StatusFail || metrics.Evidence[0] != "Available=False reason=MissingEndpoints" ||
		metrics.Commands[0].String() != "kubectl get apiservice v1beta1.metrics.k8s.io -o yaml" ||
		!strings.Contains(strings.Join(metrics.Evidence, "\n"), "spec.service: kube-system/metrics-server:443") {
		t.Errorf("metrics finding = %+v", metrics)
	}
	if f, ok := byMessage["the APIService has no Available condition yet"]; !ok || f.Severity != checks.StatusWarn {
		t.Errorf("missing condition not reported: %+v", r.Findings)
	}
	lookalike, ok := byMessage["the APIService's name has characters outside ASCII"]
	if !ok || !strings.Contains(lookalike.Evidence[0], "U+0430 CYRILLIC SMALL LETTER A") {
		t.Errorf("look-alike not reported: %+v", lookalike)
	}
	if !strings.HasPrefix(r.Summary, "4 of 4 APIServices need a look: v1., v1.custom.example.com, v1.аpps, v1beta1.metrics.k8s.io") {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestAPIServicesNotCollected(t *testing.T) {
	r := apiRunWithObjects(t, runAPIServices)
	if r.Status != checks.StatusSkip {
		t.Errorf("status = %v, want skip when APIServices were not collected", r.Status)
	}
}

package api

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// apiservicesCheck is the api.apiservices check.
var apiservicesCheck = checks.Check{
	ID:       "api.apiservices",
	Title:    "Every API group is served",
	Category: checks.CategoryAPI,
	Learn:    learn("api.apiservices"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.APIServices},
	Run:      runAPIServices,
}

// builtinGroups are the groups the API server serves itself: their APIServices are Local.
var builtinGroups = map[string]bool{
	"": true, "apps": true, "batch": true, "autoscaling": true, "policy": true,
	"admissionregistration.k8s.io": true, "apiextensions.k8s.io": true, "apiregistration.k8s.io": true,
	"authentication.k8s.io": true, "authorization.k8s.io": true, "certificates.k8s.io": true,
	"coordination.k8s.io": true, "discovery.k8s.io": true, "events.k8s.io": true,
	"flowcontrol.apiserver.k8s.io": true, "internal.apiserver.k8s.io": true, "networking.k8s.io": true,
	"node.k8s.io": true, "rbac.authorization.k8s.io": true, "resource.k8s.io": true,
	"scheduling.k8s.io": true, "storage.k8s.io": true, "storagemigration.k8s.io": true,
}

func runAPIServices(ctx context.Context, env *checks.Env) checks.Result {
	items, err := kube.ListUnstructured(ctx, env.Snapshot, kube.APIServices)
	if err != nil {
		return checks.SkipOrError(err)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].GetName() < items[j].GetName() })
	var findings []checks.Finding
	for _, a := range items {
		findings = append(findings, judgeAPIService(a)...)
	}
	status := checks.Worst(findings)
	if status == checks.StatusOK {
		return checks.Result{Status: checks.StatusOK, Summary: fmt.Sprintf("all %d APIServices are available", len(items))}
	}
	var names []string
	for _, f := range findings {
		if f.Object != nil && f.Severity > checks.StatusOK {
			names = append(names, f.Object.Name)
		}
	}
	names = slices.Compact(names) // findings come in name order
	return checks.Result{Status: status, Findings: findings,
		Summary: fmt.Sprintf("%d of %d APIServices need a look: %s", len(names), len(items), strings.Join(names, ", "))}
}

// judgeAPIService returns what is wrong with one APIService.
func judgeAPIService(a *unstructured.Unstructured) []checks.Finding {
	name := a.GetName()
	ref := &checks.ObjectRef{APIVersion: "apiregistration.k8s.io/v1", Kind: "APIService", Name: name}
	cmd := checks.Cmd("kubectl", "get", "apiservice", name, "-o", "yaml")
	group, _, _ := unstructured.NestedString(a.Object, "spec", "group")
	svcNS, _, _ := unstructured.NestedString(a.Object, "spec", "service", "namespace")
	svcName, _, _ := unstructured.NestedString(a.Object, "spec", "service", "name")
	port, hasPort, _ := unstructured.NestedInt64(a.Object, "spec", "service", "port")
	service := ""
	if svcName != "" {
		service = svcNS + "/" + svcName
		if hasPort {
			service += fmt.Sprintf(":%d", port)
		}
	}

	var findings []checks.Finding
	if service != "" && builtinGroups[group] {
		what := fmt.Sprintf("the built-in group %q", group)
		if group == "" {
			what = "the core API (v1)"
		}
		findings = append(findings, checks.Finding{
			Severity: checks.StatusFail,
			Object:   ref,
			Message:  fmt.Sprintf("%s is handed to the Service %s instead of the API server itself", what, service),
			Evidence: []string{"spec.service: " + service},
			Hint: "Built-in groups are Local: their APIService has no spec.service. Whatever runs behind that " +
				"Service now answers for them. Remove spec.service (" + checks.Cmd("kubectl", "edit", "apiservice", name).String() + "); the " +
				"API server's autoregister controller restores the built-in ones.",
			Commands: []checks.Command{cmd},
			Cause:    true,
		})
	}
	if chars := safetext.Suspicious(name); len(chars) > 0 {
		findings = append(findings, checks.Finding{
			Severity: checks.StatusWarn,
			Object:   ref,
			Message:  "the APIService's name has characters outside ASCII",
			Evidence: safetext.Describe(chars),
			Hint:     "API group names are ASCII; a look-alike character makes a second APIService that looks like a real one.",
			Commands: []checks.Command{cmd},
		})
	}

	cond, found := availableCondition(a)
	switch {
	case !found:
		findings = append(findings, checks.Finding{
			Severity: checks.StatusWarn,
			Object:   ref,
			Message:  "the APIService has no Available condition yet",
			Evidence: serviceEvidence(service),
			Hint:     "The API server's availability controller has not looked at it: it is new, or that controller is stuck.",
			Commands: []checks.Command{cmd},
		})
	case cond["status"] != "True":
		evidence := []string{fmt.Sprintf("Available=%s reason=%s", cond["status"], cond["reason"])}
		if cond["message"] != "" {
			evidence = append(evidence, "message: "+cond["message"])
		}
		evidence = append(evidence, serviceEvidence(service)...)
		hint := "The API server cannot reach what serves this group. Check the Service, its endpoints and " +
			"pods; if nothing should serve it any more (an uninstalled metrics-server), delete the APIService."
		cmds := []checks.Command{cmd}
		if svcName != "" {
			cmds = append(cmds, checks.Cmd("kubectl", "-n", svcNS, "get", "service", svcName),
				checks.Cmd("kubectl", "-n", svcNS, "get", "endpointslices", "-l", "kubernetes.io/service-name="+svcName))
		}
		findings = append(findings, checks.Finding{
			Severity: checks.StatusFail,
			Object:   ref,
			Message:  fmt.Sprintf("the APIService %s is not available (%s)", name, cond["reason"]),
			Evidence: evidence,
			Hint:     hint,
			Commands: cmds,
		})
	}
	return findings
}

// availableCondition returns the Available condition's string fields.
func availableCondition(a *unstructured.Unstructured) (map[string]string, bool) {
	conds, _, _ := unstructured.NestedSlice(a.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != "Available" {
			continue
		}
		out := map[string]string{}
		for _, k := range []string{"status", "reason", "message"} {
			if s, ok := m[k].(string); ok {
				out[k] = s
			}
		}
		return out, true
	}
	return nil, false
}

func serviceEvidence(service string) []string {
	if service == "" {
		return []string{"served locally by the API server"}
	}
	return []string{"spec.service: " + service}
}

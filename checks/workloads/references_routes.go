package workloads

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

const gatewayGroup = "gateway.networking.k8s.io"

// routeFindings judges Ingresses (class, backends) and the Gateway API's Gateways (class) and
// HTTPRoutes (parent Gateways, backend Services), where the server serves those kinds.
func (w *refWorld) routeFindings(ctx context.Context, s *kube.Snapshot) []checks.Finding {
	var out []checks.Finding
	ingresses, _ := checks.ListPartial[*networkingv1.Ingress](ctx, s, &w.p, kube.Ingresses)
	for _, ing := range ingresses {
		out = append(out, w.ingressFindings(ing)...)
	}
	classes := w.listGateway(ctx, s, kube.GatewayClasses)
	if classes != nil {
		w.names["GatewayClass"] = map[string]bool{}
		for _, c := range classes {
			w.names["GatewayClass"]["/"+c.GetName()] = true
		}
	}
	gateways := w.listGateway(ctx, s, kube.Gateways)
	if gateways != nil {
		w.names["Gateway"] = map[string]bool{}
		for _, g := range gateways {
			w.names["Gateway"][g.GetNamespace()+"/"+g.GetName()] = true
		}
	}
	for _, g := range gateways {
		ref := unstructuredRef(g)
		class, _, _ := unstructured.NestedString(g.Object, "spec", "gatewayClassName")
		if found, known := w.exists("GatewayClass", "", class); class != "" && known && !found {
			out = append(out, missingFinding(checks.StatusWarn, ref, "spec.gatewayClassName", "GatewayClass", "", class))
		}
	}
	for _, r := range w.listGateway(ctx, s, kube.HTTPRoutes) {
		out = append(out, w.httpRouteFindings(r)...)
	}
	return out
}

// listGateway lists a Gateway API kind; nil when it could not be read or is not served (said
// in the summary: nothing about it is concluded).
func (w *refWorld) listGateway(ctx context.Context, s *kube.Snapshot, r kube.Resource) []*unstructured.Unstructured {
	if _, err := kube.ListUnstructured(ctx, s, r); errors.Is(err, kube.ErrNotInstalled) {
		w.notServed = append(w.notServed, r.String())
		return nil
	}
	objs, _ := checks.ListPartial[*unstructured.Unstructured](ctx, s, &w.p, r)
	if !w.p.Read(r) {
		return nil
	}
	if objs == nil {
		objs = []*unstructured.Unstructured{}
	}
	return objs
}

func (w *refWorld) ingressFindings(ing *networkingv1.Ingress) []checks.Finding {
	ref := checks.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name}
	var out []checks.Finding
	if c := ing.Spec.IngressClassName; c != nil && *c != "" {
		if found, known := w.exists("IngressClass", "", *c); known && !found {
			out = append(out, missingFinding(checks.StatusWarn, ref, "spec.ingressClassName", "IngressClass", "", *c))
		}
	}
	judge := func(b *networkingv1.IngressBackend, field string) {
		if b == nil || b.Service == nil {
			return
		}
		port := b.Service.Port.Name
		if port == "" {
			port = strconv.Itoa(int(b.Service.Port.Number))
		}
		if f, ok := w.backendFinding(ref, field+".service", ing.Namespace, b.Service.Name, port); ok {
			out = append(out, f)
		}
	}
	judge(ing.Spec.DefaultBackend, "spec.defaultBackend")
	for i, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for j := range rule.HTTP.Paths {
			judge(&rule.HTTP.Paths[j].Backend, fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", i, j))
		}
	}
	return out
}

// backendFinding judges a backend: the Service exists and has the port (a number or a name).
func (w *refWorld) backendFinding(ref checks.ObjectRef, field, namespace, name, port string) (checks.Finding, bool) {
	found, known := w.exists("Service", namespace, name)
	switch {
	case !known:
		return checks.Finding{}, false
	case !found:
		return missingFinding(checks.StatusWarn, ref, field+".name", "Service", namespace, name), true
	case port == "" || port == "0" || servicePort(w.services[namespace+"/"+name], port):
		return checks.Finding{}, false
	}
	f := missingFinding(checks.StatusWarn, ref, field+".port", "Service", namespace, name)
	f.Problem = "missing-port-" + port + "-of-service-" + name
	f.Message = fmt.Sprintf("%s %s sends traffic to port %s of Service %s, which has no such port",
		ref.Kind, visibleName(ref), safetext.Visible(port), safetext.Visible(name))
	f.Evidence[1] = "Service " + safetext.Visible(name) + " ports: " + safetext.Visible(portList(w.services[namespace+"/"+name]))
	f.Commands[1] = checks.Cmd("kubectl", "-n", namespace, "get", "service", name, "-o", "jsonpath={.spec.ports}")
	f.Hint = "Point the backend at a port the Service defines (its port number or name, not the container's targetPort)."
	return f, true
}

func servicePort(svc *corev1.Service, port string) bool {
	for _, p := range svc.Spec.Ports {
		if p.Name == port || strconv.Itoa(int(p.Port)) == port {
			return true
		}
	}
	return false
}

func portList(svc *corev1.Service) string {
	s := ""
	for i, p := range svc.Spec.Ports {
		if i > 0 {
			s += ", "
		}
		s += strconv.Itoa(int(p.Port))
		if p.Name != "" {
			s += " (" + p.Name + ")"
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

func (w *refWorld) httpRouteFindings(r *unstructured.Unstructured) []checks.Finding {
	ref := unstructuredRef(r)
	var out []checks.Finding
	parents, _, _ := unstructured.NestedSlice(r.Object, "spec", "parentRefs")
	for i, p := range parents {
		m, _ := p.(map[string]any)
		group, kind, ns, name := refFields(m, gatewayGroup, "Gateway", r.GetNamespace())
		if group != gatewayGroup || kind != "Gateway" || name == "" {
			continue
		}
		if found, known := w.exists("Gateway", ns, name); known && !found {
			out = append(out, missingFinding(checks.StatusWarn, ref, fmt.Sprintf("spec.parentRefs[%d].name", i), "Gateway", ns, name))
		}
	}
	rules, _, _ := unstructured.NestedSlice(r.Object, "spec", "rules")
	for i, rule := range rules {
		rm, _ := rule.(map[string]any)
		backends, _, _ := unstructured.NestedSlice(rm, "backendRefs")
		for j, b := range backends {
			m, _ := b.(map[string]any)
			group, kind, ns, name := refFields(m, "", "Service", r.GetNamespace())
			if group != "" || kind != "Service" || name == "" {
				continue
			}
			port := ""
			if n, ok, _ := unstructured.NestedInt64(m, "port"); ok {
				port = strconv.FormatInt(n, 10)
			}
			if f, ok := w.backendFinding(ref, fmt.Sprintf("spec.rules[%d].backendRefs[%d]", i, j), ns, name, port); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// refFields reads a Gateway API object reference, with the defaults the API documents.
func refFields(m map[string]any, group, kind, namespace string) (string, string, string, string) {
	str := func(k, def string) string {
		if v, ok := m[k].(string); ok {
			return v
		}
		return def
	}
	return str("group", group), str("kind", kind), str("namespace", namespace), str("name", "")
}

func unstructuredRef(o *unstructured.Unstructured) checks.ObjectRef {
	return checks.ObjectRef{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()}
}

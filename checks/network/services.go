package network

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/nearmiss"
	"github.com/kockpit/kockpit/internal/netpolicy"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/internal/svcendpoints"
	"github.com/kockpit/kockpit/kube"
)

// servicesCheck is the network.services check.
var servicesCheck = checks.Check{
	ID:       "network.services",
	Title:    "Services select pods, name their ports, and have ready endpoints",
	Category: checks.CategoryNetwork,
	Learn:    learn("network.services"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.Services, kube.Pods, kube.EndpointSlices},
	Run:      runNetworkServices,
}

func runNetworkServices(ctx context.Context, env *checks.Env) checks.Result {
	services, err := kube.ListOf[*corev1.Service](ctx, env.Snapshot, kube.Services)
	if err != nil {
		return checks.SkipOrError(err)
	}
	pods, err := kube.ListOf[*corev1.Pod](ctx, env.Snapshot, kube.Pods)
	if err != nil {
		return checks.SkipOrError(err)
	}
	slices, slicesErr := kube.ListOf[*discoveryv1.EndpointSlice](ctx, env.Snapshot, kube.EndpointSlices)
	return judgeServices(services, pods, slices, slicesErr)
}

func judgeServices(services []*corev1.Service, pods []*corev1.Pod, slices []*discoveryv1.EndpointSlice, slicesErr error) checks.Result {
	idx := netpolicy.NewPodIndex(pods, nil, false)
	bySvc := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range slices {
		if name := s.Labels[discoveryv1.LabelServiceName]; name != "" {
			bySvc[s.Namespace+"/"+name] = append(bySvc[s.Namespace+"/"+name], s)
		}
	}
	sort.Slice(services, func(i, j int) bool {
		return services[i].Namespace+"/"+services[i].Name < services[j].Namespace+"/"+services[j].Name
	})
	var findings []checks.Finding
	checked, bad := 0, 0
	for _, svc := range services {
		if svc.Spec.Type == corev1.ServiceTypeExternalName || len(svc.Spec.Selector) == 0 {
			continue
		}
		checked++
		var fs []checks.Finding
		groups := selectedGroups(idx, svc)
		if len(groups) == 0 {
			fs = append(fs, noPodsFinding(idx, svc))
		} else {
			fs = append(fs, targetPortFindings(svc, groups)...)
			if slicesErr == nil {
				fs = append(fs, svcendpoints.Findings(svc, groups, bySvc[svc.Namespace+"/"+svc.Name])...)
			}
		}
		if len(fs) > 0 {
			bad++
			findings = append(findings, fs...)
		}
	}
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	switch {
	case checked == 0:
		r.Summary = "no Service with a selector"
	case bad == 0:
		r.Summary = fmt.Sprintf("all %d Services with a selector match pods and have ready endpoints", checked)
	default:
		r.Summary = fmt.Sprintf("%d of %d Services with a selector need a look", bad, checked)
	}
	if slicesErr != nil {
		r.Summary += fmt.Sprintf(" (EndpointSlices not read, endpoints not checked: %v)", slicesErr)
	}
	return r
}

func selectedGroups(idx *netpolicy.PodIndex, svc *corev1.Service) []*netpolicy.PodGroup {
	ns := idx.Namespaces[svc.Namespace]
	if ns == nil {
		return nil
	}
	var out []*netpolicy.PodGroup
	ns.Each(labels.SelectorFromSet(svc.Spec.Selector), func(g *netpolicy.PodGroup) bool {
		out = append(out, g)
		return true
	})
	return out
}

// maxExplainedPods bounds what a finding names as those it explains (the Service and its pods).
const maxExplainedPods = 20

// noPodsFinding explains a selector that matches no pod: the pods it nearly matches, pods in
// another namespace it would match, or the look-alike characters in it.
func noPodsFinding(idx *netpolicy.PodIndex, svc *corev1.Service) checks.Finding {
	sel := labels.SelectorFromSet(svc.Spec.Selector).String()
	f := checks.Finding{
		Severity: checks.StatusWarn,
		Object:   svcendpoints.ServiceRef(svc),
		Message:  fmt.Sprintf("Service %s/%s selects no pod, so it has no endpoints and its connections fail", svc.Namespace, svc.Name),
		Evidence: []string{"spec.selector: " + sel},
		Hint: "A Service with no pods is fine only while its workload is scaled to zero. Otherwise compare " +
			"the selector with the pods' labels, character by character.",
		Commands: []checks.Command{
			checks.Cmd("kubectl", "-n", svc.Namespace, "get", "pods", "-l", sel),
			checks.Cmd("kubectl", "-n", svc.Namespace, "get", "pods", "--show-labels"),
		},
		Cause:   true,
		Written: true, // the selector, as someone wrote it
	}
	if odd := selectorSuspicious(svc.Spec.Selector); len(odd) > 0 {
		f.Severity = checks.StatusFail
		f.Evidence = append(f.Evidence, odd...)
		f.Hint = "The selector holds characters outside ASCII, which label values almost never do: retype it " +
			"(" + checks.Cmd("kubectl", "-n", svc.Namespace, "edit", "service", svc.Name).String() + ")."
	}
	if ns := idx.Namespaces[svc.Namespace]; ns != nil {
		if m, ok := nearestMiss(ns, svc.Spec.Selector); ok {
			f.Evidence = append(f.Evidence, nearMissEvidence(m)...)
			if m.near {
				f.Severity = checks.StatusFail
				f.Message = fmt.Sprintf("Service %s/%s selects no pod: its selector differs from the labels of %s by %s",
					svc.Namespace, svc.Name, podinfo.Names(m.group.Pods, 2), m.diffs[0].how)
				f.Hint = "Make the selector and the pods' labels the same, character for character " +
					"(" + checks.Cmd("kubectl", "-n", svc.Namespace, "edit", "service", svc.Name).String() + "), and retype any non-ASCII character."
				// The selector was meant for these pods: none gets the Service's traffic, so what
				// their clients see is its doing.
				f.Explains = append(f.Explains, *f.Object)
				for _, p := range m.group.Pods {
					if len(f.Explains) >= maxExplainedPods {
						break
					}
					f.Explains = append(f.Explains, podinfo.Ref(p))
				}
			}
		}
	}
	if f.Severity != checks.StatusFail {
		if elsewhere := otherNamespaces(idx, svc); len(elsewhere) > 0 {
			f.Severity = checks.StatusFail
			f.Message = fmt.Sprintf("Service %s/%s selects no pod in its namespace; the pods it would select are in %s",
				svc.Namespace, svc.Name, phrase.List(elsewhere, 3))
			f.Evidence = append(f.Evidence, "pods matching the selector in: "+strings.Join(elsewhere, ", "))
			f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "pods", "-A", "-l", sel))
			f.Hint = "A Service selects pods of its own namespace only: create it in the pods' namespace, or an " +
				"ExternalName Service pointing at <service>.<namespace>.svc."
		}
	}
	return f
}

func nearMissEvidence(m nearMiss) []string {
	out := []string{fmt.Sprintf("nearest pods: %s, matching %d of %d selector labels", podinfo.Names(m.group.Pods, 3), m.exact, m.exact+len(m.diffs))}
	for _, d := range m.diffs {
		out = append(out, d.String())
	}
	return out
}

// otherNamespaces lists the namespaces (not the Service's) that have pods its selector matches.
func otherNamespaces(idx *netpolicy.PodIndex, svc *corev1.Service) []string {
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	var out []string
	for _, name := range idx.Names {
		if name == svc.Namespace {
			continue
		}
		found := false
		idx.Namespaces[name].Each(sel, func(*netpolicy.PodGroup) bool { found = true; return false })
		if found {
			out = append(out, name)
		}
	}
	return out
}

// targetPortFindings checks each port's targetPort against the selected pods' container ports.
func targetPortFindings(svc *corev1.Service, groups []*netpolicy.PodGroup) []checks.Finding {
	var out []checks.Finding
	for i, sp := range svc.Spec.Ports {
		proto := sp.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		tp := sp.TargetPort
		var missing, total int
		declared := map[string]bool{}
		for _, g := range groups {
			for _, p := range g.Pods {
				total++
				if podHasPort(p, tp.StrVal, tp.IntValue(), proto) {
					continue
				}
				missing++
				if missing <= 3 { // what a few of them declare is evidence enough
					for _, d := range declaredPorts(p) {
						declared[d] = true
					}
				}
			}
		}
		if missing == 0 || tp.StrVal == "" && (len(declared) == 0 || tp.IntValue() == 0) {
			continue // numbers need no declaration: only a pod that declares other ports says much
		}
		out = append(out, targetPortFinding(svc, i, sp, proto, missing, total, declared, groups))
	}
	return out
}

// podHasPort says whether the pod declares the named (or numbered) port with the protocol.
func podHasPort(p *corev1.Pod, name string, number int, proto corev1.Protocol) bool {
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			cproto := cp.Protocol
			if cproto == "" {
				cproto = corev1.ProtocolTCP
			}
			if cproto == proto && (name != "" && cp.Name == name || name == "" && int(cp.ContainerPort) == number) {
				return true
			}
		}
	}
	return false
}

// declaredPorts lists the ports a pod declares: "http 8080/TCP".
func declaredPorts(p *corev1.Pod) []string {
	var out []string
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			proto := cp.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			out = append(out, strings.TrimSpace(fmt.Sprintf("%s %d/%s", cp.Name, cp.ContainerPort, proto)))
		}
	}
	return out
}

func targetPortFinding(svc *corev1.Service, i int, sp corev1.ServicePort, proto corev1.Protocol, missing, total int, declared map[string]bool, groups []*netpolicy.PodGroup) checks.Finding {
	ports := make([]string, 0, len(declared))
	for d := range declared {
		ports = append(ports, d)
	}
	sort.Strings(ports)
	target := sp.TargetPort.String()
	f := checks.Finding{
		Severity: checks.StatusFail,
		Object:   svcendpoints.ServiceRef(svc),
		Evidence: []string{
			fmt.Sprintf("spec.ports[%d]: port %d/%s → targetPort %s", i, sp.Port, proto, target),
			"the pods declare: " + strings.Join(ports, ", "),
		},
		Commands: []checks.Command{
			checks.Cmd("kubectl", "-n", svc.Namespace, "get", "service", svc.Name, "-o", "jsonpath={.spec.ports}"),
			checks.Cmd("kubectl", "-n", svc.Namespace, "get", "pod", groups[0].Pods[0].Name, "-o", "jsonpath={.spec.containers[*].ports}"),
		},
	}
	if sp.TargetPort.StrVal != "" {
		f.Message = fmt.Sprintf("Service %s/%s's targetPort %q names no %s container port of %d of its %d pods: connections to port %d fail",
			svc.Namespace, svc.Name, target, proto, missing, total, sp.Port)
		f.Hint = "A named targetPort must equal the name of a container port, character for character."
		for _, d := range ports {
			name, _, _ := strings.Cut(d, " ")
			if how := nearmiss.Nearness(target, name, ""); how != "" {
				f.Hint += fmt.Sprintf(" The pods have %q, which differs by %s.", name, how)
			}
		}
		if odd := selectorSuspicious(map[string]string{"targetPort": target}); len(odd) > 0 {
			f.Evidence = append(f.Evidence, odd...)
		}
	} else {
		f.Severity = checks.StatusWarn
		f.Message = fmt.Sprintf("Service %s/%s sends port %d to targetPort %s, which %d of its %d pods do not declare",
			svc.Namespace, svc.Name, sp.Port, target, missing, total)
		f.Hint = "Declaring ports is optional, so this may be right; but when the pods declare others, a " +
			"remapped targetPort is the usual reason connections are refused."
	}
	if missing < total {
		f.Severity = checks.StatusWarn
	}
	return f
}

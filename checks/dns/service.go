package dns

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/clusterdns"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// serviceCheck is the dns.service check.
var serviceCheck = checks.Check{
	ID:       "dns.service",
	Title:    "The cluster DNS Service has ready CoreDNS pods behind it",
	Category: checks.CategoryDNS,
	Learn:    learn("dns.service"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.Services, kube.EndpointSlices, kube.Deployments, kube.DaemonSets, kube.Pods},
	Run:      runDNSService,
}

// dnsPort is the port cluster DNS serves on.
const dnsPort = 53

// dnsRestartsWarn is how many restarts of a DNS container, the last one recent, make a Warn.
const dnsRestartsWarn = 3

func runDNSService(ctx context.Context, env *checks.Env) checks.Result {
	svcs, err := kube.ListOf[*corev1.Service](ctx, env.Snapshot, kube.Services)
	if err != nil {
		return checks.SkipOrError(err)
	}
	deps, depsErr := kube.ListOf[*appsv1.Deployment](ctx, env.Snapshot, kube.Deployments)
	dss, dssErr := kube.ListOf[*appsv1.DaemonSet](ctx, env.Snapshot, kube.DaemonSets)
	pods, podsErr := kube.ListOf[*corev1.Pod](ctx, env.Snapshot, kube.Pods)
	slices, slicesErr := kube.ListOf[*discoveryv1.EndpointSlice](ctx, env.Snapshot, kube.EndpointSlices)
	now := time.Now
	if env.Now != nil {
		now = env.Now
	}
	j := &dnsServiceJudge{svc: clusterdns.FindService(svcs), now: now()}
	j.dep = findDNSDeployment(deps, j.svc)
	if j.dep == nil {
		j.ds = findDNSDaemonSet(dss, j.svc)
	}
	var findings []checks.Finding
	findings = append(findings, j.serviceFindings()...)
	// DaemonSets absent from snapshot files are taken as none: CoreDNS runs as one only rarely.
	findings = append(findings, j.workloadFindings(depsErr == nil && (dssErr == nil || errors.Is(dssErr, kube.ErrNotCollected)))...)
	if slicesErr == nil {
		findings = append(findings, j.endpointFindings(slices)...)
	}
	if podsErr == nil {
		dnsPods := dnsServerPods(pods, j.svc)
		findings = append(findings, j.podFindings(dnsPods)...)
		findings = append(findings, j.fakePodFindings(dnsPods)...)
	}
	sortFindingsCausesFirst(findings)
	r := checks.Result{Status: checks.Worst(findings), Findings: findings, Summary: j.summary(findings)}
	r.Summary += unreadNote(map[string]error{"Deployments": depsErr, "DaemonSets": dssErr, "pods": podsErr, "EndpointSlices": slicesErr})
	return r
}

// dnsServiceJudge holds what the dns.service check found, between its steps.
type dnsServiceJudge struct {
	svc *corev1.Service
	dep *appsv1.Deployment
	ds  *appsv1.DaemonSet // CoreDNS run as a DaemonSet, when there is no Deployment
	now time.Time

	readyEndpoints map[string]bool // addresses of the Service's ready endpoints
	endpointsRead  bool
}

func (j *dnsServiceJudge) svcRef() *checks.ObjectRef {
	name := clusterdns.ServiceName
	if j.svc != nil {
		name = j.svc.Name
	}
	return &checks.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: clusterdns.Namespace, Name: name}
}

func (j *dnsServiceJudge) svcCommand() checks.Command {
	return checks.Cmd("kubectl", "-n", clusterdns.Namespace, "get", "service", j.svcRef().Name, "-o", "wide")
}

// findDNSDaemonSet returns a kube-system DaemonSet whose pods the DNS selector picks.
func findDNSDaemonSet(dss []*appsv1.DaemonSet, svc *corev1.Service) *appsv1.DaemonSet {
	sel := clusterdns.Selector(svc)
	for _, d := range dss {
		if d.Namespace == clusterdns.Namespace && sel.Matches(labelsOf(d.Spec.Template.Labels)) {
			return d
		}
	}
	return nil
}

func (j *dnsServiceJudge) serviceFindings() []checks.Finding {
	if j.svc == nil {
		return []checks.Finding{{
			Severity: checks.StatusFail, Object: j.svcRef(), Cause: true,
			Message: "there is no kube-dns Service in kube-system, so the nameserver in every pod's /etc/resolv.conf " +
				"answers nothing and every lookup times out",
			Evidence: []string{fmt.Sprintf("no Service named %s or labelled %s=%s in %s", clusterdns.ServiceName, clusterdns.LabelKey, clusterdns.LabelValue, clusterdns.Namespace)},
			Hint: "Recreate the Service with the ClusterIP the kubelets use as clusterDNS (kubeadm: the tenth " +
				"address of the service range, e.g. 10.96.0.10), selector k8s-app=kube-dns and ports 53/UDP and 53/TCP.",
			Commands: []checks.Command{checks.Cmd("kubectl", "-n", clusterdns.Namespace, "get", "services", "-l", clusterdns.LabelKey+"="+clusterdns.LabelValue)},
		}}
	}
	var findings []checks.Finding
	ip := j.svc.Spec.ClusterIP
	if ip == corev1.ClusterIPNone || ip == "" {
		findings = append(findings, checks.Finding{
			Severity: checks.StatusFail, Object: j.svcRef(), Cause: true,
			Message:  fmt.Sprintf("the %s Service is headless (no ClusterIP), so the kubelets have no address to give pods as their nameserver", j.svc.Name),
			Evidence: []string{fmt.Sprintf("spec.clusterIP: %q", ip)},
			Hint:     "Recreate the Service with the ClusterIP the kubelets' clusterDNS names.",
			Commands: []checks.Command{j.svcCommand()},
		})
	}
	return append(findings, j.portFindings()...)
}

// portFindings reports a DNS Service without 53/UDP or 53/TCP, or whose target port leads where
// CoreDNS does not listen.
func (j *dnsServiceJudge) portFindings() []checks.Finding {
	var findings []checks.Finding
	ports := servicePortsText(j.svc.Spec.Ports)
	for _, want := range []struct {
		proto    corev1.Protocol
		severity checks.Status
		why      string
	}{
		{corev1.ProtocolUDP, checks.StatusFail, "pods ask over UDP first, so every lookup times out"},
		{corev1.ProtocolTCP, checks.StatusWarn, "answers too large for UDP, and clients that use TCP, get no answer"},
	} {
		p := servicePort(j.svc, want.proto)
		if p == nil {
			findings = append(findings, checks.Finding{
				Severity: want.severity, Object: j.svcRef(), Cause: want.severity == checks.StatusFail,
				Message:  fmt.Sprintf("the %s Service has no port %d/%s: %s", j.svc.Name, dnsPort, want.proto, want.why),
				Evidence: []string{"spec.ports: " + ports},
				Hint:     fmt.Sprintf("Add the port: {name: dns%s, port: 53, protocol: %s, targetPort: 53}.", map[corev1.Protocol]string{corev1.ProtocolTCP: "-tcp"}[want.proto], want.proto),
				Commands: []checks.Command{j.svcCommand()},
			})
			continue
		}
		if why := j.targetPortProblem(*p); why != "" {
			findings = append(findings, checks.Finding{
				Severity: checks.StatusFail, Object: j.svcRef(), Cause: true,
				Message:  fmt.Sprintf("the %s Service's port %d/%s sends traffic to %s", j.svc.Name, dnsPort, want.proto, why),
				Evidence: []string{"spec.ports: " + ports},
				Hint:     "Point targetPort at the port CoreDNS listens on: 53 (or the container port's name, dns / dns-tcp).",
				Commands: []checks.Command{j.svcCommand()},
			})
		}
	}
	return findings
}

func servicePort(svc *corev1.Service, proto corev1.Protocol) *corev1.ServicePort {
	for i, p := range svc.Spec.Ports {
		pp := p.Protocol
		if pp == "" {
			pp = corev1.ProtocolTCP
		}
		if p.Port == dnsPort && pp == proto {
			return &svc.Spec.Ports[i]
		}
	}
	return nil
}

func servicePortsText(ports []corev1.ServicePort) string {
	if len(ports) == 0 {
		return "(none)"
	}
	var parts []string
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		parts = append(parts, fmt.Sprintf("%d/%s→%s", p.Port, proto, p.TargetPort.String()))
	}
	return strings.Join(parts, ", ")
}

// targetPortProblem says where a DNS port's targetPort leads when that is not where CoreDNS
// listens, judged by the DNS pods' declared container ports; "" when fine or unknown.
func (j *dnsServiceJudge) targetPortProblem(p corev1.ServicePort) string {
	var spec *corev1.PodSpec
	switch {
	case j.dep != nil:
		spec = &j.dep.Spec.Template.Spec
	case j.ds != nil:
		spec = &j.ds.Spec.Template.Spec
	default:
		return ""
	}
	tp := p.TargetPort
	if tp.Type == intstr.Int && tp.IntVal == 0 {
		tp = intstr.FromInt32(p.Port) // an unset targetPort is the port
	}
	declared, listens53 := false, false
	for _, c := range spec.Containers {
		for _, cp := range c.Ports {
			proto := cp.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			if proto != p.Protocol && !(p.Protocol == "" && proto == corev1.ProtocolTCP) {
				continue
			}
			declared = true
			listens53 = listens53 || cp.ContainerPort == dnsPort
			if (tp.Type == intstr.String && cp.Name == tp.StrVal) || (tp.Type == intstr.Int && cp.ContainerPort == tp.IntVal) {
				return ""
			}
		}
	}
	switch {
	case tp.Type == intstr.String:
		return fmt.Sprintf("the port name %q, which no container of the DNS pods declares, so the Service has no endpoint port", tp.StrVal)
	case declared && listens53:
		return fmt.Sprintf("port %d, where CoreDNS does not listen (its containers declare 53)", tp.IntVal)
	}
	return ""
}

// workloadFindings judges the Deployment (or DaemonSet) that runs cluster DNS.
func (j *dnsServiceJudge) workloadFindings(listed bool) []checks.Finding {
	if j.dep == nil && j.ds != nil {
		return j.daemonSetFindings()
	}
	if j.dep == nil {
		if !listed {
			return nil // cannot tell: the summary says what was not read
		}
		return []checks.Finding{{
			Severity: checks.StatusFail, Object: &checks.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: clusterdns.Namespace, Name: "coredns"},
			Cause: true, Explains: []checks.ObjectRef{*j.svcRef()},
			Message:  "there is no CoreDNS (or kube-dns) Deployment in kube-system, so nothing answers cluster DNS",
			Evidence: []string{fmt.Sprintf("no Deployment named %s, or whose pods the selector %s picks", strings.Join(dnsDeploymentNames, " or "), clusterdns.Selector(j.svc))},
			Hint:     "Reinstall CoreDNS (kubeadm init phase addon coredns) or your distribution's DNS add-on.",
			Commands: []checks.Command{checks.Cmd("kubectl", "-n", clusterdns.Namespace, "get", "deployments")},
		}}
	}
	return j.deploymentFindings()
}

// deploymentFindings judges the replicas of the DNS Deployment.
func (j *dnsServiceJudge) deploymentFindings() []checks.Finding {
	d := j.dep
	ref := podinfo.WorkloadRef("Deployment", &d.ObjectMeta)
	cmds := []checks.Command{checks.Cmd("kubectl", "-n", d.Namespace, "get", "deployment", d.Name), checks.Cmd("kubectl", "-n", d.Namespace, "describe", "deployment", d.Name)}
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	ready := d.Status.ReadyReplicas
	evidence := []string{fmt.Sprintf("spec.replicas: %d", replicas), fmt.Sprintf("status.readyReplicas: %d", ready)}
	for _, c := range d.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			evidence = append(evidence, fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, phrase.Clip(c.Message, 200)))
		}
	}
	switch {
	case replicas == 0:
		return []checks.Finding{{
			Severity: checks.StatusFail, Object: &ref, Cause: true, Explains: []checks.ObjectRef{*j.svcRef()},
			Message:  fmt.Sprintf("the %s Deployment is scaled to zero, so no pod answers DNS and every name lookup in the cluster fails", d.Name),
			Evidence: evidence,
			Hint: fmt.Sprintf("Scale it back: %s (and look for whatever scaled it down: an autoscaler, a GitOps tool).",
				checks.Cmd("kubectl", "-n", d.Namespace, "scale", "deployment", d.Name, "--replicas=2")),
			Commands: cmds,
		}}
	case ready == 0:
		return []checks.Finding{{
			Severity: checks.StatusFail, Object: &ref, Cause: true, Explains: []checks.ObjectRef{*j.svcRef()},
			Message:  fmt.Sprintf("none of the %d pods of the %s Deployment is ready, so cluster DNS answers nothing", replicas, d.Name),
			Evidence: evidence,
			Hint:     "The pods' findings say why; kubectl describe shows their events.",
			Commands: append(cmds, checks.Cmd("kubectl", "-n", d.Namespace, "get", "pods", "-l", clusterdns.Selector(j.svc).String(), "-o", "wide")),
		}}
	case ready < replicas:
		return []checks.Finding{{
			Severity: checks.StatusWarn, Object: &ref,
			Message:  fmt.Sprintf("only %d of the %d pods of the %s Deployment are ready: cluster DNS runs with less capacity and no spare", ready, replicas, d.Name),
			Evidence: evidence,
			Hint:     "The pods' findings say why; kubectl describe shows their events.",
			Commands: append(cmds, checks.Cmd("kubectl", "-n", d.Namespace, "get", "pods", "-l", clusterdns.Selector(j.svc).String(), "-o", "wide")),
		}}
	}
	return nil
}

func (j *dnsServiceJudge) daemonSetFindings() []checks.Finding {
	d := j.ds
	if d.Status.NumberReady > 0 {
		return nil
	}
	ref := podinfo.WorkloadRef("DaemonSet", &d.ObjectMeta)
	return []checks.Finding{{
		Severity: checks.StatusFail, Object: &ref, Cause: true, Explains: []checks.ObjectRef{*j.svcRef()},
		Message: fmt.Sprintf("no pod of the %s DaemonSet that runs cluster DNS is ready, so cluster DNS answers nothing", d.Name),
		Evidence: []string{fmt.Sprintf("status.desiredNumberScheduled: %d", d.Status.DesiredNumberScheduled),
			fmt.Sprintf("status.numberReady: %d", d.Status.NumberReady)},
		Hint:     "kubectl describe shows why its pods are not scheduled or not ready.",
		Commands: []checks.Command{checks.Cmd("kubectl", "-n", d.Namespace, "describe", "daemonset", d.Name)},
	}}
}

// endpointFindings reports a DNS Service without ready endpoints.
func (j *dnsServiceJudge) endpointFindings(slices []*discoveryv1.EndpointSlice) []checks.Finding {
	if j.svc == nil {
		return nil
	}
	j.endpointsRead = true
	j.readyEndpoints = map[string]bool{}
	total, count := 0, 0
	var notReady []string
	for _, s := range slices {
		if s.Namespace != j.svc.Namespace || s.Labels[discoveryv1.LabelServiceName] != j.svc.Name {
			continue
		}
		count++
		for _, e := range s.Endpoints {
			total++
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				for _, a := range e.Addresses {
					j.readyEndpoints[a] = true
				}
				continue
			}
			name := strings.Join(e.Addresses, ",")
			if e.TargetRef != nil {
				name = e.TargetRef.Name + " (" + name + ")"
			}
			notReady = append(notReady, name)
		}
	}
	if len(j.readyEndpoints) > 0 {
		return nil
	}
	evidence := []string{fmt.Sprintf("%d EndpointSlice(s), %d endpoint(s), none ready", count, total)}
	if len(notReady) > 0 {
		evidence = append(evidence, "not ready: "+strings.Join(compactNames(notReady, 5), ", "))
	}
	if len(j.svc.Spec.Selector) > 0 {
		evidence = append(evidence, "selector: "+clusterdns.Selector(j.svc).String())
	}
	return []checks.Finding{{
		Severity: checks.StatusFail, Object: j.svcRef(),
		Message:  fmt.Sprintf("the %s Service has no ready endpoints, so every DNS query in the cluster goes unanswered", j.svc.Name),
		Evidence: evidence,
		Hint:     "Make the DNS pods ready (see the Deployment's and pods' findings), or fix a selector that no longer matches them.",
		Commands: []checks.Command{checks.Cmd("kubectl", "-n", clusterdns.Namespace, "get", "endpointslices", "-l", discoveryv1.LabelServiceName+"="+j.svc.Name)},
	}}
}

// podFindings reports DNS pods that crash-loop, restart often or cannot start.
func (j *dnsServiceJudge) podFindings(pods []*corev1.Pod) []checks.Finding {
	var findings []checks.Finding
	for _, p := range pods {
		if podinfo.Finished(p) {
			continue
		}
		ref := podinfo.Ref(p)
		cmds := []checks.Command{checks.Cmd("kubectl", "-n", p.Namespace, "logs", p.Name, "--previous"), checks.Cmd("kubectl", "-n", p.Namespace, "describe", "pod", p.Name)}
		for _, cs := range p.Status.ContainerStatuses {
			evidence := containerEvidence(cs)
			last := cs.LastTerminationState.Terminated
			switch w := cs.State.Waiting; {
			case w != nil && w.Reason == "CrashLoopBackOff":
				findings = append(findings, checks.Finding{
					Severity: checks.StatusFail, Object: &ref, Cause: true, Explains: j.ownerOf(p),
					Message:  fmt.Sprintf("the DNS pod %s is crash-looping (%d restarts), so it answers no query", p.Name, cs.RestartCount),
					Evidence: evidence,
					Hint: "Its previous log says why: a Corefile CoreDNS refuses, \"Loop ... detected\" (it forwards to itself), " +
						"or memory (OOMKilled: raise the limit).",
					Commands: cmds,
				})
			case w != nil && w.Reason != "" && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing":
				findings = append(findings, checks.Finding{
					Severity: checks.StatusFail, Object: &ref, Cause: true, Explains: j.ownerOf(p),
					Message:  fmt.Sprintf("the DNS pod %s cannot start its container %s (%s)", p.Name, cs.Name, w.Reason),
					Evidence: evidence,
					Hint:     "kubectl describe shows the events: a wrong image, a missing ConfigMap or volume.",
					Commands: cmds[1:],
				})
			case cs.RestartCount >= dnsRestartsWarn && last != nil && j.now.Sub(last.FinishedAt.Time) < podinfo.RecentRestart:
				findings = append(findings, checks.Finding{
					Severity: checks.StatusWarn, Object: &ref,
					Message:  fmt.Sprintf("the DNS pod %s restarted %d times, last %s ago", p.Name, cs.RestartCount, j.now.Sub(last.FinishedAt.Time).Round(time.Second)),
					Evidence: evidence,
					Hint:     "Its previous log says why it stopped; OOMKilled means its memory limit is too low for the cluster's size.",
					Commands: cmds,
				})
			}
		}
	}
	return findings
}

// ownerOf names the DNS workload whose readiness a failing pod explains, when it owns the pod.
func (j *dnsServiceJudge) ownerOf(p *corev1.Pod) []checks.ObjectRef {
	switch {
	case j.dep != nil && ownedByDeployment(p, j.dep):
		return []checks.ObjectRef{podinfo.WorkloadRef("Deployment", &j.dep.ObjectMeta)}
	case j.ds != nil && j.ownsPod(p):
		return []checks.ObjectRef{podinfo.WorkloadRef("DaemonSet", &j.ds.ObjectMeta)}
	}
	return nil
}

func containerEvidence(cs corev1.ContainerStatus) []string {
	evidence := []string{fmt.Sprintf("container %s: restartCount %d", cs.Name, cs.RestartCount)}
	if w := cs.State.Waiting; w != nil {
		evidence = append(evidence, fmt.Sprintf("waiting: %s %s", w.Reason, phrase.Clip(w.Message, 200)))
	}
	if last := cs.LastTerminationState.Terminated; last != nil {
		evidence = append(evidence, fmt.Sprintf("last termination: %s, exit code %d, at %s",
			last.Reason, last.ExitCode, last.FinishedAt.UTC().Format(time.RFC3339)))
		if m := strings.TrimSpace(last.Message); m != "" {
			evidence = append(evidence, "last message: "+phrase.Clip(phrase.LastLines(m, 1), 300))
		}
	}
	return evidence
}

// fakePodFindings reports pods that the DNS selector picks but the DNS workload does not own:
// they join the Service's endpoints and answer part of the cluster's queries.
func (j *dnsServiceJudge) fakePodFindings(pods []*corev1.Pod) []checks.Finding {
	if j.dep == nil && j.ds == nil {
		return nil
	}
	var findings []checks.Finding
	for _, p := range pods {
		if podinfo.Finished(p) || j.ownsPod(p) {
			continue
		}
		ref := podinfo.Ref(p)
		owner := "none"
		if len(p.OwnerReferences) > 0 {
			o := p.OwnerReferences[0]
			owner = o.Kind + " " + o.Name
		}
		evidence := []string{"labels: " + labelsOf(p.Labels).String(), "owner: " + owner}
		for _, c := range p.Spec.Containers {
			evidence = append(evidence, fmt.Sprintf("container %s: image %s", c.Name, safetext.Visible(c.Image)))
		}
		how := "the Service's selector picks it, so it gets DNS queries as soon as it is ready"
		if j.readyEndpoints[p.Status.PodIP] {
			how = "it is a ready endpoint of the Service and answers part of the cluster's DNS queries"
			evidence = append(evidence, "ready endpoint of the Service: "+p.Status.PodIP)
		}
		findings = append(findings, checks.Finding{
			Severity: checks.StatusWarn, Object: &ref,
			Message:  fmt.Sprintf("pod %s carries the DNS label but the %s does not own it: %s", p.Name, j.workloadName(), how),
			Evidence: evidence,
			Hint:     "Find out who created it (kubectl describe, the audit log); if nobody should have, delete it.",
			Commands: []checks.Command{checks.Cmd("kubectl", "-n", p.Namespace, "get", "pods", "-l", clusterdns.Selector(j.svc).String(), "-o", "wide", "--show-labels"),
				checks.Cmd("kubectl", "-n", p.Namespace, "get", "pod", p.Name, "-o", "jsonpath={.metadata.ownerReferences}")},
		})
	}
	return findings
}

func (j *dnsServiceJudge) workloadName() string {
	if j.dep != nil {
		return j.dep.Name + " Deployment"
	}
	return j.ds.Name + " DaemonSet"
}

func (j *dnsServiceJudge) ownsPod(p *corev1.Pod) bool {
	if j.dep != nil {
		return ownedByDeployment(p, j.dep)
	}
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" && o.Name == j.ds.Name {
			return true
		}
	}
	return len(p.OwnerReferences) == 0 && strings.HasPrefix(p.Name, j.ds.Name+"-")
}

func (j *dnsServiceJudge) summary(findings []checks.Finding) string {
	if checks.Worst(findings) > checks.StatusOK {
		return fmt.Sprintf("%d problem(s) with cluster DNS: %s", countProblems(findings), firstProblem(findings))
	}
	if j.svc == nil {
		return "no kube-dns Service"
	}
	s := fmt.Sprintf("Service %s at %s", j.svc.Name, j.svc.Spec.ClusterIP)
	if j.endpointsRead {
		s += fmt.Sprintf(" with %d ready endpoint(s)", len(j.readyEndpoints))
	}
	switch {
	case j.dep != nil:
		s += fmt.Sprintf("; Deployment %s %d/%d ready", j.dep.Name, j.dep.Status.ReadyReplicas, derefReplicas(j.dep.Spec.Replicas))
	case j.ds != nil:
		s += fmt.Sprintf("; DaemonSet %s %d/%d ready", j.ds.Name, j.ds.Status.NumberReady, j.ds.Status.DesiredNumberScheduled)
	}
	return s
}

func derefReplicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

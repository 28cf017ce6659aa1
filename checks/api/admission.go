package api

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/nearmiss"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// admissionCheck is the api.admission check.
var admissionCheck = checks.Check{
	ID:       "api.admission",
	Title:    "Admission webhooks can be reached and do not reach too far",
	Category: checks.CategoryAPI,
	Learn:    learn("api.admission"),
	Needs:    checks.NeedsObjects,
	// Events, ReplicaSets and Deployments say which creates a fail-closed webhook refused.
	Reads: []kube.Resource{kube.ValidatingWebhooks, kube.MutatingWebhooks, kube.Services, kube.EndpointSlices, kube.Namespaces,
		kube.Events, kube.ReplicaSets, kube.Deployments},
	Run: runAdmission,
}

// webhook is one webhook of a validating or a mutating configuration, in the fields both share.
type webhook struct {
	config   checks.ObjectRef
	mutating bool
	index    int
	name     string
	client   admissionv1.WebhookClientConfig
	rules    []admissionv1.RuleWithOperations
	failure  admissionv1.FailurePolicyType
	nsSel    *metav1.LabelSelector
	objSel   *metav1.LabelSelector
}

func (w webhook) kind() string {
	if w.mutating {
		return "mutating"
	}
	return "validating"
}

func (w webhook) getCommand() checks.Command {
	return checks.Cmd("kubectl", "get", strings.ToLower(w.config.Kind), w.config.Name, "-o", "yaml")
}

// admissionInput is what the check reads; Services, namespaces and EndpointSlices are
// optional: what could not be read is not judged.
type admissionInput struct {
	webhooks    []webhook
	services    map[string]*corev1.Service
	servicesErr error                                   // why Services could not be read: no webhook's Service is judged
	slices      map[string][]*discoveryv1.EndpointSlice // by namespace/service
	slicesErr   error
	namespaces  []*corev1.Namespace
	refusals    refusals // what controllers say the API server refused to create
}

func runAdmission(ctx context.Context, env *checks.Env) checks.Result {
	var p checks.Partial
	vwcs, err := checks.ListPartial[*admissionv1.ValidatingWebhookConfiguration](ctx, env.Snapshot, &p, kube.ValidatingWebhooks)
	if err != nil {
		return checks.SkipOrError(err)
	}
	mwcs, err := checks.ListPartial[*admissionv1.MutatingWebhookConfiguration](ctx, env.Snapshot, &p, kube.MutatingWebhooks)
	if err != nil {
		return checks.SkipOrError(err)
	}
	if p.NoneRead(kube.ValidatingWebhooks, kube.MutatingWebhooks) {
		return p.Skip()
	}
	in := admissionInput{webhooks: collectWebhooks(vwcs, mwcs)}
	if len(in.webhooks) == 0 {
		return p.Note(checks.Result{Status: checks.StatusOK, Summary: "no admission webhooks"})
	}
	svcs, err := checks.ListPartial[*corev1.Service](ctx, env.Snapshot, &p, kube.Services)
	if err != nil {
		return checks.SkipOrError(err)
	}
	in.servicesErr = p.Err(kube.Services)
	in.services = map[string]*corev1.Service{}
	for _, s := range svcs {
		in.services[s.Namespace+"/"+s.Name] = s
	}
	var eps []*discoveryv1.EndpointSlice
	eps, in.slicesErr = kube.ListOf[*discoveryv1.EndpointSlice](ctx, env.Snapshot, kube.EndpointSlices)
	in.slices = map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range eps {
		key := s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName]
		in.slices[key] = append(in.slices[key], s)
	}
	in.namespaces, err = checks.ListPartial[*corev1.Namespace](ctx, env.Snapshot, &p, kube.Namespaces)
	if err != nil {
		return checks.SkipOrError(err)
	}
	if slices.ContainsFunc(in.webhooks, func(w webhook) bool { return w.failure == admissionv1.Fail }) {
		if in.refusals, err = readRefusals(ctx, env.Snapshot, &p); err != nil {
			return checks.SkipOrError(err)
		}
	}
	return p.Note(judgeAdmission(in))
}

func collectWebhooks(vwcs []*admissionv1.ValidatingWebhookConfiguration, mwcs []*admissionv1.MutatingWebhookConfiguration) []webhook {
	var out []webhook
	for _, c := range vwcs {
		ref := checks.ObjectRef{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration", Name: c.Name}
		for i, w := range c.Webhooks {
			out = append(out, webhook{config: ref, index: i, name: w.Name, client: w.ClientConfig, rules: w.Rules,
				failure: failurePolicy(w.FailurePolicy), nsSel: w.NamespaceSelector, objSel: w.ObjectSelector})
		}
	}
	for _, c := range mwcs {
		ref := checks.ObjectRef{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration", Name: c.Name}
		for i, w := range c.Webhooks {
			out = append(out, webhook{config: ref, mutating: true, index: i, name: w.Name, client: w.ClientConfig, rules: w.Rules,
				failure: failurePolicy(w.FailurePolicy), nsSel: w.NamespaceSelector, objSel: w.ObjectSelector})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].config.Name < out[j].config.Name })
	return out
}

// failurePolicy is the webhook's policy, defaulted as admissionregistration/v1 does: Fail.
func failurePolicy(p *admissionv1.FailurePolicyType) admissionv1.FailurePolicyType {
	if p == nil {
		return admissionv1.Fail
	}
	return *p
}

func judgeAdmission(in admissionInput) checks.Result {
	var findings []checks.Finding
	bad := map[string]bool{}
	for _, w := range in.webhooks {
		fs := webhookReachFindings(in, w)
		fs = append(fs, webhookScopeFindings(in, w)...)
		if len(fs) > 0 {
			bad[w.name] = true
		}
		findings = append(findings, fs...)
	}
	if in.servicesErr != nil && slices.ContainsFunc(in.webhooks, func(w webhook) bool { return w.client.Service != nil }) {
		// A Service that could not be read is not a Service that is missing.
		findings = append(findings, checks.Finding{
			Severity: checks.StatusWarn,
			Message:  "the webhooks' Services were not checked: Services could not be read",
			Evidence: []string{in.servicesErr.Error()},
			Hint:     "Run with a user that may list services, or take a snapshot that holds them (kockpit snapshot).",
			Commands: []checks.Command{checks.Cmd("kubectl", "auth", "can-i", "list", "services", "-A")},
		})
	} else if in.slicesErr != nil && len(in.webhooks) > 0 {
		// Without endpoints, "reachable" would be a guess: say what was not looked at.
		findings = append(findings, checks.Finding{
			Severity: checks.StatusWarn,
			Message:  "the webhooks' endpoints were not checked: EndpointSlices could not be read",
			Evidence: []string{in.slicesErr.Error()},
			Hint:     "Run with a user that may list endpointslices.discovery.k8s.io, or look at each webhook's Service by hand.",
			Commands: []checks.Command{checks.Cmd("kubectl", "auth", "can-i", "list", "endpointslices.discovery.k8s.io", "-A")},
		})
	}
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	if len(bad) == 0 {
		r.Summary = fmt.Sprintf("all %d admission webhooks reachable, none matching everything", len(in.webhooks))
	} else {
		names := make([]string, 0, len(bad))
		for n := range bad {
			names = append(names, n)
		}
		sort.Strings(names)
		r.Summary = fmt.Sprintf("%d of %d admission webhooks need a look: %s", len(bad), len(in.webhooks), phrase.List(names, 3))
	}
	if in.slicesErr != nil {
		r.Summary += fmt.Sprintf(" (EndpointSlices not read, webhook endpoints not checked: %v)", in.slicesErr)
	}
	return r
}

// webhookReachFindings reports a webhook the API server cannot reach: its Service missing, without
// the port or ready endpoints, or a URL at localhost or outside the cluster.
func webhookReachFindings(in admissionInput, w webhook) []checks.Finding {
	problem, evidence, cmds := webhookDestination(in, w)
	if problem == "" {
		return nil
	}
	f := checks.Finding{
		Severity: checks.StatusFail,
		Object:   &w.config,
		Evidence: append([]string{fmt.Sprintf("webhooks[%d]: %s", w.index, w.name), "failurePolicy: " + string(w.failure), "matches: " + rulesText(w.rules)}, evidence...),
		Commands: append([]checks.Command{w.getCommand()}, cmds...),
		Cause:    true,
	}
	if w.failure == admissionv1.Fail {
		f.Message = fmt.Sprintf("%s webhook %s fails closed and %s: the API server rejects every request it matches",
			w.kind(), w.name, problem)
		// What it refused (FailedCreate, ReplicaFailure) is its doing: the webhook explains it.
		if refused, total, quote := in.refusals.by(w); total > 0 {
			f.Explains = refused
			f.Evidence = append(f.Evidence, fmt.Sprintf("refused creates for %s; %s", phrase.Count(total, "object", "objects"), quote))
		}
		f.Hint = fmt.Sprintf("Bring its backend back; if it is gone for good, delete the configuration (%s). "+
			"failurePolicy: Ignore keeps the cluster usable meanwhile, at the cost of what the webhook enforces.",
			checks.Cmd("kubectl", "delete", strings.ToLower(w.config.Kind), w.config.Name))
	} else {
		f.Severity = checks.StatusWarn
		f.Message = fmt.Sprintf("%s webhook %s cannot be reached (%s): requests it matches go through without it (failurePolicy Ignore)",
			w.kind(), w.name, problem)
		f.Hint = "What the webhook should enforce or inject silently does not happen; fix its backend or remove it."
	}
	return []checks.Finding{f}
}

// webhookDestination says what is wrong with where the webhook points ("" when nothing is).
func webhookDestination(in admissionInput, w webhook) (problem string, evidence []string, cmds []checks.Command) {
	if ref := w.client.Service; ref != nil {
		port := int32(443)
		if ref.Port != nil {
			port = *ref.Port
		}
		where := fmt.Sprintf("%s/%s:%d", ref.Namespace, ref.Name, port)
		evidence = []string{"clientConfig.service: " + where}
		cmds = []checks.Command{checks.Cmd("kubectl", "-n", ref.Namespace, "get", "service", ref.Name)}
		if in.servicesErr != nil {
			return "", nil, nil
		}
		svc := in.services[ref.Namespace+"/"+ref.Name]
		if svc == nil {
			evidence = append(evidence, serviceNameEvidence(in, ref.Namespace, ref.Name)...)
			cmds = append(cmds, checks.Cmd("kubectl", "-n", ref.Namespace, "get", "services"))
			return fmt.Sprintf("its Service %s/%s does not exist", ref.Namespace, ref.Name), evidence, cmds
		}
		if svc.Spec.Type == corev1.ServiceTypeExternalName {
			return "", nil, nil
		}
		if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == port }) {
			return fmt.Sprintf("its Service %s/%s has no port %d", ref.Namespace, ref.Name, port), evidence, cmds
		}
		if in.slicesErr != nil {
			return "", nil, nil
		}
		listed, ready := 0, 0
		for _, s := range in.slices[ref.Namespace+"/"+ref.Name] {
			for _, e := range s.Endpoints {
				listed++
				if e.Conditions.Ready == nil || *e.Conditions.Ready {
					ready++
				}
			}
		}
		if ready == 0 {
			evidence = append(evidence, fmt.Sprintf("endpoints: %d listed, 0 ready", listed))
			if len(svc.Spec.Selector) > 0 {
				evidence = append(evidence, "service selector: "+labels.SelectorFromSet(svc.Spec.Selector).String())
			}
			cmds = append(cmds, checks.Cmd("kubectl", "-n", ref.Namespace, "get", "endpointslices", "-l", "kubernetes.io/service-name="+ref.Name))
			return fmt.Sprintf("its Service %s/%s has no ready endpoints", ref.Namespace, ref.Name), evidence, cmds
		}
		return "", nil, nil
	}
	if w.client.URL == nil {
		return "it names neither a Service nor a URL", nil, nil
	}
	raw := *w.client.URL
	evidence = []string{"clientConfig.url: " + raw}
	u, err := url.Parse(raw)
	if err != nil {
		return "its URL does not parse", append(evidence, err.Error()), nil
	}
	host := u.Hostname()
	if chars := safetext.Suspicious(host); len(chars) > 0 {
		evidence = append(evidence, safetext.Describe(chars)...)
	}
	switch {
	case isLocalhost(host):
		return fmt.Sprintf("its URL points at %s, the API server's own host, where no webhook listens for it", host), evidence,
			[]checks.Command{checks.Cmd("ss", "-ltnp").Pipe("grep", portOf(u)).Note("on each control-plane node")}
	case !inCluster(host):
		return fmt.Sprintf("its URL points outside the cluster (%s), where kockpit cannot see whether anything answers", host), evidence, nil
	}
	return "", nil, nil
}

func isLocalhost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// inCluster says whether a URL host is a cluster Service name (name.namespace.svc[.domain]).
func inCluster(host string) bool {
	return strings.HasSuffix(host, ".svc") || strings.Contains(host, ".svc.")
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return ":" + p
	}
	return ":443"
}

// serviceNameEvidence points at Services of the namespace whose name is a near miss of the one
// the webhook names, and at look-alike characters in it.
func serviceNameEvidence(in admissionInput, ns, name string) []string {
	var out []string
	if chars := safetext.Suspicious(name); len(chars) > 0 {
		out = append(out, safetext.Describe(chars)...)
	}
	var near []string
	for key, s := range in.services {
		if s.Namespace == ns {
			if how := nearmiss.Nearness(name, s.Name, ""); how != "" {
				near = append(near, fmt.Sprintf("Service %s exists, which differs by %s", key, how))
			}
		}
	}
	sort.Strings(near)
	return append(out, near...)
}

// rulesText writes the rules in one line: "CREATE,UPDATE pods; * */*".
func rulesText(rules []admissionv1.RuleWithOperations) string {
	var parts []string
	for _, r := range rules {
		var ops []string
		for _, o := range r.Operations {
			ops = append(ops, string(o))
		}
		var res []string
		for _, g := range r.APIGroups {
			for _, rs := range r.Resources {
				if g == "" {
					res = append(res, rs)
				} else {
					res = append(res, rs+"."+g)
				}
			}
		}
		parts = append(parts, strings.Join(ops, ",")+" "+strings.Join(res, ","))
	}
	if len(parts) == 0 {
		return "(no rules)"
	}
	return strings.Join(parts, "; ")
}

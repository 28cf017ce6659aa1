package api

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// lookalikesCheck is the api.lookalikes check.
var lookalikesCheck = checks.Check{
	ID:       "api.lookalikes",
	Title:    "No look-alike or invisible characters in the cluster's objects",
	Category: checks.CategoryAPI,
	Learn:    learn("api.lookalikes"),
	Needs:    checks.NeedsObjects,
	Reads:    lookalikeKinds,
	Run:      runLookalikes,
}

// lookalikeKinds are the kinds the check walks: those other checks list anyway, and the ones
// holding hosts and RBAC subjects. Secrets are never read; Events and EndpointSlices only
// repeat what their objects say.
var lookalikeKinds = []kube.Resource{
	kube.Deployments, kube.StatefulSets, kube.DaemonSets, kube.ReplicaSets, kube.Pods,
	kube.Services, kube.Ingresses, kube.ConfigMaps, kube.Namespaces, kube.Nodes,
	kube.NetworkPolicies, kube.StorageClasses, kube.CSIDrivers,
	kube.ValidatingWebhooks, kube.MutatingWebhooks, kube.RoleBindings, kube.ClusterRoleBindings,
	kube.APIServices, kube.CiliumNetworkPolicies, kube.CiliumClusterwideNetworkPolicies,
	kube.CalicoNetworkPolicies, kube.CalicoGlobalNetworkPolicies,
}

// maxLookalikeFindings bounds the findings: a cluster full of another script's text must not
// flood the report. The rest are counted in one more finding.
const maxLookalikeFindings = 40

// maxCharsShown bounds the characters described per finding.
const maxCharsShown = 5

// lookalikeHit is one string of one object that holds characters to distrust.
type lookalikeHit struct {
	res      kube.Resource
	ref      checks.ObjectRef
	path     string
	jsonPath string
	// group is the path with a controller's "spec.template." taken off, so that a Deployment,
	// its ReplicaSets and their pods holding one value make one finding.
	group    string
	value    string
	isKey    bool
	class    fieldClass
	chars    []safetext.Char // the first maxCharsShown
	total    int             // how many characters the value holds to distrust
	severity checks.Status
	secret   bool // the value is an env variable named like a credential: not quoted
}

// listed is one kind's LIST as the snapshot answered it.
type listed struct {
	index int // in lookalikeKinds
	objs  []runtime.Object
	err   error
}

func runLookalikes(ctx context.Context, env *checks.Env) checks.Result {
	// Every kind is asked at once, and each is walked as its LIST arrives: one after the other,
	// the LISTs that no other check made would add up.
	arrived := make(chan listed, len(lookalikeKinds))
	for i, r := range lookalikeKinds {
		go func() {
			objs, err := env.Snapshot.List(ctx, r)
			arrived <- listed{i, objs, err}
		}()
	}
	var hits []lookalikeHit
	unread := make([]*unreadKind, len(lookalikeKinds))
	errs := make([]error, len(lookalikeKinds))
	objects, kinds := 0, 0
	for range lookalikeKinds {
		l := <-arrived
		r := lookalikeKinds[l.index]
		switch {
		case errors.Is(l.err, kube.ErrNotInstalled):
			continue
		case l.err != nil:
			if ctx.Err() != nil {
				return checks.SkipOrError(l.err)
			}
			errs[l.index] = l.err
			u := unreadOf(r, l.err)
			unread[l.index] = &u
			continue
		}
		kinds++
		objects += len(l.objs)
		hits = append(hits, lookalikesIn(r, l.objs)...)
	}
	if kinds == 0 {
		var firstErr error
		for _, err := range errs {
			if err != nil {
				firstErr = cmpErr(firstErr, err)
			}
		}
		if firstErr != nil {
			return checks.SkipOrError(firstErr)
		}
	}
	findings := lookalikeFindings(hits)
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	if len(findings) == 0 {
		r.Summary = fmt.Sprintf("no look-alike or invisible characters in %s of %s",
			phrase.Count(objects, "object", "objects"), phrase.Count(kinds, "kind", "kinds"))
	} else {
		var names []string
		seen := map[string]bool{}
		for _, f := range findings {
			if f.Object != nil && !seen[f.Object.Kind+f.Object.Namespace+f.Object.Name] {
				seen[f.Object.Kind+f.Object.Namespace+f.Object.Name] = true
				names = append(names, objectName(*f.Object))
			}
		}
		n := len(groupHits(hits))
		r.Summary = fmt.Sprintf("%s look-alike or invisible characters: %s", phrase.Count(n, "field holds", "fields hold"), phrase.List(names, 3))
	}
	if s := unreadSummary(unread); s != "" {
		r.Summary += "; not read: " + s
	}
	return r
}

// unreadSummary names the kinds that could not be read, by reason: "replicasets.apps,
// ingresses.networking.k8s.io (not in snapshot)".
func unreadSummary(unread []*unreadKind) string {
	var reasons []string
	byReason := map[string][]string{}
	for _, u := range unread {
		if u == nil {
			continue
		}
		if _, ok := byReason[u.reason]; !ok {
			reasons = append(reasons, u.reason)
		}
		byReason[u.reason] = append(byReason[u.reason], u.kind)
	}
	parts := make([]string, 0, len(reasons))
	for _, reason := range reasons {
		// Every kind by name: "and 10 more" would hide which one a reader must collect.
		parts = append(parts, strings.Join(byReason[reason], ", ")+" ("+reason+")")
	}
	return strings.Join(parts, "; ")
}

// cmpErr keeps the first error that is not a skip: a server that did not answer outweighs a
// forbidden kind when nothing at all could be read.
func cmpErr(first, err error) error {
	if first == nil || errors.Is(first, kube.ErrNotCollected) || errors.Is(first, kube.ErrOffline) {
		return err
	}
	return first
}

// unreadKind is a kind the check could not read, and why, in a few words.
type unreadKind struct{ kind, reason string }

func unreadOf(r kube.Resource, err error) unreadKind {
	res := checks.SkipOrError(err)
	if res.Status == checks.StatusSkip {
		return unreadKind{r.String(), string(res.SkipReason)}
	}
	return unreadKind{r.String(), res.Summary}
}

// lookalikesIn walks every string of the objects of one kind.
func lookalikesIn(r kube.Resource, objs []runtime.Object) []lookalikeHit {
	var hits []lookalikeHit
	var ref checks.ObjectRef
	lastName := "" // the last "name" field seen: an env variable's, when its value comes next
	w := walker{skip: skipLookalikeField}
	w.visit = func(p *fieldPath, s string, isKey bool) {
		if !isKey && p.last() == "name" {
			lastName = s
		}
		// Judged strictly first: nearly every string is ASCII and returns at once, before the
		// path is looked at.
		chars := safetext.Lookalikes(s, true)
		if len(chars) == 0 {
			return
		}
		class := classify(p, isKey)
		if !class.strict() {
			if chars = safetext.Lookalikes(s, false); len(chars) == 0 {
				return
			}
		}
		path := p.String()
		if owner := ownedElsewhere(ref, path); owner != "" {
			return
		}
		h := lookalikeHit{res: r, ref: ref, path: path, jsonPath: p.JSONPath(), group: path, value: s, isKey: isKey,
			class: class, chars: chars, total: len(chars)}
		if len(chars) > maxCharsShown {
			// A megabyte of text in another script can hold thousands: keep what is shown.
			h.chars = append([]safetext.Char(nil), chars[:maxCharsShown]...)
		}
		if tail, ok := strings.CutPrefix(path, "spec.template."); ok {
			h.group = tail
		}
		h.severity = h.judge()
		h.secret = class == classEnvValue && namedLikeSecret(lastName)
		hits = append(hits, h)
	}
	apiVersion := r.APIVersion()
	for _, o := range objs {
		m, err := meta.Accessor(o)
		if err != nil {
			continue
		}
		ref = checks.ObjectRef{APIVersion: apiVersion, Kind: r.Kind, Namespace: m.GetNamespace(), Name: m.GetName()}
		w.walk(o)
	}
	return hits
}

// skipLookalikeField leaves out what only repeats other fields or is not text: status (what
// controllers wrote from the spec), managed fields, and kubectl's copy of the last applied
// object.
func skipLookalikeField(p *fieldPath, name string) bool {
	switch len(p.segs) {
	case 0:
		return name == "status"
	case 1:
		return p.segs[0].name == "metadata" && (name == "managedFields" || name == "resourceVersion" || name == "uid")
	case 2:
		return p.segs[1].name == "annotations" && name == "kubectl.kubernetes.io/last-applied-configuration"
	}
	return false
}

// ownedElsewhere names the check that reports look-alikes in a field itself, reading it for
// what it means, so that no character is reported twice.
func ownedElsewhere(ref checks.ObjectRef, path string) string {
	switch {
	case ref.Kind == "Service" && strings.HasPrefix(path, "spec.selector"):
		return "network.services"
	case ref.Kind == "ConfigMap" && ref.Namespace == "kube-system" && path == "data.Corefile":
		return "dns.corefile"
	case ref.Kind == "APIService" && path == "metadata.name":
		return "api.apiservices"
	}
	return ""
}

func objectName(ref checks.ObjectRef) string {
	if ref.Namespace == "" {
		return ref.Kind + " " + ref.Name
	}
	return ref.Kind + " " + ref.Namespace + "/" + ref.Name
}

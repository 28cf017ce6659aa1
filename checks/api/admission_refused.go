package api

import (
	"context"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// maxRefused bounds the objects a webhook's finding names as refused: enough to rank it and to
// show where to look.
const maxRefused = 20

// refusals are the objects whose creates the API server refused, with the message it gave: a
// controller's FailedCreate events and its ReplicaFailure condition (the condition outlives the
// events), each with the Deployment that owns a ReplicaSet.
type refusals []refusal

type refusal struct {
	ref     checks.ObjectRef
	message string
}

// readRefusals reads what controllers say was refused. A kind that cannot be read is noted in p
// (the summary names it) and only leaves out what it would have named: no finding concludes
// from its absence. The error is the run's end.
func readRefusals(ctx context.Context, snap *kube.Snapshot, p *checks.Partial) (refusals, error) {
	var out refusals
	events, err := checks.ListPartial[*corev1.Event](ctx, snap, p, kube.Events)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		if e.Reason == "FailedCreate" && e.Type == corev1.EventTypeWarning {
			o := e.InvolvedObject
			out = append(out, refusal{checks.ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}, e.Message})
		}
	}
	add := func(kind string, m *metav1.ObjectMeta, conds []appsCondition) {
		for _, c := range conds {
			if c.typ == "ReplicaFailure" && c.status == corev1.ConditionTrue {
				out = append(out, refusal{checks.ObjectRef{APIVersion: "apps/v1", Kind: kind, Namespace: m.Namespace, Name: m.Name}, c.message})
				for _, o := range m.OwnerReferences {
					if o.Controller != nil && *o.Controller && o.Kind == "Deployment" {
						out = append(out, refusal{checks.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: m.Namespace, Name: o.Name}, c.message})
					}
				}
			}
		}
	}
	rss, err := checks.ListPartial[*appsv1.ReplicaSet](ctx, snap, p, kube.ReplicaSets)
	if err != nil {
		return nil, err
	}
	for _, rs := range rss {
		add("ReplicaSet", &rs.ObjectMeta, replicaSetConditions(rs.Status.Conditions))
	}
	deps, err := checks.ListPartial[*appsv1.Deployment](ctx, snap, p, kube.Deployments)
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		var conds []appsCondition
		for _, c := range d.Status.Conditions {
			conds = append(conds, appsCondition{string(c.Type), c.Status, c.Message})
		}
		add("Deployment", &d.ObjectMeta, conds)
	}
	return out, nil
}

type appsCondition struct {
	typ     string
	status  corev1.ConditionStatus
	message string
}

func replicaSetConditions(cs []appsv1.ReplicaSetCondition) []appsCondition {
	out := make([]appsCondition, 0, len(cs))
	for _, c := range cs {
		out = append(out, appsCondition{string(c.Type), c.Status, c.Message})
	}
	return out
}

// by names the objects the webhook refused (the first maxRefused of total), as the API server's message names it ("failed
// calling webhook \"NAME\""), and one message quoted as evidence.
func (rs refusals) by(w webhook) (refs []checks.ObjectRef, total int, quote string) {
	needle := `webhook "` + w.name + `"`
	seen := map[checks.ObjectRef]bool{}
	for _, r := range rs {
		if !strings.Contains(r.message, needle) || seen[r.ref] {
			continue
		}
		seen[r.ref] = true
		total++
		if quote == "" {
			quote = safetext.Message(r.ref.String() + ": " + phrase.Clip(r.message, 200))
		}
		if len(refs) < maxRefused {
			refs = append(refs, r.ref)
		}
	}
	return refs, total, quote
}

package testcluster

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The API server's RBAC authorizer reads roles and bindings through informers, so a binding
// Apply just created takes effect a moment later. A test that uses it at once would see a 403
// now and then; Apply waits instead until the authorizer grants each new binding's subjects
// the first rule of its role.

var (
	subjectAccessReviews = schema.GroupVersionResource{Group: "authorization.k8s.io", Version: "v1", Resource: "subjectaccessreviews"}
	clusterRoles         = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	roles                = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}
)

// waitBindingsEffective waits until every RoleBinding and ClusterRoleBinding among objs is in
// force: each User, Group or ServiceAccount subject is allowed the first rule of its role.
func (api *apiClients) waitBindingsEffective(ctx context.Context, objs []*unstructured.Unstructured) error {
	for _, b := range objs {
		kind := b.GetKind()
		if b.GroupVersionKind().Group != "rbac.authorization.k8s.io" || (kind != "RoleBinding" && kind != "ClusterRoleBinding") {
			continue
		}
		rule, err := api.firstRule(ctx, b)
		if err != nil {
			return fmt.Errorf("%s %s: %w", kind, b.GetName(), err)
		}
		if rule == nil {
			continue // a role without rules grants nothing to wait for
		}
		subjects, _, _ := unstructured.NestedSlice(b.Object, "subjects")
		for _, s := range subjects {
			spec, ok := accessSpec(s, rule, b.GetNamespace())
			if !ok {
				continue
			}
			if err := api.waitAllowed(ctx, spec); err != nil {
				return fmt.Errorf("%s %s: %w", kind, b.GetName(), err)
			}
		}
	}
	return nil
}

// firstRule is the first rule of the role a binding refers to, nil when it has none.
func (api *apiClients) firstRule(ctx context.Context, b *unstructured.Unstructured) (map[string]any, error) {
	kind, _, _ := unstructured.NestedString(b.Object, "roleRef", "kind")
	name, _, _ := unstructured.NestedString(b.Object, "roleRef", "name")
	var role *unstructured.Unstructured
	var err error
	if kind == "Role" {
		role, err = api.dynamic.Resource(roles).Namespace(b.GetNamespace()).Get(ctx, name, metav1.GetOptions{})
	} else {
		role, err = api.dynamic.Resource(clusterRoles).Get(ctx, name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return nil, nil // a binding to a role that does not exist (a fixture's breakage) grants nothing
	}
	if err != nil {
		return nil, fmt.Errorf("reading its role %s %s: %w", kind, name, err)
	}
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	if len(rules) == 0 {
		return nil, nil
	}
	rule, _ := rules[0].(map[string]any)
	return rule, nil
}

// accessSpec is the SubjectAccessReview spec that asks whether a subject may do what a rule
// allows; ok is false for a rule or subject it cannot phrase.
func accessSpec(subject any, rule map[string]any, namespace string) (map[string]any, bool) {
	s, _ := subject.(map[string]any)
	spec := map[string]any{}
	name, _ := s["name"].(string)
	switch s["kind"] {
	case "User":
		spec["user"] = name
	case "Group":
		spec["groups"] = []any{name}
	case "ServiceAccount":
		ns, _ := s["namespace"].(string)
		spec["user"] = "system:serviceaccount:" + ns + ":" + name
	default:
		return nil, false
	}
	first := func(key string) string {
		l, _ := rule[key].([]any)
		if len(l) == 0 {
			return ""
		}
		v, _ := l[0].(string)
		return v
	}
	verb := first("verbs")
	if url := first("nonResourceURLs"); url != "" {
		spec["nonResourceAttributes"] = map[string]any{"path": url, "verb": verb}
		return spec, verb != ""
	}
	attrs := map[string]any{"group": first("apiGroups"), "resource": first("resources"), "verb": verb, "namespace": namespace}
	if n := first("resourceNames"); n != "" {
		attrs["name"] = n
	}
	spec["resourceAttributes"] = attrs
	return spec, verb != "" && attrs["resource"] != ""
}

// waitAllowed asks the authorizer until it allows spec, for at most 10 s.
func (api *apiClients) waitAllowed(ctx context.Context, spec map[string]any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	review := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec,
	}}
	for {
		got, err := api.dynamic.Resource(subjectAccessReviews).Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("asking whether %v is allowed: %w", spec, err)
		}
		if allowed, _, _ := unstructured.NestedBool(got.Object, "status", "allowed"); allowed {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not in force after 10s: %v", spec)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

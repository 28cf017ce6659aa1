package api

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube"
)

// accessRegistry is a registry of three checks reading overlapping resources.
var accessRegistry = []checks.Check{
	{ID: "dns.coredns", Reads: []kube.Resource{kube.ConfigMaps, kube.Pods}},
	{ID: "api.control-plane", Reads: []kube.Resource{kube.Pods}},
	{ID: "storage.classes", Reads: []kube.Resource{kube.StorageClasses}},
	{ID: "api.reachable"},
}

// accessClient answers SelfSubjectReview with the user, and access reviews from allowed;
// reviews counts the access reviews per resource.
func accessClient(user string, whoErr error, allowed map[string]bool, reviewErr error, reviews map[string]*atomic.Int32) *fake.Clientset {
	cs := fake.NewClientset()
	cs.PrependReactor("create", "selfsubjectreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		if whoErr != nil {
			return true, nil, whoErr
		}
		return true, &authenticationv1.SelfSubjectReview{Status: authenticationv1.SelfSubjectReviewStatus{
			UserInfo: authenticationv1.UserInfo{Username: user, Groups: []string{"team-a", "system:authenticated"}}}}, nil
	})
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		review := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		attrs := review.Spec.ResourceAttributes
		if reviews != nil {
			reviews[attrs.Resource].Add(1)
		}
		if reviewErr != nil {
			return true, nil, reviewErr
		}
		if attrs.Verb != "list" || attrs.Namespace != "" {
			return true, nil, errors.New("unexpected review")
		}
		review.Status.Allowed = allowed[attrs.Resource]
		return true, review, nil
	})
	return cs
}

func accessEnv(cs *fake.Clientset) *checks.Env {
	return &checks.Env{Cluster: &kube.Cluster{Clientset: cs, RequestTimeout: time.Second}, Selected: accessRegistry, Now: time.Now}
}

func TestAPIAccessAllowed(t *testing.T) {
	reviews := map[string]*atomic.Int32{"pods": {}, "configmaps": {}, "storageclasses": {}}
	cs := accessClient("admin", nil, map[string]bool{"pods": true, "configmaps": true, "storageclasses": true}, nil, reviews)
	r := runAPIAccess(t.Context(), accessEnv(cs))
	if r.Status != checks.StatusOK || r.Summary != `authenticated as "admin"; may list all 3 kinds the checks read` {
		t.Fatalf("got %v %q", r.Status, r.Summary)
	}
	if got := strings.Join(r.Findings[0].Evidence, "\n"); got != "username: admin\ngroups: team-a, system:authenticated" {
		t.Errorf("who-am-I evidence = %q", got)
	}
	if r.Identity == nil || r.Identity.User != "admin" || strings.Join(r.Identity.Groups, ",") != "team-a,system:authenticated" {
		t.Errorf("identity = %+v, want admin in team-a and system:authenticated", r.Identity)
	}
	for name, n := range reviews {
		if n.Load() != 1 {
			t.Errorf("%d reviews of %s, want exactly one", n.Load(), name)
		}
	}
}

func TestAPIAccessDegraded(t *testing.T) {
	cs := accessClient("viewer", nil, map[string]bool{"configmaps": true}, nil, nil)
	r := runAPIAccess(t.Context(), accessEnv(cs))
	if r.Status != checks.StatusWarn {
		t.Fatalf("status = %v, want warn", r.Status)
	}
	f := r.Findings[len(r.Findings)-1]
	if f.Message != "3 checks will be degraded: you may not list pods, storageclasses.storage.k8s.io" {
		t.Errorf("message = %q", f.Message)
	}
	want := []string{
		"api.control-plane: list pods (all namespaces)",
		"dns.coredns: list pods (all namespaces)",
		"storage.classes: list storageclasses.storage.k8s.io",
	}
	if strings.Join(f.Evidence, "\n") != strings.Join(want, "\n") {
		t.Errorf("evidence:\n%s\nwant:\n%s", strings.Join(f.Evidence, "\n"), strings.Join(want, "\n"))
	}
	if strings.Join(checktest.Lines(f.Commands), "\n") != "kubectl auth can-i list pods -A\nkubectl auth can-i list storageclasses.storage.k8s.io" {
		t.Errorf("commands = %q", f.Commands)
	}
	if !strings.Contains(f.Hint, "--resource=pods,storageclasses.storage.k8s.io") {
		t.Errorf("hint = %q", f.Hint)
	}
}

func TestAPIAccessFailures(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}, "", errors.New("no"))
	tests := []struct {
		name      string
		whoErr    error
		reviewErr error
		status    checks.Status
		summary   string
	}{
		{"unauthorized", apierrors.NewUnauthorized("Unauthorized"), nil, checks.StatusSkip, "rejects the credentials (401)"},
		{"unreachable", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), nil, checks.StatusSkip, "cannot reach the API server"},
		{"old server", apierrors.NewNotFound(schema.GroupResource{Resource: "selfsubjectreviews"}, ""), nil, checks.StatusOK, "identity unknown; may list all 3"},
		{"reviews forbidden", nil, forbidden, checks.StatusWarn, "refuses to say what you may do"},
		{"reviews broken", nil, errors.New("boom"), checks.StatusError, "could not ask about permissions: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := accessClient("someone", tt.whoErr, map[string]bool{"pods": true, "configmaps": true, "storageclasses": true}, tt.reviewErr, nil)
			r := runAPIAccess(t.Context(), accessEnv(cs))
			if r.Status != tt.status || !strings.Contains(r.Summary, tt.summary) {
				t.Errorf("got %v %q, want %v containing %q", r.Status, r.Summary, tt.status, tt.summary)
			}
		})
	}
}

func TestAPIAccessNothingToReview(t *testing.T) {
	env := accessEnv(accessClient("admin", nil, nil, nil, nil))
	env.Selected = nil
	r := runAPIAccess(t.Context(), env)
	if r.Status != checks.StatusOK || r.Summary != `authenticated as "admin"; no check of this run lists objects` {
		t.Errorf("got %v %q", r.Status, r.Summary)
	}
}

func TestReadResources(t *testing.T) {
	got := readResources(accessRegistry)
	var names []string
	for _, r := range got {
		names = append(names, r.String())
	}
	if strings.Join(names, ",") != "configmaps,pods,storageclasses.storage.k8s.io" {
		t.Errorf("readResources = %v", names)
	}
}

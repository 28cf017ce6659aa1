package api

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

// accessReviewParallelism bounds the access reviews in flight: a few dozen small questions,
// asked fast but without a burst the API server's flow control would notice.
const accessReviewParallelism = 6

// accessCheck is the api.access check.
var accessCheck = checks.Check{
	ID:       "api.access",
	Title:    "Who you are, and which checks your permissions degrade",
	Category: checks.CategoryAPI,
	Learn:    learn("api.access"),
	Needs:    checks.NeedsLiveAPI,
	Run:      runAPIAccess,
}

// accessAnswer is what the API server said about listing one resource.
type accessAnswer struct {
	allowed bool
	reason  string
	err     error
}

func runAPIAccess(ctx context.Context, env *checks.Env) checks.Result {
	who, identity, err := whoAmI(ctx, env)
	r := judgeAccess(ctx, env, who, err)
	r.Identity = identity
	return r
}

// judgeAccess reports who the credentials make us (who, or whoAmI's error) and which checks
// the permissions degrade.
func judgeAccess(ctx context.Context, env *checks.Env, who checks.Finding, err error) checks.Result {
	var findings []checks.Finding
	var status apierrors.APIStatus
	switch {
	case err == nil:
		findings = append(findings, who)
	case !errors.As(err, &status):
		msg, _ := kube.ClassifyConnError(err)
		return checks.Skipped(checks.SkipUnreachable, msg+" (see api.reachable)")
	case apierrors.IsUnauthorized(err):
		return checks.Skipped(checks.SkipForbidden, "the API server rejects the credentials (401): see api.reachable")
	case apierrors.IsNotFound(err):
		findings = append(findings, checks.Finding{Severity: checks.StatusOK,
			Message:  "this API server cannot say who you are (SelfSubjectReview needs Kubernetes 1.28 or later)",
			Commands: []checks.Command{checks.Cmd("kubectl", "auth", "whoami")}})
	default:
		findings = append(findings, checks.Finding{Severity: checks.StatusWarn,
			Message:  "the API server refused to say who you are",
			Evidence: []string{err.Error()},
			Hint: "Every authenticated user may ask this (ClusterRole system:basic-user); a refusal means that " +
				"role or its binding was changed.",
			Commands: []checks.Command{checks.Cmd("kubectl", "auth", "whoami"), checks.Cmd("kubectl", "get", "clusterrolebinding", "system:basic-user", "-o", "yaml")}})
	}

	resources := readResources(env.Selected)
	answers := reviewList(ctx, env, resources)
	var failed []string
	var lastErr error
	allowed := map[kube.Resource]bool{}
	for _, r := range resources {
		a := answers[r]
		if a.err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", listPermission(r), a.err))
			lastErr = a.err
			continue
		}
		allowed[r] = a.allowed
	}
	if len(resources) > 0 && len(failed) == len(resources) {
		if apierrors.IsForbidden(lastErr) {
			return checks.Result{Status: checks.StatusWarn, Summary: "the API server refuses to say what you may do",
				Findings: append(findings, checks.Finding{Severity: checks.StatusWarn,
					Message:  "the API server refuses access reviews: kockpit cannot tell which checks your permissions degrade",
					Evidence: failed,
					Hint:     "Every authenticated user may ask this (ClusterRole system:basic-user); a refusal means that role or its binding was changed.",
					Commands: []checks.Command{checks.Cmd("kubectl", "auth", "can-i", "--list")}})}
		}
		return checks.Result{Status: checks.StatusError, Summary: "could not ask about permissions: " + lastErr.Error(), Findings: findings}
	}
	if len(failed) > 0 {
		findings = append(findings, checks.Finding{Severity: checks.StatusWarn,
			Message:  fmt.Sprintf("could not ask about %d of %d permissions", len(failed), len(resources)),
			Evidence: failed,
			Commands: []checks.Command{checks.Cmd("kubectl", "auth", "can-i", "--list")}})
	}
	if f, ok := degradedFinding(env.Selected, allowed); ok {
		findings = append(findings, f)
	}
	result := checks.Result{Status: checks.Worst(findings), Findings: findings}
	switch {
	case result.Status == checks.StatusOK && len(resources) == 0:
		result.Summary = whoSummary(findings) + "; no check of this run lists objects"
	case result.Status == checks.StatusOK:
		result.Summary = fmt.Sprintf("%s; may list all %d kinds the checks read", whoSummary(findings), len(resources))
	default:
		result.Summary = findings[len(findings)-1].Message
	}
	return result
}

// whoAmI asks the API server who the credentials make us: a finding that says it, and the
// identity typed for the cockpit's header.
func whoAmI(ctx context.Context, env *checks.Env) (checks.Finding, *checks.Identity, error) {
	rctx, cancel, _ := apiRequestContext(ctx, env)
	defer cancel()
	ssr, err := env.Cluster.Clientset.AuthenticationV1().SelfSubjectReviews().Create(rctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return checks.Finding{}, nil, err
	}
	u := ssr.Status.UserInfo
	evidence := []string{"username: " + u.Username}
	if u.UID != "" {
		evidence = append(evidence, "uid: "+u.UID)
	}
	evidence = append(evidence, "groups: "+strings.Join(u.Groups, ", "))
	return checks.Finding{
		Severity: checks.StatusOK,
		Message:  fmt.Sprintf("authenticated as %q", u.Username),
		Evidence: evidence,
		Commands: []checks.Command{checks.Cmd("kubectl", "auth", "whoami")},
	}, &checks.Identity{User: u.Username, Groups: u.Groups}, nil
}

func whoSummary(findings []checks.Finding) string {
	for _, f := range findings {
		if strings.HasPrefix(f.Message, "authenticated as ") {
			return f.Message
		}
	}
	return "identity unknown"
}

// readResources returns every resource the checks read, once each, in a stable order.
func readResources(registry []checks.Check) []kube.Resource {
	seen := map[kube.Resource]bool{}
	var out []kube.Resource
	for _, c := range registry {
		for _, r := range c.Reads {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// reviewList asks, for each resource, whether we may list it in all namespaces: one review per
// resource, a few at a time, each bounded by the request timeout.
func reviewList(ctx context.Context, env *checks.Env, resources []kube.Resource) map[kube.Resource]accessAnswer {
	answers := make(map[kube.Resource]accessAnswer, len(resources))
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(accessReviewParallelism)
	for _, r := range resources {
		g.Go(func() error {
			a := accessAnswer{err: ctx.Err()} // cancelled while waiting for its turn
			if a.err == nil {
				a = reviewOne(ctx, env, r)
			}
			mu.Lock()
			answers[r] = a
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait() // the goroutines report their errors in answers
	return answers
}

func reviewOne(ctx context.Context, env *checks.Env, r kube.Resource) accessAnswer {
	rctx, cancel, _ := apiRequestContext(ctx, env)
	defer cancel()
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Group: r.Group, Version: r.Version, Resource: r.Resource},
	}}
	got, err := env.Cluster.Clientset.AuthorizationV1().SelfSubjectAccessReviews().Create(rctx, review, metav1.CreateOptions{})
	if err != nil {
		return accessAnswer{err: err}
	}
	reason := got.Status.Reason
	if got.Status.EvaluationError != "" {
		reason = strings.TrimSpace(reason + " " + got.Status.EvaluationError)
	}
	return accessAnswer{allowed: got.Status.Allowed && !got.Status.Denied, reason: reason}
}

// listPermission says what a check needs, as a reader would ask for it.
func listPermission(r kube.Resource) string {
	if r.Namespaced {
		return "list " + r.String() + " (all namespaces)"
	}
	return "list " + r.String()
}

// canICommand is the kubectl command that asks the same question.
func canICommand(r kube.Resource) checks.Command {
	if r.Namespaced {
		return checks.Cmd("kubectl", "auth", "can-i", "list", r.String(), "-A")
	}
	return checks.Cmd("kubectl", "auth", "can-i", "list", r.String())
}

// degradedFinding lists the checks that read something we may not list, with what they miss.
// Resources with no answer (their review failed) are not counted as denied.
func degradedFinding(registry []checks.Check, allowed map[kube.Resource]bool) (checks.Finding, bool) {
	var lines []string
	denied := map[kube.Resource]bool{}
	sorted := append([]checks.Check(nil), registry...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	for _, c := range sorted {
		var missing []string
		for _, r := range c.Reads {
			if ok, known := allowed[r]; known && !ok {
				missing = append(missing, listPermission(r))
				denied[r] = true
			}
		}
		if len(missing) > 0 {
			lines = append(lines, c.ID+": "+strings.Join(missing, ", "))
		}
	}
	if len(lines) == 0 {
		return checks.Finding{}, false
	}
	var deniedList []kube.Resource
	for r := range denied {
		deniedList = append(deniedList, r)
	}
	sort.Slice(deniedList, func(i, j int) bool { return deniedList[i].String() < deniedList[j].String() })
	var names []string
	var commands []checks.Command
	for _, r := range deniedList {
		names = append(names, r.String())
		commands = append(commands, canICommand(r))
	}
	return checks.Finding{
		Severity: checks.StatusWarn,
		Message:  fmt.Sprintf("%d checks will be degraded: you may not list %s", len(lines), strings.Join(names, ", ")),
		Evidence: lines,
		Hint: fmt.Sprintf("Those checks will skip what they cannot read, so their silence is not health. Ask for "+
			"a ClusterRole with get/list on %s, bound to you with a ClusterRoleBinding, e.g. %s (run by an admin).",
			strings.Join(names, ", "),
			checks.Cmd("kubectl", "create", "clusterrole", "kockpit-reader", "--verb=get,list", "--resource="+strings.Join(names, ","))),
		Commands: commands,
	}, true
}

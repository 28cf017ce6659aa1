package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// healthCheck is the api.health check.
var healthCheck = checks.Check{
	ID:       "api.health",
	Title:    "The API server's readiness and liveness checks pass",
	Category: checks.CategoryAPI,
	Learn:    learn("api.health"),
	Needs:    checks.NeedsLiveAPI,
	Run:      runAPIHealth,
}

// healthLine is one line of a verbose /readyz or /livez answer.
type healthLine struct {
	Name   string // "etcd", "poststarthook/start-apiextensions-controllers"
	OK     bool
	Detail string // what follows the name: "ok", "failed: reason withheld", "excluded: ok"
	Raw    string
}

// parseHealth reads a verbose health answer: "[+]ping ok", "[-]etcd failed: reason withheld",
// and a last line "readyz check failed". Lines in another shape are ignored: a proxy's error
// page has none of the [+]/[-] lines and is reported by the caller as it is.
func parseHealth(body string) []healthLine {
	var out []healthLine
	for _, raw := range strings.Split(body, "\n") {
		line := strings.TrimRight(raw, "\r")
		var ok bool
		switch {
		case strings.HasPrefix(line, "[+]"):
			ok = true
		case strings.HasPrefix(line, "[-]"):
		default:
			continue
		}
		rest := line[3:]
		name, detail, _ := strings.Cut(rest, " ")
		out = append(out, healthLine{Name: name, OK: ok, Detail: strings.TrimSpace(detail), Raw: line})
	}
	return out
}

// healthHint says where to look for a failing check, by the check's name.
func healthHint(name string) (hint string, cause bool) {
	switch {
	case strings.HasPrefix(name, "etcd"):
		return "The API server cannot reach etcd, or etcd has no quorum or no space: look at the etcd pod " +
			"(kubectl -n kube-system get pod -l component=etcd) and its log, its certificates and its disk, " +
			"and at the API server's --etcd-servers and --etcd-* certificate flags.", true
	case strings.HasPrefix(name, "kms-provider"):
		return "The API server cannot reach its KMS encryption plugin: encrypted resources cannot be read " +
			"or written. Check the plugin's socket named in the --encryption-provider-config file.", true
	case name == "informer-sync":
		return "The API server's caches are not filled yet: normal for a few seconds after a restart; if it " +
			"lasts, etcd is slow or one resource cannot be listed (the API server's log names it).", false
	case name == "shutdown":
		return "The API server received SIGTERM and is draining: it is being restarted or replaced.", false
	case strings.HasPrefix(name, "poststarthook/"):
		return "A start-up step of the API server did not finish; its log names the hook and why " +
			"(crictl logs on the control-plane node). Aggregation and CRD hooks wait on etcd and on APIServices.", false
	default:
		return "The API server's log says more about this check (crictl logs on the control-plane node).", false
	}
}

// healthProbe is what one endpoint answered.
type healthProbe struct {
	path string
	body []byte
	err  error
}

func runAPIHealth(ctx context.Context, env *checks.Env) checks.Result {
	paths := []string{"/readyz", "/livez"}
	probes := make([]healthProbe, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Go(func() {
			rctx, cancel, _ := apiRequestContext(ctx, env)
			defer cancel()
			body, err := env.Cluster.Clientset.Discovery().RESTClient().Get().AbsPath(p).Param("verbose", "").DoRaw(rctx)
			probes[i] = healthProbe{path: p, body: body, err: err}
		})
	}
	wg.Wait()

	var findings []checks.Finding
	var passed []string
	for _, p := range probes {
		fs, summary, skip := judgeHealth(p)
		if skip != nil {
			return *skip
		}
		findings = append(findings, fs...)
		if summary != "" {
			passed = append(passed, summary)
		}
	}
	status := checks.Worst(findings)
	if status == checks.StatusOK {
		return checks.Result{Status: checks.StatusOK, Summary: strings.Join(passed, "; "), Findings: findings}
	}
	var failing []string
	for _, f := range findings {
		if f.Severity > checks.StatusOK {
			failing = append(failing, f.Message)
		}
	}
	return checks.Result{Status: status, Summary: strings.Join(failing, "; "), Findings: findings}
}

// judgeHealth turns one endpoint's answer into findings. It returns a Skip result when the
// endpoint could not be asked at all, and a summary when every check passed.
func judgeHealth(p healthProbe) (findings []checks.Finding, summary string, skip *checks.Result) {
	endpoint := strings.TrimPrefix(p.path, "/")
	cmd := checks.Cmd("kubectl", "get", "--raw", p.path+"?verbose")
	var status apierrors.APIStatus
	if p.err != nil && !errors.As(p.err, &status) {
		msg, _ := kube.ClassifyConnError(p.err)
		r := checks.Skipped(checks.SkipUnreachable, fmt.Sprintf("%s: %s (see api.reachable)", p.path, msg))
		return nil, "", &r
	}
	if p.err != nil && (apierrors.IsForbidden(p.err) || apierrors.IsUnauthorized(p.err)) {
		r := checks.Skipped(checks.SkipForbidden, fmt.Sprintf("%s: %v", p.path, p.err))
		return nil, "", &r
	}
	lines := parseHealth(string(p.body))
	for _, l := range lines {
		if l.OK {
			continue
		}
		hint, cause := healthHint(l.Name)
		findings = append(findings, checks.Finding{
			Severity: checks.StatusFail,
			Message:  fmt.Sprintf("%s: %s %s", endpoint, l.Name, l.Detail),
			Evidence: []string{l.Raw},
			Hint:     hint,
			Commands: []checks.Command{cmd, checks.Cmd("kubectl", "get", "--raw", p.path+"/"+l.Name)},
			Cause:    cause,
		})
	}
	if p.err == nil && len(lines) == 0 {
		// A 200 that lists no check is not the API server's verbose answer: it does not say
		// the server is healthy.
		return []checks.Finding{{
			Severity: checks.StatusWarn,
			Message:  fmt.Sprintf("%s answered without listing any check: it may not be the API server", endpoint),
			Evidence: []string{"body: " + phrase.Clip(string(p.body), 200)},
			Hint:     "Something other than the API server may be answering (a proxy in front of it): compare the command's output with the kubeconfig's server: URL.",
			Commands: []checks.Command{cmd},
		}}, "", nil
	}
	if p.err == nil && len(findings) == 0 {
		return []checks.Finding{{
			Severity: checks.StatusOK,
			Message:  endpoint + " passes",
			Evidence: []string{fmt.Sprintf("%s: %d checks pass", p.path, len(lines))},
			Commands: []checks.Command{cmd},
		}}, fmt.Sprintf("%s passes (%d checks)", endpoint, len(lines)), nil
	}
	if len(findings) == 0 {
		// Failed without naming a check: a proxy's error page, or an answer from something else.
		findings = append(findings, checks.Finding{
			Severity: checks.StatusFail,
			Message:  fmt.Sprintf("%s failed without naming a check", endpoint),
			Evidence: []string{fmt.Sprintf("%s: %v", p.path, p.err), "body: " + phrase.Clip(string(p.body), 200)},
			Hint:     "Something other than the API server may be answering (a proxy in front of it); run the command and the API server's log.",
			Commands: []checks.Command{cmd},
		})
	}
	return findings, "", nil
}

package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"k8s.io/apimachinery/pkg/version"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
)

// apiSlow is the round trip past which a GET /version is worth a look: the endpoint does no
// work, so its time is the network, TLS and the server's own load.
const apiSlow = time.Second

// reachableCheck is the api.reachable check.
var reachableCheck = checks.Check{
	ID:           "api.reachable",
	Title:        "The API server answers",
	Category:     checks.CategoryAPI,
	Learn:        learn("api.reachable"),
	Needs:        checks.NeedsLiveAPI,
	Reachability: true,
	Run:          runAPIReachable,
}

// apiRequestContext bounds one request to the API server by the run's request timeout.
func apiRequestContext(ctx context.Context, env *checks.Env) (context.Context, context.CancelFunc, time.Duration) {
	timeout := env.Cluster.RequestTimeout
	if timeout <= 0 {
		timeout = kube.DefaultRequestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, cancel, timeout
}

// timedGetVersion asks for /version once and times the round trip; ctx bounds it.
func timedGetVersion(ctx context.Context, env *checks.Env) ([]byte, time.Duration, error) {
	start := time.Now()
	body, err := env.Cluster.Clientset.Discovery().RESTClient().Get().AbsPath("/version").DoRaw(ctx)
	return body, time.Since(start), err
}

func runAPIReachable(ctx context.Context, env *checks.Env) checks.Result {
	server := displayServer(env.Cluster.Server)
	cmd := checks.Cmd("kubectl", "get", "--raw", "/version", "-v=6")
	// One request timeout bounds the whole check, the second request of a slow server included.
	ctx, cancel, _ := apiRequestContext(ctx, env)
	defer cancel()
	body, took, err := timedGetVersion(ctx, env)
	if err != nil {
		msg, hint := kube.ClassifyConnError(err)
		return checks.Result{Status: checks.StatusFail, Summary: msg, Findings: []checks.Finding{{
			Severity: checks.StatusFail,
			Message:  msg,
			Evidence: []string{
				"server: " + server,
				fmt.Sprintf("GET /version failed after %s: %v", readableDuration(took), err),
			},
			Hint:     hint,
			Commands: []checks.Command{cmd},
			Cause:    true,
		}}}
	}
	evidence := []string{"server: " + server, fmt.Sprintf("GET /version answered in %s", readableDuration(took))}
	var info version.Info
	if jerr := json.Unmarshal(body, &info); jerr != nil || info.GitVersion == "" {
		return checks.Result{Status: checks.StatusWarn, Summary: "the server answers, but /version is not a Kubernetes version",
			Findings: []checks.Finding{{
				Severity: checks.StatusWarn,
				Message:  "the server answered /version with something that is not a Kubernetes version",
				Evidence: append(evidence, "body: "+phrase.Clip(string(body), 200)),
				Hint:     "The kubeconfig's server: URL may point at a proxy or another service rather than the API server.",
				Commands: []checks.Command{cmd},
			}}}
	}
	evidence = append(evidence, fmt.Sprintf("server version %s (%s)", info.GitVersion, info.Platform))

	if took <= apiSlow {
		return checks.Result{Status: checks.StatusOK, Summary: fmt.Sprintf("%s answers in %s", info.GitVersion, readableDuration(took)),
			Findings: []checks.Finding{{Severity: checks.StatusOK, Message: "the API server answers", Evidence: evidence, Commands: []checks.Command{cmd}}}}
	}
	// The first request pays for the TCP and TLS handshakes and any credential plugin: ask
	// again before calling the server slow.
	_, again, err2 := timedGetVersion(ctx, env)
	if err2 == nil {
		evidence = append(evidence, fmt.Sprintf("a second GET /version answered in %s", readableDuration(again)))
	}
	if err2 == nil && again <= apiSlow {
		return checks.Result{Status: checks.StatusOK, Summary: fmt.Sprintf("%s answers in %s (first request %s)", info.GitVersion,
			readableDuration(again), readableDuration(took)),
			Findings: []checks.Finding{{Severity: checks.StatusOK,
				Message:  "the API server answers; only the first request was slow (connection setup or the credential plugin)",
				Evidence: evidence, Commands: []checks.Command{cmd}}}}
	}
	if err2 != nil {
		evidence = append(evidence, fmt.Sprintf("a second GET /version failed: %v", err2))
	}
	msg := fmt.Sprintf("the API server is slow: /version took %s", readableDuration(took))
	return checks.Result{Status: checks.StatusWarn, Summary: msg, Findings: []checks.Finding{{
		Severity: checks.StatusWarn,
		Message:  msg,
		Evidence: evidence,
		Hint: "/version does no work, so its time is the network and the server's load: look for injected " +
			"latency (tc qdisc on the node's interfaces), a proxy in front of the API server, or an overloaded " +
			"API server or etcd (kubectl get --raw '/readyz?verbose').",
		Commands: []checks.Command{cmd, checks.Cmd("kubectl", "get", "--raw", "/readyz?verbose")},
	}}}
}

// displayServer is a server URL as evidence may show it: a password written into it
// (https://user:pass@host) is masked, as net/http masks it in its own errors.
func displayServer(server string) string {
	u, err := url.Parse(server)
	if err != nil || u.User == nil {
		return server
	}
	return u.Redacted()
}

// readableDuration keeps durations readable in evidence: 12ms, 1.234s.
func readableDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

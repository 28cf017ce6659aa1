package hubble

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	flowpb "github.com/cilium/cilium/api/v1/flow"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube/hubble"
	"github.com/kockpit/kockpit/safetext"
)

// defaultSince is how far back a live read goes when the run does not say (--hubble-since).
const defaultSince = 5 * time.Minute

// maxGroups caps the groups a check reports; the rest are counted.
const maxGroups = 25

// maxWitnesses caps the pods named per group.
const maxWitnesses = 3

// query is the read a check makes: the window live, the whole recording offline.
func query(env *checks.Env, q hubble.Query) hubble.Query {
	if env.Flows.Live() {
		since := env.FlowsSince
		if since <= 0 {
			since = defaultSince
		}
		q.Since = env.CurrentTime().Add(-since)
	}
	return q
}

// sinceArgs are the hubble observe flags that read the same window: --since live, none for a file
// (offline).
func sinceArgs(env *checks.Env) []string {
	if !env.Flows.Live() {
		return nil
	}
	since := env.FlowsSince
	if since <= 0 {
		since = defaultSince
	}
	return []string{"--since", since.String()}
}

// coverageText says what a read covered, so nobody reads "no drops" as more than it is.
func coverageText(env *checks.Env, q hubble.Query, cov hubble.Coverage) string {
	var b strings.Builder
	b.WriteString(env.Flows.Describe())
	switch {
	case !q.Since.IsZero():
		fmt.Fprintf(&b, ", since %s", q.Since.UTC().Format(time.RFC3339))
	case cov.Flows > 0:
		fmt.Fprintf(&b, ", %s to %s", cov.First.UTC().Format(time.RFC3339), cov.Last.UTC().Format(time.RFC3339))
	}
	if cov.Lost > 0 {
		fmt.Fprintf(&b, "; %d events lost", cov.Lost)
	}
	if cov.Capped {
		fmt.Fprintf(&b, "; stopped at %d flows", hubble.MaxFlows)
	}
	return b.String()
}

// coverageFindings are what a read says about its own gaps: lost events and nodes whose flows
// are missing. They come first: an absence of drops means less with them.
func coverageFindings(cov hubble.Coverage) []checks.Finding {
	var out []checks.Finding
	if cov.Lost > 0 {
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Problem:  "events-lost",
			Message:  fmt.Sprintf("Hubble lost %d events while these flows were recorded: drops may be missing", cov.Lost),
			Evidence: []string{"lost events: " + strconv.FormatUint(cov.Lost, 10)},
			Hint:     "Raise Hubble's buffer (hubble.eventBufferCapacity in the Helm values) or read a shorter window.",
		})
	}
	if len(cov.UnavailableNodes) > 0 {
		names := make([]string, len(cov.UnavailableNodes))
		for i, n := range cov.UnavailableNodes {
			names[i] = safetext.Message(n)
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Problem:  "nodes-unavailable",
			Message:  fmt.Sprintf("the relay could not read %d node(s): their flows are missing (%s)", len(names), strings.Join(names, ", ")),
			Evidence: names,
			Hint:     "Check the Cilium agent on those nodes: kubectl -n kube-system get pods -l k8s-app=cilium -o wide.",
			Commands: []checks.Command{checks.Cmd("kubectl", "-n", "kube-system", "get", "pods", "-l", "k8s-app=cilium", "-o", "wide")},
		})
	}
	return out
}

// peer is one side of a flow: kube/hubble names it the same way for the cockpit's Flows pane.
type peer = hubble.Peer

// witnesses keeps the first few distinct names, and counts all.
type witnesses struct {
	names []string
	seen  map[string]bool
}

func (w *witnesses) add(name string) {
	if name == "" || w.seen[name] {
		return
	}
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	w.seen[name] = true
	if len(w.names) < maxWitnesses {
		w.names = append(w.names, name)
	}
}

func (w *witnesses) text() string {
	shown := make([]string, len(w.names))
	for i, n := range w.names {
		shown[i] = safetext.Message(n)
	}
	s := strings.Join(shown, ", ")
	if more := len(w.seen) - len(w.names); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// shown are the kept names, terminal-safe; nil for none.
func (w *witnesses) shown() []string {
	if len(w.names) == 0 {
		return nil
	}
	out := make([]string, len(w.names))
	for i, n := range w.names {
		out[i] = safetext.Message(n)
	}
	return out
}

// window is the time span of a group's flows.
type window struct{ first, last time.Time }

func (w *window) see(f *flowpb.Flow) {
	if f.GetTime() == nil {
		return
	}
	t := f.GetTime().AsTime()
	if w.first.IsZero() || t.Before(w.first) {
		w.first = t
	}
	if t.After(w.last) {
		w.last = t
	}
}

func (w window) evidence() []string {
	if w.first.IsZero() {
		return nil
	}
	return []string{"first seen: " + w.first.UTC().Format(time.RFC3339), "last seen: " + w.last.UTC().Format(time.RFC3339)}
}

// readFlows reads the query's flows, turning a failed read into the result a reader can act on.
func readFlows(ctx context.Context, env *checks.Env, q hubble.Query, each func(*flowpb.Flow) error) (hubble.Coverage, *checks.Result) {
	cov, err := env.Flows.Flows(ctx, q, each)
	if err != nil {
		r := readError(err)
		return cov, &r
	}
	return cov, nil
}

// readError is the result of a read that failed: a relay that could not be reached through a
// port-forward is a Skip that says how it was tried; anything else (a relay that does not
// answer) an Error.
func readError(err error) checks.Result {
	var fe *hubble.ForwardError
	if !errors.As(err, &fe) {
		return checks.Errored(safetext.Message(err.Error()))
	}
	msg := safetext.Message(fe.Error())
	switch fe.Failure {
	case hubble.Forbidden:
		return checks.Skipped(checks.SkipForbidden, "forbidden: "+msg)
	case hubble.Unreachable:
		return checks.Skipped(checks.SkipUnreachable, msg)
	}
	return checks.Skipped(checks.SkipNotApplicable, msg)
}

// sortedKeys orders groups gravest first (rank, higher first), then by count, most first, then
// by key for a stable report: the cap on groups never hides a graver one behind many lighter.
func sortedKeys[G any](groups map[string]*G, rank, count func(*G) int) []string {
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		gi, gj := groups[keys[i]], groups[keys[j]]
		if ri, rj := rank(gi), rank(gj); ri != rj {
			return ri > rj
		}
		if ci, cj := count(gi), count(gj); ci != cj {
			return ci > cj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// plural counts a noun: "1 flow", "3 flows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// observeArgs starts a `hubble observe` line that reads the same flows as the check: the same
// window live, the same file offline; filter narrows it.
func observeArgs(env *checks.Env, filter ...string) []string {
	args := append([]string{"observe"}, filter...)
	if fwd, ok := env.Flows.(*hubble.ForwardedRelay); ok {
		// The hubble CLI's own port-forward (-P) reaches the relay kockpit forwarded to.
		if t, ok := fwd.Target(); ok {
			args = append(args, "-P")
			if t.ServiceNamespace != "kube-system" {
				args = append(args, "--kube-namespace", t.ServiceNamespace)
			}
		}
	}
	if !env.Flows.Live() {
		if path, ok := recordingPath(env); ok {
			args = append(args, "--input-file", path)
		}
	}
	return append(args, sinceArgs(env)...)
}

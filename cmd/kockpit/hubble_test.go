package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube/hubble/hubbletest"
)

func TestHubbleBadInputExitsTwoBeforeAnyCheck(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "flows.jsonpb")
	if err := os.WriteFile(broken, []byte("{\"flow\":{\"verdict\":\"DROPPED\"}}\n{\"flow\": [1,2]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"broken recording", []string{"--hubble-flows", broken}, broken + ":2: not a flow"},
		{"missing recording", []string{"--hubble-flows", filepath.Join(dir, "nope.jsonpb")}, "nope.jsonpb"},
		{"a FIFO is refused unopened", []string{"--hubble-flows", "/dev/stdin"}, ""},
		{"server without a port", []string{"--hubble-server", "relay.example"}, "--hubble-server"},
		{"TLS without a server", []string{"--hubble-tls-ca-cert", broken}, "need --hubble-server"},
		{"both sources", []string{"--hubble-server", "127.0.0.1:4245", "--hubble-flows", broken}, "give one"},
		{"bad CA", []string{"--hubble-server", "127.0.0.1:4245", "--hubble-tls-ca-cert", broken}, "no PEM certificate"},
		{"negative window", []string{"--hubble-flows", broken, "--hubble-since", "-5m"}, "--hubble-since must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--demo", "--report", "--format", "json"}, tc.args...)
			code, out, stderr := kockpit(t, args...)
			if code != 2 || out != "" || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stdout %d bytes, stderr %q: want exit 2 naming %q before any check ran", code, len(out), stderr, tc.want)
			}
		})
	}
}

func TestHubbleRelayThatNeverAnswersIsAnErrorNotAHang(t *testing.T) {
	const timeout = time.Second
	start := time.Now()
	code, out, stderr := kockpit(t, "--demo", "--report", "--format", "json", "--fail-on", "never",
		"--hubble-server", hubbletest.Silent(t), "--hubble-timeout", timeout.String(), "--only", "hubble.")
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := parseReport(t, out)
	for _, c := range r.Checks {
		if c.ID == "hubble.drops" && (c.Status != "error" || !strings.Contains(c.Summary, "sent nothing for 1s")) {
			t.Errorf("hubble.drops against a silent relay: %s %q", c.Status, c.Summary)
		}
	}
	// A bound as a ratio of the timeout: three checks ask, each within it, in parallel.
	if took > 5*timeout {
		t.Errorf("a silent relay held the report %s with --hubble-timeout %s", took, timeout)
	}
}

func TestHubbleRecordingGivesTheDropsInTheReport(t *testing.T) {
	rec := filepath.Join("..", "..", "testdata", "hubble", "flows.jsonpb")
	_, out, stderr := kockpit(t, "--report", "--format", "json", "--fail-on", "never", "--hubble-flows", rec, "--only", "hubble.drops")
	r := parseReport(t, out)
	if len(r.Checks) != 1 || r.Checks[0].Status != "fail" || len(r.Checks[0].Findings) != 3 {
		t.Fatalf("report: %+v\n%s", r.Checks, stderr)
	}
	// The datapath drop (a Fail) comes first, then the policy groups by count.
	if first, second := r.Checks[0].Findings[0].Message, r.Checks[0].Findings[1].Message; !strings.Contains(first, "stale or unroutable ip") ||
		!strings.Contains(second, "CiliumNetworkPolicy shop/no-egress") {
		t.Errorf("groups in the wrong order: %q, then %q", first, second)
	}
}

// TestHubbleDropGroupsInEveryFormat: a drop group reaches every report format whole: what was
// dropped between whom on which port, why, how often and when, the policy when the flows name
// it, and the hubble observe line that shows the same flows; the JSON has it as data too.
func TestHubbleDropGroupsInEveryFormat(t *testing.T) {
	rec := filepath.Join("..", "..", "testdata", "hubble", "flows.jsonpb")
	args := []string{"--report", "--fail-on", "never", "--hubble-flows", rec, "--only", "hubble.drops", "--format"}
	want := []string{
		"5 flows from shop/Deployment orders to world on TCP/443 dropped: policy denied by CiliumNetworkPolicy shop/no-egress",
		"drop reason: POLICY_DENIED", "flows: 5", "first seen: 2026-11-30T10:00:10Z", "last seen: 2026-11-30T10:00:14Z",
		"source pods: shop/orders-5c6b7-klmno", "denied by: CiliumNetworkPolicy shop/no-egress",
		"hubble observe --verdict DROPPED --input-file " + rec + " --from-pod shop/orders-5c6b7-klmno --to-identity reserved:world --to-port 443 --protocol tcp",
	}
	for _, format := range []string{"text", "markdown", "junit", "json"} {
		t.Run(format, func(t *testing.T) {
			code, out, stderr := kockpit(t, append(args, format)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("the %s report lacks %q:\n%s", format, w, out)
				}
			}
		})
	}
	_, out, _ := kockpit(t, append(args, "json")...)
	var r struct {
		APIVersion string `json:"apiVersion"`
		Checks     []struct {
			Findings []struct {
				Message string            `json:"message"`
				Flows   *checks.FlowGroup `json:"flows"`
			} `json:"findings"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.APIVersion != "kockpit.dev/v1alpha2" || len(r.Checks) != 1 || len(r.Checks[0].Findings) != 3 {
		t.Fatalf("JSON report: %s", out)
	}
	for _, f := range r.Checks[0].Findings {
		g := f.Flows
		if g == nil {
			t.Errorf("finding %q has no flows group", f.Message)
			continue
		}
		if g.Verdict != "DROPPED" || g.Reason == "" || g.Source.PodCount == 0 || g.Count == 0 || g.FirstSeen == nil || g.LastSeen.Before(*g.FirstSeen) ||
			g.Source.Name == "" || g.Destination.Name == "" {
			t.Errorf("finding %q: flows group %+v", f.Message, g)
		}
		if strings.Contains(f.Message, "no-egress") && (g.Count != 5 || g.Port != 443 || g.Protocol != "TCP" ||
			len(g.DeniedBy) != 1 || g.DeniedBy[0] != "CiliumNetworkPolicy shop/no-egress") {
			t.Errorf("the no-egress group: %+v", g)
		}
	}
}

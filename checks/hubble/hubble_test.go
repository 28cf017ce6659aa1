package hubble

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube/hubble"
	"github.com/kockpit/kockpit/kube/hubble/hubbletest"
)

func recording(t *testing.T) (*hubble.Recording, string) {
	t.Helper()
	p := filepath.Join(checktest.Testdata(), "hubble", "flows.jsonpb")
	rec, err := hubble.OpenRecording(t.Context(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rec, p
}

// flowsOnly is a run with flows and no cluster: `kockpit --hubble-flows FILE` alone.
func flowsOnly(src hubble.Source) *checks.Env {
	return &checks.Env{Flows: src, Now: func() time.Time { return time.Date(2026, 11, 30, 10, 1, 0, 0, time.UTC) }}
}

func messages(r checks.Result) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString(f.Severity.String() + " " + f.Message + "\n")
	}
	return b.String()
}

func TestDropsAreGroupedByReasonWorkloadsAndPort(t *testing.T) {
	rec, path := recording(t)
	r := checktest.RunCheck(t, flowsOnly(rec), "hubble.drops")
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v (%s), want fail: a datapath drop\n%s", r.Status, r.Summary, messages(r))
	}
	if !strings.Contains(r.Summary, "10 dropped flows in 3 groups") || !strings.Contains(r.Summary, "2026-11-30T10:00:06Z to 2026-11-30T10:00:15Z") {
		t.Errorf("summary %q does not say the count, the groups and the window the flows cover", r.Summary)
	}
	k8s := checktest.FindingWith(r, "4 flows from shop/Deployment frontend to shop/Deployment payments on TCP/8443 dropped: policy denied by NetworkPolicy shop/deny-all-ingress")
	if k8s == nil || k8s.Severity != checks.StatusWarn || !k8s.Cause {
		t.Fatalf("no policy group naming the NetworkPolicy:\n%s", messages(r))
	}
	if ev := strings.Join(k8s.Evidence, "\n"); !strings.Contains(ev, "destination pods: shop/payments-6f7a8-pqrst") ||
		!strings.Contains(ev, "source pods: shop/frontend-7d9f8-abcde, shop/frontend-7d9f8-fghij") || !strings.Contains(ev, "direction: ingress") {
		t.Errorf("evidence does not name the pods and the direction: %q", k8s.Evidence)
	}
	wantCmd := "hubble observe --verdict DROPPED --input-file " + path + " --from-pod shop/frontend-7d9f8-abcde --to-pod shop/payments-6f7a8-pqrst --to-port 8443 --protocol tcp"
	if got := k8s.Commands[0].String(); got != wantCmd {
		t.Errorf("command = %q\nwant      %q", got, wantCmd)
	}
	// POLICY_DENY (an explicit deny rule) groups with POLICY_DENIED: 3 + 2 flows to the world.
	cilium := checktest.FindingWith(r, "5 flows from shop/Deployment orders to world on TCP/443 dropped: policy denied by CiliumNetworkPolicy shop/no-egress")
	if cilium == nil {
		t.Fatalf("the deny rule's drops did not group with the policy drops:\n%s", messages(r))
	}
	if cmd := cilium.Commands[0].String(); !strings.Contains(cmd, "--to-identity reserved:world") {
		t.Errorf("command to the world = %q", cmd)
	}
	stale := checktest.FindingWith(r, "dropped: stale or unroutable ip")
	if stale == nil || stale.Severity != checks.StatusFail {
		t.Fatalf("no datapath drop:\n%s", messages(r))
	}
	if !strings.Contains(r.Summary, "12 events lost") {
		t.Errorf("the summary does not say the events the recording lost: %q", r.Summary)
	}
	status := checktest.RunCheck(t, flowsOnly(rec), "hubble.status")
	lost := checktest.FindingWith(status, "lost 12 events")
	gone := checktest.FindingWith(status, "could not read 1 node(s): their flows are missing (worker-3)")
	if lost == nil || gone == nil || status.Status != checks.StatusWarn {
		t.Errorf("hubble.status does not say the recording's gaps (%v %s):\n%s", status.Status, status.Summary, messages(status))
	}
}

// The same flows served by a relay give the same groups as the recording.
func TestDropsFromARelayMatchTheRecording(t *testing.T) {
	rec, path := recording(t)
	srv := hubbletest.Start(t, hubbletest.Load(t, path), nil)
	relay, err := hubble.DialRelay(hubble.RelayOptions{Server: srv.Addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	live := flowsOnly(relay)
	live.FlowsSince = 24 * time.Hour * 3650 // the recording is old; take all of it
	fromFile := checktest.RunCheck(t, flowsOnly(rec), "hubble.drops")
	fromRelay := checktest.RunCheck(t, live, "hubble.drops")
	if fromFile.Status != fromRelay.Status || len(fromFile.Findings) != len(fromRelay.Findings) {
		t.Fatalf("recording %v with %d findings, relay %v with %d\n%s\n%s", fromFile.Status, len(fromFile.Findings), fromRelay.Status, len(fromRelay.Findings), messages(fromFile), messages(fromRelay))
	}
	for i := range fromFile.Findings {
		if fromFile.Findings[i].Message != fromRelay.Findings[i].Message {
			t.Errorf("finding %d: recording %q, relay %q", i, fromFile.Findings[i].Message, fromRelay.Findings[i].Message)
		}
	}
	if cmd := fromRelay.Findings[2].Commands; len(cmd) == 0 || !strings.Contains(cmd[0].String(), "--since 87600h0m0s") {
		t.Errorf("a live group's command does not read the same window: %v", cmd)
	}
}

func TestDNSFailuresAndLookalikeNames(t *testing.T) {
	rec, _ := recording(t)
	r := checktest.RunCheck(t, flowsOnly(rec), "hubble.dns")
	f := checktest.FindingWith(r, "shop/Deployment frontend got NXDOMAIN for orders.shop.svc.cluster.lo")
	if f == nil || f.Severity != checks.StatusFail || !strings.Contains(f.Message, "look-alike") {
		t.Fatalf("no look-alike NXDOMAIN finding (%v %s):\n%s", r.Status, r.Summary, messages(r))
	}
	if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, "U+0441") {
		t.Errorf("evidence does not name the Cyrillic letter by code point: %q", f.Evidence)
	}
	if !strings.Contains(r.Summary, "3 failed DNS answers in 1 group of 5 answers") {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestDNSVisibilityOffIsNeverOK(t *testing.T) {
	_, path := recording(t)
	all := hubbletest.Load(t, path)
	srv := hubbletest.Start(t, all[:5], nil) // healthy TCP flows, no DNS through the proxy
	relay, err := hubble.DialRelay(hubble.RelayOptions{Server: srv.Addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	env := flowsOnly(relay)
	env.FlowsSince = 24 * time.Hour * 3650
	r := checktest.RunCheck(t, env, "hubble.dns")
	if r.Status != checks.StatusSkip || !strings.Contains(r.Summary, "DNS visibility off") {
		t.Fatalf("no DNS answers seen gave %v: %s", r.Status, r.Summary)
	}
}

func TestStatusFromTheClusterAndTheRelay(t *testing.T) {
	t.Run("hubble off", func(t *testing.T) {
		checktest.Cluster(t).Apply(t, checktest.Fixture("hubble-off"))
		r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "hubble.status")
		f := checktest.FindingWith(r, "Hubble is off in cilium-config (enable-hubble: false)")
		if r.Status != checks.StatusWarn || f == nil || f.Object == nil || f.Object.Name != "cilium-config" {
			t.Fatalf("%v %s\n%s", r.Status, r.Summary, messages(r))
		}
	})
	t.Run("relay not ready, and a node it cannot reach", func(t *testing.T) {
		checktest.Cluster(t).Apply(t, checktest.Fixture("hubble-relay-not-ready"))
		_, path := recording(t)
		srv := hubbletest.Start(t, hubbletest.Load(t, path), nil)
		relay, err := hubble.DialRelay(hubble.RelayOptions{Server: srv.Addr, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer relay.Close()
		env := checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig)
		env.Flows = relay
		r := checktest.RunCheck(t, env, "hubble.status")
		notReady := checktest.FindingWith(r, "the hubble-relay Service has no ready endpoint")
		unreachable := checktest.FindingWith(r, "the relay cannot reach 1 node(s): no flows from them (worker-3)")
		if r.Status != checks.StatusFail || notReady == nil || unreachable == nil {
			t.Fatalf("%v %s\n%s", r.Status, r.Summary, messages(r))
		}
		if !strings.Contains(r.Summary, "22 flows seen") {
			t.Errorf("summary does not give the relay's own figures: %q", r.Summary)
		}
	})
	t.Run("no cilium", func(t *testing.T) {
		r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "hubble.status")
		if r.Status != checks.StatusSkip || !strings.Contains(r.Summary, "not a Cilium cluster") {
			t.Fatalf("%v %s", r.Status, r.Summary)
		}
	})
}

func TestNoFlowsSaysHowToGiveThem(t *testing.T) {
	r := checktest.RunCheck(t, &checks.Env{}, "hubble.drops")
	if r.Status != checks.StatusSkip || !strings.Contains(r.Summary, "--hubble-server") || !strings.Contains(r.Summary, "--hubble-flows") {
		t.Fatalf("%v %s", r.Status, r.Summary)
	}
}

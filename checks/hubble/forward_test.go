package hubble

import (
	"context"
	"strings"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube/hubble"
	"github.com/kockpit/kockpit/kube/hubble/hubbletest"
	"github.com/kockpit/kockpit/kube/portforward"
	"github.com/kockpit/kockpit/kube/portforward/portforwardtest"
	"github.com/kockpit/kockpit/kube/testcluster"
)

// forwardCall is one port-forward a run asked for.
type forwardCall struct {
	namespace, pod string
	port           int
}

// TestRelayThroughAPortForward: with no --hubble-server, the relay is found in the real API
// server (the Service in "cilium", its ready pod, the container port its targetPort names), and
// the flows are read through a real port-forward. The test cluster has no kubelet, so the
// forward goes through a stand-in API server that carries it to a real observer server.
func TestRelayThroughAPortForward(t *testing.T) {
	c := checktest.Cluster(t)
	c.Apply(t, checktest.Fixture("hubble-relay-forward"))
	rec, path := recording(t)
	srv := hubbletest.Start(t, hubbletest.Load(t, path), nil)
	stand := portforwardtest.Start(t, srv.Addr)
	var calls []forwardCall
	forward := func(ctx context.Context, namespace, pod string, port int) (*portforward.Tunnel, error) {
		calls = append(calls, forwardCall{namespace, pod, port})
		return portforward.Forward(ctx, stand.Config, namespace, pod, port, 5*time.Second)
	}
	env := checktest.LiveEnv(t, c.AdminKubeconfig)
	env.Active = true
	fwd := hubble.NewForwardedRelay(env.Snapshot, forward, hubble.RelayOptions{Timeout: 5 * time.Second})
	defer fwd.Close()
	env.Flows = fwd
	env.FlowsSince = 24 * time.Hour * 3650 // the recording is old; take all of it

	live := checktest.RunCheck(t, env, "hubble.drops")
	fromFile := checktest.RunCheck(t, flowsOnly(rec), "hubble.drops")
	if live.Status != fromFile.Status || messages(live) != messages(fromFile) {
		t.Fatalf("through the port-forward %v (%s):\n%s\nfrom the recording %v:\n%s", live.Status, live.Summary, messages(live), fromFile.Status, messages(fromFile))
	}
	want := forwardCall{"cilium", "hubble-relay-7c9d4-bbbbb", 4245}
	if len(calls) != 1 || calls[0] != want {
		t.Errorf("port-forwards %+v, want one to %+v (the ready pod, the port named grpc)", calls, want)
	}
	if !strings.Contains(live.Summary, "a port-forward to service cilium/hubble-relay, pod hubble-relay-7c9d4-bbbbb, port 4245") {
		t.Errorf("the summary does not say how the relay was reached: %q", live.Summary)
	}
	for _, f := range live.Findings {
		if len(f.Commands) > 0 && !strings.HasPrefix(f.Commands[0].String(), "hubble observe --verdict DROPPED -P --kube-namespace cilium ") {
			t.Errorf("the hubble observe line does not port-forward to the same relay: %s", f.Commands[0])
		}
	}
	// A second check of the run reuses the forward.
	status := checktest.RunCheck(t, env, "hubble.status")
	if !strings.Contains(status.Summary, "22 flows seen") || len(calls) != 1 || stand.Streams.Load() < 1 {
		t.Errorf("hubble.status through the same forward: %v %s (%d forwards)", status.Status, status.Summary, len(calls))
	}
	// The API server drops the forward (a restart): the next read forwards again.
	stand.CloseAll()
	deadline := time.Now().Add(10 * time.Second)
	for _, ok := fwd.Target(); ok; _, ok = fwd.Target() {
		if time.Now().After(deadline) {
			t.Fatal("the forward never noticed the API server ended it")
		}
		time.Sleep(10 * time.Millisecond)
	}
	again := checktest.RunCheck(t, env, "hubble.drops")
	if messages(again) != messages(fromFile) || len(calls) != 2 {
		t.Errorf("after the forward ended: %v %s (%d forwards)\n%s", again.Status, again.Summary, len(calls), messages(again))
	}
}

// TestRelayUnreachableSaysHowItWasTried: the real API server takes the port-forward (a create
// of pods/portforward, which the package's audit check permits and nothing more) and cannot
// reach the pod's node; the checks skip, naming the Service, the pod, the port and the error.
func TestRelayUnreachableSaysHowItWasTried(t *testing.T) {
	c := checktest.Cluster(t)
	c.Apply(t, checktest.Fixture("hubble-relay-forward"))
	env := checktest.LiveEnv(t, c.AdminKubeconfig)
	env.Active = true
	fwd := hubble.NewForwardedRelay(env.Snapshot, hubble.NewForwarder(env.Cluster), hubble.RelayOptions{Timeout: 5 * time.Second})
	defer fwd.Close()
	env.Flows = fwd
	before, err := c.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"hubble.drops", "hubble.dns"} {
		r := checktest.RunCheck(t, env, id)
		t.Logf("%s: %s", id, r.Summary)
		if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipUnreachable ||
			!strings.Contains(r.Summary, "hubble-relay not reached through a port-forward (service cilium/hubble-relay, pod hubble-relay-7c9d4-bbbbb, port 4245): ") {
			t.Errorf("%s: %v (%s) %s", id, r.Status, r.SkipReason, r.Summary)
		}
	}
	// The forward is what the read-only proof permits, a create of pods/portforward (as the
	// DNS probe's), and nothing else was asked but reads.
	events, err := c.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	forwards := 0
	for _, e := range events[len(before):] {
		if !strings.HasPrefix(e.UserAgent, "kockpit/") {
			continue
		}
		switch {
		case e.Verb == "create" && e.Resource == "pods" && e.Subresource == "portforward":
			forwards++
			if e.Namespace != "cilium" || !strings.Contains(e.RequestURI, "/pods/hubble-relay-7c9d4-bbbbb/portforward") {
				t.Errorf("a port-forward elsewhere: %s", e)
			}
		case e.Verb != "list" && e.Verb != "get" && e.Verb != "watch":
			t.Errorf("kockpit asked more than reads and the port-forward: %s", e)
		}
	}
	if forwards == 0 {
		t.Error("no port-forward in the audit log: the test proves nothing")
	}
	if writes, err := c.WritesBy("kockpit/"); err != nil || len(writes) > 0 {
		t.Errorf("the read-only proof counts a write: %v %v", writes, err)
	}
}

// TestNoRelayToForwardTo: a live cluster without hubble-relay: the flows checks skip as not
// applicable and say so, never pass.
func TestNoRelayToForwardTo(t *testing.T) {
	env := checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig)
	env.Active = true
	fwd := hubble.NewForwardedRelay(env.Snapshot, func(context.Context, string, string, int) (*portforward.Tunnel, error) {
		t.Fatal("a port-forward with no relay pod to forward to")
		return nil, nil
	}, hubble.RelayOptions{})
	env.Flows = fwd
	r := checktest.RunCheck(t, env, "hubble.drops")
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotApplicable || !strings.Contains(r.Summary, "hubble-relay") {
		t.Fatalf("%v (%s) %s", r.Status, r.SkipReason, r.Summary)
	}
	status := checktest.RunCheck(t, env, "hubble.status")
	if status.Status != checks.StatusSkip || !strings.Contains(status.Summary, "not a Cilium cluster") {
		t.Errorf("hubble.status: %v %s", status.Status, status.Summary)
	}
}

// TestNoActiveDoesNotForward: --no-active on a live cluster: no port-forward, and the checks
// say how else to give flows.
func TestNoActiveDoesNotForward(t *testing.T) {
	env := checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig)
	env.Active = false
	r := checktest.RunCheck(t, env, "hubble.drops")
	want := "port-forward to hubble-relay not tried: --no-active (use --hubble-server or --hubble-flows)"
	if r.Status != checks.StatusSkip || !strings.Contains(r.Summary, want) {
		t.Fatalf("%v %s", r.Status, r.Summary)
	}
}

// TestRelayPortForwardForbidden: a user who may read pods and Services but not port-forward
// gets a Skip that names the permission, from the real API server's refusal.
func TestRelayPortForwardForbidden(t *testing.T) {
	c := checktest.Cluster(t)
	c.Apply(t, checktest.Fixture("hubble-relay-forward"), checktest.Fixture("dns-probe-forbidden"))
	kc := c.KubeconfigWith(t, func(cfg *clientcmdapi.Config) {
		cfg.AuthInfos[testcluster.AdminUser].Impersonate = "dns-viewer"
	})
	env := checktest.LiveEnv(t, kc)
	env.Active = true
	fwd := hubble.NewForwardedRelay(env.Snapshot, hubble.NewForwarder(env.Cluster), hubble.RelayOptions{Timeout: 5 * time.Second})
	defer fwd.Close()
	env.Flows = fwd
	r := checktest.RunCheck(t, env, "hubble.drops")
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipForbidden ||
		!strings.Contains(r.Summary, `the port-forward to hubble-relay needs "create pods/portforward" in cilium (service cilium/hubble-relay, pod hubble-relay-7c9d4-bbbbb, port 4245; or pass --hubble-server)`) {
		t.Fatalf("%v (%s) %s", r.Status, r.SkipReason, r.Summary)
	}
}

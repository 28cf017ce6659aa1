package hubble_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	flowpb "github.com/cilium/cilium/api/v1/flow"

	"github.com/kockpit/kockpit/kube/hubble"
	"github.com/kockpit/kockpit/kube/hubble/hubbletest"
)

func recordingPath() string { return filepath.Join("..", "..", "testdata", "hubble", "flows.jsonpb") }

// drops reads the dropped flows of a source and counts them by drop reason.
func drops(t *testing.T, src hubble.Source) (map[string]int, hubble.Coverage) {
	t.Helper()
	got := map[string]int{}
	cov, err := src.Flows(t.Context(), hubble.Query{Verdicts: []flowpb.Verdict{flowpb.Verdict_DROPPED}}, func(f *flowpb.Flow) error {
		got[f.GetDropReasonDesc().String()]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, cov
}

func TestRecordingAndRelayGiveTheSameFlows(t *testing.T) {
	rec, err := hubble.OpenRecording(t.Context(), recordingPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Lines != 22 {
		t.Errorf("recording lines = %d, want 22", rec.Lines)
	}
	fromFile, fileCov := drops(t, rec)
	want := map[string]int{"POLICY_DENIED": 7, "POLICY_DENY": 2, "STALE_OR_UNROUTABLE_IP": 1}
	for k, v := range want {
		if fromFile[k] != v {
			t.Errorf("recording: %s drops = %d, want %d (all: %v)", k, fromFile[k], v, fromFile)
		}
	}
	if fileCov.Flows != 10 || fileCov.Lost != 12 || len(fileCov.UnavailableNodes) != 1 || fileCov.UnavailableNodes[0] != "worker-3" {
		t.Errorf("recording coverage = %+v, want 10 drops, 12 lost events, worker-3 unavailable", fileCov)
	}

	srv := hubbletest.Start(t, hubbletest.Load(t, recordingPath()), nil)
	relay, err := hubble.DialRelay(hubble.RelayOptions{Server: srv.Addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	fromRelay, relayCov := drops(t, relay)
	for k, v := range want {
		if fromRelay[k] != v {
			t.Errorf("relay: %s drops = %d, want %d", k, fromRelay[k], v)
		}
	}
	if relayCov.Flows != fileCov.Flows || relayCov.Lost != fileCov.Lost || !relayCov.First.Equal(fileCov.First) || !relayCov.Last.Equal(fileCov.Last) {
		t.Errorf("relay coverage %+v differs from the recording's %+v", relayCov, fileCov)
	}
	req := <-srv.Requests
	if len(req.GetWhitelist()) != 1 || len(req.GetWhitelist()[0].GetVerdict()) != 1 || req.GetWhitelist()[0].GetVerdict()[0] != flowpb.Verdict_DROPPED {
		t.Errorf("the relay was asked %v: want the DROPPED verdict filtered at the server", req.GetWhitelist())
	}

	st, err := relay.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.SeenFlows != 22 || st.ConnectedNodes == nil || *st.ConnectedNodes != 2 || len(st.UnavailableNodes) != 1 {
		t.Errorf("status = %+v", st)
	}
	if _, err := rec.Status(t.Context()); !errors.Is(err, hubble.ErrNoStatus) {
		t.Errorf("a recording's status: %v, want ErrNoStatus", err)
	}
}

func TestRelaySinceAsksTheServer(t *testing.T) {
	srv := hubbletest.Start(t, hubbletest.Load(t, recordingPath()), nil)
	relay, err := hubble.DialRelay(hubble.RelayOptions{Server: srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	since := time.Date(2026, 11, 30, 10, 0, 10, 0, time.UTC)
	_, cov := drops(t, relay)
	all := cov.Flows
	cov, err = relay.Flows(t.Context(), hubble.Query{Since: since, Verdicts: []flowpb.Verdict{flowpb.Verdict_DROPPED}}, func(*flowpb.Flow) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if cov.Flows >= all || cov.Flows == 0 || cov.First.Before(since) {
		t.Errorf("since %s: %d of %d drops, first %s", since, cov.Flows, all, cov.First)
	}
}

func TestRelayThatNeverAnswersIsAnErrorWithinTheTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	relay, err := hubble.DialRelay(hubble.RelayOptions{Server: hubbletest.Silent(t), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	start := time.Now()
	_, err = relay.Status(t.Context())
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("status from a silent relay: %v", err)
	}
	start = time.Now()
	_, err = relay.Flows(t.Context(), hubble.Query{}, func(*flowpb.Flow) error { return nil })
	if err == nil {
		t.Fatal("flows from a silent relay: no error")
	}
	// A bound, not a speed: several times the timeout would mean something waited on its own.
	if took > 4*timeout || time.Since(start) > 4*timeout {
		t.Errorf("a silent relay held kockpit %s and %s with a %s timeout", took, time.Since(start), timeout)
	}
}

func TestUnreachableRelaySaysHowItWasTried(t *testing.T) {
	relay, err := hubble.DialRelay(hubble.RelayOptions{Server: "127.0.0.1:1", Timeout: time.Second, How: "--hubble-server"})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	_, err = relay.Status(t.Context())
	if err == nil || !strings.Contains(err.Error(), "cannot be reached (tried --hubble-server)") {
		t.Fatalf("unreachable relay: %v", err)
	}
}

func TestRelayOverTLS(t *testing.T) {
	dir := t.TempDir()
	ca, serverCfg := hubbletest.TLS(t, dir, "relay.hubble-relay.cilium.io")
	srv := hubbletest.Start(t, hubbletest.Load(t, recordingPath()), serverCfg)
	relay, err := hubble.DialRelay(hubble.RelayOptions{Server: srv.Addr, TLS: true, CAFile: ca, ServerName: "relay.hubble-relay.cilium.io", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	if got, _ := drops(t, relay); got["POLICY_DENIED"] != 7 {
		t.Errorf("drops over TLS: %v", got)
	}

	wrongName, err := hubble.DialRelay(hubble.RelayOptions{Server: srv.Addr, TLS: true, CAFile: ca, ServerName: "other.example", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer wrongName.Close()
	if _, err := wrongName.Status(t.Context()); err == nil {
		t.Error("a certificate for another name was accepted")
	}
}

func TestBadRecordingsNameTheLine(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(recordingPath())
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(string(good), "\n", 2)[0]
	for _, tc := range []struct {
		name, content, want string
	}{
		{"not json", first + "\n\n{\"flow\": nope}\n", ":3: not a flow"},
		{"wrong type", first + "\n{\"flow\": {\"verdict\": 12.5}}\n", ":2: not a flow"},
		{"empty", "\n\n", "holds no flows"},
		{"long line", first + "\n" + strings.Repeat(" ", hubble.MaxRecordingLine+10) + "\n", ":2: a line longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".jsonpb")
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := hubble.OpenRecording(context.Background(), p, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "fix:") {
				t.Fatalf("error = %v, want %q with a fix", err, tc.want)
			}
		})
	}

	newer := `{"flow":{"verdict":"DROPPED","drop_reason_desc":"POLICY_DENIED","a_field_from_cilium_2_0":{"x":1}},"another_new_field":true}` + "\n"
	p := filepath.Join(dir, "newer.jsonpb")
	if err := os.WriteFile(p, []byte(newer), 0o600); err != nil {
		t.Fatal(err)
	}
	rec, err := hubble.OpenRecording(context.Background(), p, nil)
	if err != nil {
		t.Fatalf("a recording from a newer Cilium: %v", err)
	}
	if got, _ := drops(t, rec); got["POLICY_DENIED"] != 1 {
		t.Errorf("newer recording drops: %v", got)
	}

	fromStdin, err := hubble.OpenRecording(context.Background(), "-", strings.NewReader(string(good)))
	if err != nil || fromStdin.Lines != 22 {
		t.Fatalf("standard input: %v, %d lines", err, fromStdin.Lines)
	}
}

// TestFollowSendsHeldFlowsThenNewOnes: following a relay gives the last flows it holds, then a
// flow the server learns after the stream started, and a quiet stream is no error.
func TestFollowSendsHeldFlowsThenNewOnes(t *testing.T) {
	held := hubbletest.Load(t, recordingPath())
	srv := hubbletest.Start(t, held, nil)
	relay, err := hubble.DialRelay(hubble.RelayOptions{Server: srv.Addr, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan *flowpb.Flow, 64)
	done := make(chan error, 1)
	go func() {
		_, err := relay.Follow(ctx, 3, func(f *flowpb.Flow) error { got <- f; return nil })
		done <- err
	}()
	if err := srv.WaitFollowing(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, r := range held[len(held)-3:] {
		if r.GetFlow() != nil {
			want++
		}
	}
	for range want {
		<-got
	}
	// Silent for longer than the relay's timeout: following, that is a quiet cluster.
	time.Sleep(400 * time.Millisecond)
	pushed := hubbletest.Load(t, recordingPath())[0]
	pushed.GetFlow().Uuid = "pushed-after-follow"
	srv.Push(pushed)
	select {
	case f := <-got:
		if f.GetUuid() != "pushed-after-follow" {
			t.Errorf("after the held flows came %q, want the pushed flow", f.GetUuid())
		}
	case err := <-done:
		t.Fatalf("follow ended before the pushed flow: %v", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("follow ended with %v, want context.Canceled", err)
	}
}

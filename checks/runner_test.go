package checks

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/kube"
)

func collect(ch <-chan Result) map[string]Result {
	out := map[string]Result{}
	for r := range ch {
		out[r.CheckID] = r
	}
	return out
}

func fixedCheck(id string, r Result) Check {
	return Check{ID: id, Category: CategoryAPI, Run: func(context.Context, *Env) Result { return r }}
}

func TestRunIsolatesPanicsAndHangs(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	list := []Check{
		fixedCheck("ok", Result{Status: StatusOK, Summary: "fine"}),
		{ID: "panics", Run: func(context.Context, *Env) Result { panic("boom") }},
		// Ignores its context: the runner must give up on it and go on.
		{ID: "hangs", Run: func(context.Context, *Env) Result { <-release; return Result{Status: StatusOK} }},
		// Honours its context but returns OK late: it must not be believed.
		{ID: "late", Run: func(ctx context.Context, _ *Env) Result { <-ctx.Done(); return Result{Status: StatusOK} }},
	}
	start := time.Now()
	got := collect(Run(context.Background(), list, &Env{}, RunOptions{Timeout: 100 * time.Millisecond}))
	if len(got) != 4 {
		t.Fatalf("got %d results, want 4: %v", len(got), got)
	}
	if r := got["ok"]; r.Status != StatusOK || r.Summary != "fine" {
		t.Errorf("ok check: %+v", r)
	}
	if r := got["panics"]; r.Status != StatusError || !strings.Contains(r.Summary, "boom") {
		t.Errorf("panicking check: %+v", r)
	}
	if r := got["hangs"]; r.Status != StatusError || !strings.Contains(r.Summary, "did not stop") {
		t.Errorf("hanging check: %+v", r)
	}
	if r := got["late"]; r.Status != StatusError || !strings.Contains(r.Summary, "timed out") {
		t.Errorf("late check: %+v", r)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("run took %s; a hung check held it up", d)
	}
}

func TestRunStreamsBeforeSlowChecksFinish(t *testing.T) {
	slowRelease := make(chan struct{})
	list := []Check{
		{ID: "slow", Run: func(ctx context.Context, _ *Env) Result {
			<-slowRelease
			return Result{Status: StatusOK}
		}},
		fixedCheck("fast", Result{Status: StatusOK}),
	}
	ch := Run(context.Background(), list, &Env{}, RunOptions{Timeout: 5 * time.Second})
	first := <-ch
	if first.CheckID != "fast" {
		t.Fatalf("first result is %q, want the fast check while the slow one still runs", first.CheckID)
	}
	close(slowRelease)
	if second := <-ch; second.CheckID != "slow" {
		t.Fatalf("second result is %q", second.CheckID)
	}
	if _, open := <-ch; open {
		t.Fatal("channel not closed after the last result")
	}
}

func TestRunBoundsParallelism(t *testing.T) {
	var running, peak atomic.Int32
	var list []Check
	for i := range 12 {
		list = append(list, Check{ID: string(rune('a' + i)), Run: func(context.Context, *Env) Result {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			running.Add(-1)
			return Result{Status: StatusOK}
		}})
	}
	got := collect(Run(context.Background(), list, &Env{}, RunOptions{Parallelism: 3}))
	if len(got) != 12 {
		t.Fatalf("got %d results", len(got))
	}
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak concurrency %d, want at most 3 (and some overlap)", p)
	}
}

func TestRunCancelReportsEveryCheck(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 2)
	// Both block until cancelled; with one slot, whichever starts first runs and the other
	// waits in the queue.
	blocking := func(ctx context.Context, _ *Env) Result {
		started <- struct{}{}
		<-ctx.Done()
		return Errored(ctx.Err().Error())
	}
	list := []Check{{ID: "first", Run: blocking}, {ID: "second", Run: blocking}}
	ch := Run(ctx, list, &Env{}, RunOptions{Parallelism: 1})
	<-started
	cancel()
	got := collect(ch)
	queued := 0
	for _, id := range []string{"first", "second"} {
		r := got[id]
		if r.Status != StatusError || !strings.Contains(r.Summary, "cancelled") {
			t.Errorf("%s after cancel: %+v", id, r)
		}
		if strings.Contains(r.Summary, "before it ran") {
			queued++
		}
	}
	if queued != 1 {
		t.Errorf("want exactly one check cancelled in the queue, got %d: %+v", queued, got)
	}
}

func TestRunDoesNotBelieveACheckCancelledMidway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	// Honours its context, but then claims health from what it saw before the cancel.
	list := []Check{{ID: "claims-ok", Run: func(ctx context.Context, _ *Env) Result {
		close(started)
		<-ctx.Done()
		return Result{Status: StatusOK, Summary: "all good"}
	}}}
	ch := Run(ctx, list, &Env{}, RunOptions{})
	<-started
	cancel()
	if r := collect(ch)["claims-ok"]; r.Status != StatusError || !strings.Contains(r.Summary, "cancelled") {
		t.Errorf("a check that returned OK after the run was cancelled: %+v", r)
	}
}

func TestRunSkipsUnmetNeeds(t *testing.T) {
	ctx := context.Background()
	node := &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	offline, err := kube.NewObjectSnapshot(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	ran := func(context.Context, *Env) Result { return Result{Status: StatusOK, Summary: "ran"} }
	list := []Check{
		{ID: "live", Needs: NeedsLiveAPI, Run: ran},
		{ID: "objects", Needs: NeedsObjects, Run: ran},
		{ID: "kubeconfig", Needs: NeedsKubeconfig, Run: ran},
	}
	got := collect(Run(ctx, list, &Env{Snapshot: offline}, RunOptions{}))
	if r := got["live"]; r.Status != StatusSkip || r.SkipReason != SkipOffline {
		t.Errorf("live check offline: %+v", r)
	}
	if r := got["objects"]; r.Status != StatusOK || r.Summary != "ran" {
		t.Errorf("objects check offline: %+v", r)
	}
	if r := got["kubeconfig"]; r.Status != StatusSkip || r.SkipReason != SkipOffline {
		t.Errorf("kubeconfig check offline: %+v", r)
	}
	got = collect(Run(ctx, list, &Env{}, RunOptions{}))
	for id, r := range got {
		if r.Status != StatusSkip || r.SkipReason != SkipNoKubeconfig {
			t.Errorf("%s without any cluster: %+v", id, r)
		}
	}
	// A kubeconfig no client could be built from: the cluster checks must not claim there is
	// no kubeconfig, and the kubeconfig check runs to say what is wrong with it.
	got = collect(Run(ctx, list, &Env{Kubeconfig: &kube.Kubeconfig{Context: "broken"}}, RunOptions{}))
	for _, id := range []string{"live", "objects"} {
		if r := got[id]; r.Status != StatusSkip || r.SkipReason != SkipUnreachable || !strings.Contains(r.Summary, "api.kubeconfig") {
			t.Errorf("%s with an unusable kubeconfig: %+v", id, r)
		}
	}
	if r := got["kubeconfig"]; r.Status != StatusOK {
		t.Errorf("kubeconfig check with a kubeconfig: %+v", r)
	}
}

func TestRunKeepsStatusHonest(t *testing.T) {
	list := []Check{fixedCheck("claims-ok", Result{
		Status:   StatusOK,
		Findings: []Finding{{Severity: StatusFail, Message: "broken"}},
	})}
	got := collect(Run(context.Background(), list, &Env{}, RunOptions{}))
	if r := got["claims-ok"]; r.Status != StatusFail {
		t.Errorf("a check with a Fail finding reported %s", r.Status)
	}
}

func TestStatusMarksDifferByShape(t *testing.T) {
	seen := map[string]Status{}
	for s := StatusSkip; s <= StatusError; s++ {
		m := s.Mark()
		if len([]rune(m)) != 1 {
			t.Errorf("%s: mark %q is not one character", s, m)
		}
		if other, dup := seen[m]; dup {
			t.Errorf("%s and %s share the mark %q", s, other, m)
		}
		seen[m] = s
	}
}

package hubble

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"testing"
	"time"

	flowpb "github.com/cilium/cilium/api/v1/flow"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube/hubble"
)

// generated is a Source of n flows, cycled from a pool of poolSize made once, each given its
// own time as it is read: the benchmark measures the grouping and what it keeps, not a file or
// the making of flows. The mix is a busy cluster's: 200 workloads of 3 to 5 pods in 20
// namespaces, one flow in ten forwarded (left out by the verdict filter, as a relay does), and
// among drops: policy drops with and without *_denied_by, explicit deny rules, drops to the
// world from 4,096 addresses, and datapath drops (stale IP, CT map full, unknown
// connection-tracking state).
type generated struct {
	n    int
	pool []*flowpb.Flow
}

const poolSize = 1 << 14

func newGenerated(n int) generated {
	g := generated{n: n, pool: make([]*flowpb.Flow, poolSize)}
	datapath := []flowpb.DropReason{flowpb.DropReason_STALE_OR_UNROUTABLE_IP, flowpb.DropReason_CT_MAP_INSERTION_FAILED, flowpb.DropReason_UNKNOWN_CONNECTION_TRACKING_STATE}
	named := []*flowpb.Policy{{Kind: "CiliumNetworkPolicy", Namespace: "ns-3", Name: "deny-egress"}}
	for i := range g.pool {
		src, dst := i%200, (i/7)%200
		f := &flowpb.Flow{
			Verdict:          flowpb.Verdict_DROPPED,
			DropReasonDesc:   flowpb.DropReason_POLICY_DENIED,
			TrafficDirection: flowpb.TrafficDirection_INGRESS,
			Source:           workload(src, i%5),
			Destination:      workload(dst, i%3),
			L4:               &flowpb.Layer4{Protocol: &flowpb.Layer4_TCP{TCP: &flowpb.TCP{DestinationPort: uint32(8000 + i%4)}}},
		}
		switch i % 10 {
		case 0:
			f.Verdict = flowpb.Verdict_FORWARDED
		case 1, 2:
			f.IngressDeniedBy = named
		case 3:
			f.DropReasonDesc = flowpb.DropReason_POLICY_DENY
		case 4:
			f.TrafficDirection = flowpb.TrafficDirection_EGRESS
			f.Destination = &flowpb.Endpoint{Identity: 2, Labels: []string{"reserved:world"}}
			f.IP = &flowpb.IP{Destination: fmt.Sprintf("203.0.%d.%d", (i/256)%16, i%256)}
		case 5:
			f.DropReasonDesc = datapath[(i/10)%len(datapath)]
		}
		g.pool[i] = f
	}
	return g
}

func (g generated) Status(context.Context) (*hubble.Status, error) { return nil, hubble.ErrNoStatus }
func (g generated) Describe() string                               { return "generated flows" }
func (g generated) Live() bool                                     { return false }
func (g generated) Flows(ctx context.Context, q hubble.Query, each func(*flowpb.Flow) error) (hubble.Coverage, error) {
	var cov hubble.Coverage
	start := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for i := range g.n {
		f := g.pool[i%poolSize]
		if len(q.Verdicts) > 0 && !slices.Contains(q.Verdicts, f.GetVerdict()) {
			continue
		}
		f.Time = timestamppb.New(start.Add(time.Duration(i) * time.Millisecond))
		cov.Flows++
		if cov.First.IsZero() {
			cov.First = f.GetTime().AsTime()
		}
		cov.Last = f.GetTime().AsTime()
		if err := each(f); err != nil {
			return cov, err
		}
	}
	return cov, nil
}

func workload(n, replica int) *flowpb.Endpoint {
	ns := fmt.Sprintf("ns-%d", n%20)
	return &flowpb.Endpoint{Namespace: ns, PodName: fmt.Sprintf("app-%d-7d9f8-%05d", n, replica),
		Identity: uint32(10000 + n), Labels: []string{"k8s:app=app-" + fmt.Sprint(n), "k8s:io.kubernetes.pod.namespace=" + ns},
		Workloads: []*flowpb.Workload{{Kind: "Deployment", Name: fmt.Sprintf("app-%d", n)}}}
}

// BenchmarkDropsGrouping groups 100,000 and 1,000,000 flows through hubble.drops' own Run.
// peak-heap-MiB is the largest heap in use while it ran (sampled every millisecond), kept-MiB
// the heap after the check returned and a GC ran, each above the heap before it (the pool): groups, not flows, so both stay flat as the
// flows grow tenfold.
func BenchmarkDropsGrouping(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("flows=%d", n), func(b *testing.B) {
			env := &checks.Env{Flows: newGenerated(n)}
			var peak, kept, base uint64
			for b.Loop() {
				runtime.GC()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				base = m.HeapAlloc // the pool and the test binary: not the check's
				stop := samplePeakHeap(&peak)
				r := runDrops(context.Background(), env)
				stop()
				if r.Status != checks.StatusFail || len(r.Findings) == 0 {
					b.Fatalf("%v %s", r.Status, r.Summary)
				}
				runtime.GC()
				runtime.ReadMemStats(&m)
				kept = max(kept, m.HeapAlloc-min(base, m.HeapAlloc))
				runtime.KeepAlive(r)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/flow")
			b.ReportMetric(float64(peak-min(base, peak))/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(kept)/(1<<20), "kept-MiB")
		})
	}
}

// samplePeakHeap records the largest heap in use until stop is called.
func samplePeakHeap(peak *uint64) (stop func()) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			*peak = max(*peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// BenchmarkGenerateOnly is BenchmarkDropsGrouping's generator alone, 1,000,000 flows read and
// dropped: what it costs comes off the grouping's time.
func BenchmarkGenerateOnly(b *testing.B) {
	q := hubble.Query{Verdicts: []flowpb.Verdict{flowpb.Verdict_DROPPED}}
	gen := newGenerated(1_000_000)
	want := 0
	for i := range gen.n {
		if gen.pool[i%poolSize].GetVerdict() == flowpb.Verdict_DROPPED {
			want++
		}
	}
	for b.Loop() {
		cov, err := gen.Flows(context.Background(), q, func(*flowpb.Flow) error { return nil })
		if err != nil || cov.Flows != want {
			b.Fatalf("%d flows, want %d: %v", cov.Flows, want, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1_000_000, "ns/flow")
}

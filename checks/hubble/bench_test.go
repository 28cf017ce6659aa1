package hubble

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	flowpb "github.com/cilium/cilium/api/v1/flow"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube/hubble"
)

// generated is a Source of n dropped flows among 200 workloads, made as they are read, so the
// benchmark measures the grouping and what it keeps, not a file.
type generated struct{ n int }

func (g generated) Status(context.Context) (*hubble.Status, error) { return nil, hubble.ErrNoStatus }
func (g generated) Describe() string                               { return "generated flows" }
func (g generated) Live() bool                                     { return false }
func (g generated) Flows(ctx context.Context, q hubble.Query, each func(*flowpb.Flow) error) (hubble.Coverage, error) {
	var cov hubble.Coverage
	start := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	reasons := []flowpb.DropReason{flowpb.DropReason_POLICY_DENIED, flowpb.DropReason_POLICY_DENY, flowpb.DropReason_STALE_OR_UNROUTABLE_IP}
	for i := range g.n {
		src, dst := i%200, (i/7)%200
		f := &flowpb.Flow{
			Time:           timestamppb.New(start.Add(time.Duration(i) * time.Millisecond)),
			Verdict:        flowpb.Verdict_DROPPED,
			DropReasonDesc: reasons[i%len(reasons)],
			Source: &flowpb.Endpoint{Namespace: fmt.Sprintf("ns-%d", src%20), PodName: fmt.Sprintf("app-%d-%d", src, i%5),
				Workloads: []*flowpb.Workload{{Kind: "Deployment", Name: fmt.Sprintf("app-%d", src)}}},
			Destination: &flowpb.Endpoint{Namespace: fmt.Sprintf("ns-%d", dst%20), PodName: fmt.Sprintf("app-%d-%d", dst, i%3),
				Workloads: []*flowpb.Workload{{Kind: "Deployment", Name: fmt.Sprintf("app-%d", dst)}}},
			L4: &flowpb.Layer4{Protocol: &flowpb.Layer4_TCP{TCP: &flowpb.TCP{DestinationPort: uint32(8000 + i%4)}}},
		}
		if !q.Since.IsZero() && f.GetTime().AsTime().Before(q.Since) {
			continue
		}
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

// BenchmarkDropsMillionFlows groups 1,000,000 dropped flows; the heap after the check is what
// it kept (groups, not flows).
func BenchmarkDropsMillionFlows(b *testing.B) {
	env := &checks.Env{Flows: generated{n: 1_000_000}}
	for b.Loop() {
		r := runDrops(context.Background(), env)
		if r.Status != checks.StatusFail || len(r.Findings) == 0 {
			b.Fatalf("%v %s", r.Status, r.Summary)
		}
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		b.ReportMetric(float64(m.HeapAlloc)/(1<<20), "heap-MiB")
	}
}

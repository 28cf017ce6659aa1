package hubble_test

import (
	"context"
	"os"
	"testing"

	flowpb "github.com/cilium/cilium/api/v1/flow"

	"github.com/kockpit/kockpit/kube/hubble"
)

// FuzzRecording: whatever a recording holds, reading it ends with flows or an error, and one
// that was accepted reads again the same.
func FuzzRecording(f *testing.F) {
	seed, err := os.ReadFile(recordingPath())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"flow":{"verdict":"DROPPED","drop_reason_desc":"POLICY_DENIED","ingress_denied_by":[{"name":"x"}]}}`))
	f.Add([]byte(`{"lost_events":{"num_events_lost":"3"}}` + "\n" + `{"node_status":{"state_change":"NODE_GONE","node_names":["a"]}}`))
	f.Add([]byte("{\"flow\":{\"time\":\"not a time\"}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := hubble.RecordingFromData(context.Background(), "fuzz", data)
		if err != nil {
			return
		}
		count := func() int {
			n := 0
			if _, err := rec.Flows(context.Background(), hubble.Query{}, func(*flowpb.Flow) error { n++; return nil }); err != nil {
				t.Fatalf("an accepted recording failed to read: %v", err)
			}
			return n
		}
		if a, b := count(), count(); a != b {
			t.Fatalf("two reads gave %d and %d flows", a, b)
		}
	})
}

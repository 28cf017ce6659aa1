package kube

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// How an offline snapshot's moment is known, as TakenAt reports it.
const (
	// TakenFromHeader: the header `kockpit snapshot` wrote, when its LISTs began.
	TakenFromHeader = "the snapshot's header"
	// TakenFromTimestamps: the newest timestamp its objects carry (a heartbeat, an event, a
	// container's start): the snapshot was taken then or a little later.
	TakenFromTimestamps = "the newest timestamp in the files"
)

// futureSlack is how far past the reader's clock a timestamp may be and still count: clocks
// of a cluster and a laptop disagree by seconds, not days. A timestamp beyond it is a broken
// or crafted object, and must not move "now" into the future.
const futureSlack = 24 * time.Hour

// TakenAt is the moment an offline snapshot shows, and how kockpit knows it (its header, else
// the newest timestamp its objects carry); zero for a live
// snapshot, or files whose objects carry no timestamp (the demo). Offline, checks judge ages
// ("Pending for longer than") at this moment, not at the reader's: a week-old snapshot does not
// make every Pending pod a week older.
func (s *Snapshot) TakenAt() (time.Time, string) {
	f, ok := s.src.(*fileSource)
	switch {
	case !ok:
		return time.Time{}, ""
	case f.header != nil && !f.header.TakenAt.IsZero():
		return f.header.TakenAt, TakenFromHeader
	case f.takenAt.IsZero():
		return time.Time{}, ""
	}
	return f.takenAt, TakenFromTimestamps
}

// newestTimestamp is the latest moment any object records, ignoring those beyond the reader's
// clock by more than futureSlack.
func (s *fileSource) newestTimestamp(readerNow time.Time) time.Time {
	var newest time.Time
	limit := readerNow.Add(futureSlack)
	see := func(t metav1.Time) {
		if !t.IsZero() && t.After(newest) && !t.After(limit) {
			newest = t.Time
		}
	}
	seeMicro := func(t metav1.MicroTime) { see(metav1.Time(t)) }
	for _, k := range s.kinds {
		for _, o := range k.objs {
			objectTimestamps(o, see, seeMicro)
		}
	}
	return newest
}

// objectTimestamps hands every moment an object records to see: when it was made, and for the
// kinds that are written often, when it was last written.
func objectTimestamps(o runtime.Object, see func(metav1.Time), seeMicro func(metav1.MicroTime)) {
	if m, ok := o.(metav1.Object); ok {
		see(m.GetCreationTimestamp())
		for _, mf := range m.GetManagedFields() {
			if mf.Time != nil {
				see(*mf.Time)
			}
		}
	}
	switch o := o.(type) {
	case *corev1.Pod:
		if o.Status.StartTime != nil {
			see(*o.Status.StartTime)
		}
		for _, c := range o.Status.Conditions {
			see(c.LastTransitionTime)
			see(c.LastProbeTime)
		}
		for _, statuses := range [][]corev1.ContainerStatus{o.Status.InitContainerStatuses, o.Status.ContainerStatuses, o.Status.EphemeralContainerStatuses} {
			for _, cs := range statuses {
				containerStateTimes(cs.State, see)
				containerStateTimes(cs.LastTerminationState, see)
			}
		}
	case *corev1.Node:
		for _, c := range o.Status.Conditions {
			see(c.LastHeartbeatTime)
			see(c.LastTransitionTime)
		}
	case *corev1.Event:
		see(o.FirstTimestamp)
		see(o.LastTimestamp)
		seeMicro(o.EventTime)
		if o.Series != nil {
			seeMicro(o.Series.LastObservedTime)
		}
	case *eventsv1.Event:
		seeMicro(o.EventTime)
		see(o.DeprecatedLastTimestamp)
		if o.Series != nil {
			seeMicro(o.Series.LastObservedTime)
		}
	case *coordinationv1.Lease:
		if o.Spec.RenewTime != nil {
			seeMicro(*o.Spec.RenewTime)
		}
	}
}

func containerStateTimes(s corev1.ContainerState, see func(metav1.Time)) {
	if s.Running != nil {
		see(s.Running.StartedAt)
	}
	if s.Terminated != nil {
		see(s.Terminated.StartedAt)
		see(s.Terminated.FinishedAt)
	}
}

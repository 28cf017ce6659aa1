package storage

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

func TestStorageAttachmentsHealthy(t *testing.T) {
	withStorage(t)
	for _, id := range []string{"storage.attachments", "storage.drivers"} {
		checktest.RequireNoProblems(t, checktest.RunLive(t, id))
	}
	if r := checktest.RunLive(t, "storage.drivers"); r.Summary != "1 CSI driver (csi.example.com), registered where their volumes are used" {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestStorageAttachError(t *testing.T) {
	withStorage(t, "attach-error")
	r := checktest.RunLive(t, "storage.attachments")
	cause := checktest.RequireObjectFinding(t, r, checks.StatusFail, "VolumeAttachment", "", "csi-8c1d2e3f4a",
		`VolumeAttachment csi-8c1d2e3f4a: volume pvc-5e6f7a8b-ledger fails to attach to node worker1: rpc error: code = Internal desc = could not attach volume "vol-ledger" to node "worker1": volume is in use by another instance`)
	symptom := checktest.RequireObjectFinding(t, r, checks.StatusFail, "PersistentVolumeClaim", "team-a", "ledger",
		"ledger-0 cannot mount volume pvc-5e6f7a8b-ledger of claim team-a/ledger")
	requireFolded(t, cause, symptom)
	if !slices.ContainsFunc(symptom.Evidence, func(e string) bool { return strings.HasPrefix(e, "event FailedAttachVolume (9 times, ") }) {
		t.Errorf("evidence = %q", symptom.Evidence)
	}
}

func TestStorageMultiAttachAfterNodeDied(t *testing.T) {
	withStorage(t, "multi-attach")
	r := checktest.RunLive(t, "storage.attachments")
	cause := checktest.RequireObjectFinding(t, r, checks.StatusFail, "VolumeAttachment", "", "csi-6b7c8d9e0f",
		"VolumeAttachment csi-6b7c8d9e0f keeps volume pvc-2d3e4f5a-queue attached to node worker3, which is gone")
	symptom := checktest.RequireObjectFinding(t, r, checks.StatusFail, "PersistentVolumeClaim", "team-a", "queue",
		"Multi-Attach error: volume pvc-2d3e4f5a-queue of claim team-a/queue is still attached to node worker3, so queue-0 on worker2 cannot start")
	requireFolded(t, cause, symptom)
	if got := checktest.ExplainedNames(cause); !slices.Equal(got, []string{"queue-0"}) {
		t.Errorf("explains %q", got)
	}

	// With the events expired, the attachment still tells the same story.
	env := offlineCopy(t, time.Now().Add(2*time.Hour), func(kind string) bool { return kind == "Event" })
	r = checktest.RunCheck(t, env, "storage.attachments")
	cause = checktest.RequireObjectFinding(t, r, checks.StatusFail, "VolumeAttachment", "", "csi-6b7c8d9e0f", "which is gone")
	symptom = checktest.RequireObjectFinding(t, r, checks.StatusFail, "PersistentVolumeClaim", "team-a", "queue", "Multi-Attach error")
	requireFolded(t, cause, symptom)
}

func TestStorageDriverMissingOnNode(t *testing.T) {
	c := checktest.Cluster(t)
	c.Apply(t, checktest.Fixture("storage/healthy"), checktest.Fixture("storage/driver-missing-on-node/media.yaml"))
	c.Replace(t, checktest.Fixture("storage/driver-missing-on-node-replace"))
	drivers := checktest.RunLive(t, "storage.drivers")
	cause := checktest.RequireObjectFinding(t, drivers, checks.StatusFail, "CSINode", "", "worker2",
		"CSI driver csi.example.com is not registered on node worker2, so 1 pod there cannot mount csi.example.com volumes")
	for _, want := range []string{"CSINode worker2 lists: no driver", "pods there: media-0"} {
		if !slices.Contains(cause.Evidence, want) {
			t.Errorf("evidence lacks %q: %q", want, cause.Evidence)
		}
	}
	if !slices.ContainsFunc(cause.Evidence, func(e string) bool {
		return strings.HasPrefix(e, "its pods there: kube-system/csi-example-node-worker2 (container node-driver-registrar CrashLoopBackOff")
	}) {
		t.Errorf("evidence = %q", cause.Evidence)
	}
	mounts := checktest.RunLive(t, "storage.attachments")
	symptom := checktest.RequireObjectFinding(t, mounts, checks.StatusFail, "PersistentVolumeClaim", "team-a", "media",
		"media-0 cannot mount volume pvc-7a1b2c3d-media of claim team-a/media: its CSI driver is not registered on node worker2")
	requireFolded(t, cause, symptom)
}

// A finding about a volume's object carries the volume's chain, in the order the cluster meets
// the links, for the cockpit to step along; the cause and its symptom share it.
func TestStorageFindingsCarryTheChain(t *testing.T) {
	withStorage(t, "attach-error")
	r := checktest.RunLive(t, "storage.attachments")
	cause := checktest.RequireObjectFinding(t, r, checks.StatusFail, "VolumeAttachment", "", "csi-8c1d2e3f4a", "fails to attach")
	symptom := checktest.RequireObjectFinding(t, r, checks.StatusFail, "PersistentVolumeClaim", "team-a", "ledger", "cannot mount")
	var got []string
	for _, o := range cause.Chain {
		got = append(got, o.Kind+" "+strings.TrimPrefix(o.Namespace+"/"+o.Name, "/"))
	}
	want := []string{"PersistentVolumeClaim team-a/ledger", "PersistentVolume pvc-5e6f7a8b-ledger", "StorageClass fast",
		"CSIDriver csi.example.com", "CSINode worker1", "VolumeAttachment csi-8c1d2e3f4a", "Pod team-a/ledger-0"}
	if !slices.Equal(got, want) {
		t.Errorf("chain\n  %q\nwant\n  %q", got, want)
	}
	if !slices.Equal(symptom.Chain, cause.Chain) {
		t.Errorf("the symptom's chain %v differs from its cause's", symptom.Chain)
	}
}

package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
)

// world is what the storage checks read, indexed once per check: each volume's chain (claim,
// class, provisioner, CSINode, attachment, pod) is looked up here, not searched for.
type world struct {
	now        time.Time
	classes    map[string]*storagev1.StorageClass
	classNames []string                                 // sorted
	claims     []*corev1.PersistentVolumeClaim          // sorted by namespace/name
	claimByKey map[string]*corev1.PersistentVolumeClaim // "namespace/name"
	// attachmentByName and podByKey find a finding's object for its chain (chain.go).
	attachmentByName map[string]*storagev1.VolumeAttachment
	podByKey         map[string]*corev1.Pod
	pvs              map[string]*corev1.PersistentVolume
	pvNames          []string // sorted
	drivers          map[string]*storagev1.CSIDriver
	// registered maps a CSI driver name to the nodes whose CSINode lists it.
	registered  map[string][]string
	csiNodes    map[string]*storagev1.CSINode
	nodes       map[string]*corev1.Node
	nodeNames   []string // sorted
	pods        []*corev1.Pod
	podsByClaim map[string][]*corev1.Pod   // "namespace/claim" → pods that mount it
	events      map[string][]*corev1.Event // "Kind/namespace/name" → events, newest first
	attachments []*storagev1.VolumeAttachment
	// attachmentsOf maps a PersistentVolume's name to its VolumeAttachments.
	attachmentsOf map[string][]*storagev1.VolumeAttachment
	provisioners  map[string]provisioner // memo of provisioner()
	// secrets holds "namespace/name" of every Secret: names only, never values.
	secrets map[string]bool

	// unread names the optional kinds that could not be read, and why: what depends on them is
	// not judged, and the summary says so.
	unread map[kube.Resource]string
}

// load reads the kinds a check needs. The first, required ones fail the check; the others are
// optional: without them, what they would prove is left unjudged.
func load(ctx context.Context, env *checks.Env, required, optional []kube.Resource) (*world, *checks.Result) {
	w := &world{now: env.CurrentTime(), classes: map[string]*storagev1.StorageClass{}, pvs: map[string]*corev1.PersistentVolume{},
		drivers: map[string]*storagev1.CSIDriver{}, registered: map[string][]string{}, csiNodes: map[string]*storagev1.CSINode{},
		nodes: map[string]*corev1.Node{}, podsByClaim: map[string][]*corev1.Pod{}, events: map[string][]*corev1.Event{},
		unread: map[kube.Resource]string{}, provisioners: map[string]provisioner{}, secrets: map[string]bool{}}
	var firstErr error
	var notRead []string
	for _, r := range required {
		if err := w.read(ctx, env, r); err != nil {
			firstErr = cmp.Or(firstErr, err)
			notRead = append(notRead, r.String())
		}
	}
	if firstErr != nil {
		// Nothing to judge; the skip still names every kind that could not be read, so the
		// reader knows all that a snapshot lacks, not only the first.
		for _, r := range optional {
			if ctx.Err() == nil && w.read(ctx, env, r) != nil {
				notRead = append(notRead, r.String())
			}
		}
		res := checks.SkipOrError(firstErr)
		if res.Status == checks.StatusSkip {
			res.Summary += "; not read: " + strings.Join(notRead, ", ")
		}
		return nil, &res
	}
	for _, r := range optional {
		if err := w.read(ctx, env, r); err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				res := checks.SkipOrError(err)
				return nil, &res
			}
			w.unread[r] = checks.SkipOrError(err).Summary
		}
	}
	w.index()
	return w, nil
}

func (w *world) read(ctx context.Context, env *checks.Env, r kube.Resource) error {
	objs, err := env.Snapshot.List(ctx, r)
	if err != nil {
		return err
	}
	for _, o := range objs {
		switch o := o.(type) {
		case *storagev1.StorageClass:
			w.classes[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			w.claims = append(w.claims, o)
		case *corev1.PersistentVolume:
			w.pvs[o.Name] = o
		case *storagev1.CSIDriver:
			w.drivers[o.Name] = o
		case *storagev1.CSINode:
			w.csiNodes[o.Name] = o
		case *corev1.Node:
			w.nodes[o.Name] = o
		case *corev1.Pod:
			w.pods = append(w.pods, o)
		case *corev1.Event:
			k := o.InvolvedObject.Kind + "/" + o.InvolvedObject.Namespace + "/" + o.InvolvedObject.Name
			w.events[k] = append(w.events[k], o)
		case *storagev1.VolumeAttachment:
			w.attachments = append(w.attachments, o)
		case *metav1.PartialObjectMetadata:
			w.secrets[o.Namespace+"/"+o.Name] = true
		default:
			return fmt.Errorf("listing %s: got %T", r, o)
		}
	}
	return nil
}

func (w *world) index() {
	w.classNames = sortedKeys(w.classes)
	w.pvNames = sortedKeys(w.pvs)
	w.nodeNames = sortedKeys(w.nodes)
	sort.Slice(w.claims, func(i, j int) bool { return before(&w.claims[i].ObjectMeta, &w.claims[j].ObjectMeta) })
	w.claimByKey = make(map[string]*corev1.PersistentVolumeClaim, len(w.claims))
	for _, c := range w.claims {
		w.claimByKey[c.Namespace+"/"+c.Name] = c
	}
	sort.Slice(w.pods, func(i, j int) bool { return before(&w.pods[i].ObjectMeta, &w.pods[j].ObjectMeta) })
	sort.Slice(w.attachments, func(i, j int) bool { return w.attachments[i].Name < w.attachments[j].Name })
	w.attachmentsOf = map[string][]*storagev1.VolumeAttachment{}
	w.attachmentByName = make(map[string]*storagev1.VolumeAttachment, len(w.attachments))
	w.podByKey = make(map[string]*corev1.Pod, len(w.pods))
	for _, p := range w.pods {
		w.podByKey[p.Namespace+"/"+p.Name] = p
	}
	for _, va := range w.attachments {
		w.attachmentByName[va.Name] = va
		if pv := volumeOf(va); pv != "" {
			w.attachmentsOf[pv] = append(w.attachmentsOf[pv], va)
		}
	}
	for _, n := range sortedKeys(w.csiNodes) {
		for _, d := range w.csiNodes[n].Spec.Drivers {
			w.registered[d.Name] = append(w.registered[d.Name], n)
		}
	}
	for _, p := range w.pods {
		if podinfo.Finished(p) {
			continue
		}
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				k := p.Namespace + "/" + v.PersistentVolumeClaim.ClaimName
				w.podsByClaim[k] = append(w.podsByClaim[k], p)
			}
		}
	}
	for _, evs := range w.events {
		sort.SliceStable(evs, func(i, j int) bool { return kube.EventLastSeen(evs[i]).After(kube.EventLastSeen(evs[j])) })
	}
}

// readAll says whether every one of the kinds was read: a conclusion of absence needs them.
func (w *world) readAll(rs ...kube.Resource) bool {
	for _, r := range rs {
		if _, bad := w.unread[r]; bad {
			return false
		}
	}
	return true
}

// unreadNote is the summary's note on what was not read, "" when everything was.
func (w *world) unreadNote() string {
	if len(w.unread) == 0 {
		return ""
	}
	var parts []string
	for r, why := range w.unread {
		parts = append(parts, r.String()+": "+why)
	}
	sort.Strings(parts)
	return " (not read, so not judged: " + strings.Join(parts, "; ") + ")"
}

// eventsOf are the events about an object, newest first.
func (w *world) eventsOf(kind, namespace, name string) []*corev1.Event {
	return w.events[kind+"/"+namespace+"/"+name]
}

// latestEvent is the newest event of the reason about the object, or nil.
func (w *world) latestEvent(kind, namespace, name string, reasons ...string) *corev1.Event {
	for _, e := range w.eventsOf(kind, namespace, name) {
		for _, r := range reasons {
			if e.Reason == r {
				return e
			}
		}
	}
	return nil
}

// usersOf are the pods (not finished) that mount the claim.
func (w *world) usersOf(c *corev1.PersistentVolumeClaim) []*corev1.Pod {
	return w.podsByClaim[c.Namespace+"/"+c.Name]
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The annotations that make a class the default, the GA one and its beta predecessor, which
// the API server still honours.
const (
	defaultClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

func isDefault(sc *storagev1.StorageClass) bool {
	return sc.Annotations[defaultClassAnnotation] == "true" || sc.Annotations[betaDefaultClassAnnotation] == "true"
}

// defaults are the default classes in the order the API server picks from them: the newest
// first, then by name (the DefaultStorageClass admission plugin's rule since Kubernetes 1.26),
// so defaults[0] is the class a new claim without one gets.
func (w *world) defaults() []*storagev1.StorageClass {
	var out []*storagev1.StorageClass
	for _, n := range w.classNames {
		if isDefault(w.classes[n]) {
			out = append(out, w.classes[n])
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		ti, tj := out[i].CreationTimestamp.UnixNano(), out[j].CreationTimestamp.UnixNano()
		if ti != tj {
			return ti > tj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Object references, for findings.
func claimRef(c *corev1.PersistentVolumeClaim) checks.ObjectRef {
	return checks.ObjectRef{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: c.Namespace, Name: c.Name}
}

func pvRef(name string) checks.ObjectRef {
	return checks.ObjectRef{APIVersion: "v1", Kind: "PersistentVolume", Name: name}
}

func classRef(name string) checks.ObjectRef {
	return checks.ObjectRef{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass", Name: name}
}

func driverRef(name string) checks.ObjectRef {
	return checks.ObjectRef{APIVersion: "storage.k8s.io/v1", Kind: "CSIDriver", Name: name}
}

func csiNodeRef(name string) checks.ObjectRef {
	return checks.ObjectRef{APIVersion: "storage.k8s.io/v1", Kind: "CSINode", Name: name}
}

func attachmentRef(name string) checks.ObjectRef {
	return checks.ObjectRef{APIVersion: "storage.k8s.io/v1", Kind: "VolumeAttachment", Name: name}
}

func ptr[T any](v T) *T { return &v }

func podRef(p *corev1.Pod) checks.ObjectRef {
	return checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
}

// before orders objects by namespace, then name, without building their keys.
func before(a, b *metav1.ObjectMeta) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

package kube

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kockpit/kockpit/internal/inputfile"
	"github.com/kockpit/kockpit/safetext"
)

// loadFix is what to do when the path holds no snapshot at all.
const loadFix = "pass a file or directory written by `kubectl get -A -o yaml` or `kubectl cluster-info dump --output-directory`"

// LoadSnapshot reads snapshot files: one file, or a directory read recursively (the output of
// `kubectl cluster-info dump --output-directory`, or any tree of .yaml, .yml and .json files).
// Malformed input is an *InputError.
func LoadSnapshot(ctx context.Context, path string) (*Snapshot, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, newInputError(path, 0, 0, pathErrorText(err), loadFix)
	}
	if err := inputfile.Check(path, fi, true, maxFileSize, snapshotWhat); err != nil {
		return nil, refused(path, err)
	}
	if fi.IsDir() {
		return load(ctx, nonblockingDirFS(path), ".", path, func(p string) string {
			return filepath.Join(path, filepath.FromSlash(p))
		})
	}
	return load(ctx, nonblockingDirFS(filepath.Dir(path)), filepath.Base(path), path, func(string) string { return path })
}

// LoadSnapshotFS reads snapshot files under root in fsys (a file or a directory), as
// LoadSnapshot does; name is what Snapshot.Source reports. It serves embedded snapshots.
func LoadSnapshotFS(ctx context.Context, fsys fs.FS, root string, name string) (*Snapshot, error) {
	return load(ctx, fsys, root, name, func(p string) string { return p })
}

// load reads every snapshot file under root; display turns an fs path into the name errors show.
func load(ctx context.Context, fsys fs.FS, root, name string, display func(string) string) (*Snapshot, error) {
	files, err := snapshotFiles(fsys, root, display)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, newInputError(display(root), 0, 0, "no .yaml, .yml or .json files in this directory", loadFix)
	}
	src := &fileSource{name: name, kinds: map[schema.GroupKind]*kindObjects{}}
	l := &loader{ctx: ctx, src: src}
	for _, f := range files {
		if err := l.loadFile(fsys, f, display(f)); err != nil {
			return nil, err
		}
	}
	if l.docs == 0 {
		return nil, newInputError(display(root), 0, 0, "no Kubernetes objects: every document is empty", loadFix)
	}
	src.finish()
	src.takenAt = src.newestTimestamp(time.Now())
	s := newSnapshot(ctx, src)
	s.name = name
	return s, nil
}

// fileSource is a snapshot read from files: the objects by group and kind. The version is not
// part of the key, so a Resource for a CRD finds its objects whatever version the files have.
type fileSource struct {
	name  string
	kinds map[schema.GroupKind]*kindObjects
	// takenAt is the newest timestamp in the files, found once they are all read.
	takenAt time.Time
	// header is the kockpit snapshot header, nil without one (snapshot_header.go).
	header *SnapshotHeader
	// emptyListFiles are files whose document is a List without items.
	emptyListFiles []string
}

// kindObjects are the objects of one kind, in file order, each namespace/name once.
type kindObjects struct {
	objs  []runtime.Object
	index map[types.NamespacedName]int
}

func (s *fileSource) live() bool { return false }

func (s *fileSource) list(_ context.Context, r Resource, _ *ListStat) ([]runtime.Object, error) {
	k, ok := s.kinds[r.GroupKind()]
	if !ok {
		return nil, s.notCollected(r)
	}
	return convertForm(r, slices.Clip(k.objs))
}

// collected records that the files hold the kind, even if no object of it: an empty PodList
// says there are no pods, which is not the same as not knowing.
func (s *fileSource) collected(gk schema.GroupKind) *kindObjects {
	k := s.kinds[gk]
	if k == nil {
		k = &kindObjects{index: map[types.NamespacedName]int{}}
		s.kinds[gk] = k
	}
	return k
}

// add keeps an object; a second object of the same kind, namespace and name replaces the
// first, as dumps often repeat objects across files.
func (s *fileSource) add(gk schema.GroupKind, obj runtime.Object) {
	k := s.collected(gk)
	m, ok := obj.(metav1.Object)
	if !ok || m.GetName() == "" {
		k.objs = append(k.objs, obj)
		return
	}
	key := types.NamespacedName{Namespace: m.GetNamespace(), Name: m.GetName()}
	if i, ok := k.index[key]; ok {
		k.objs[i] = obj
		return
	}
	k.index[key] = len(k.objs)
	k.objs = append(k.objs, obj)
}

// convertForm returns objects in the form the resource asks for. Files decode typed exactly the
// typed KnownResources; a Resource declared elsewhere may want the other form.
func convertForm(r Resource, objs []runtime.Object) ([]runtime.Object, error) {
	if len(objs) == 0 || r.MetadataOnly { // decoded as metadata already
		return objs, nil
	}
	_, unstr := objs[0].(*unstructured.Unstructured)
	if unstr != r.Typed {
		if r.Typed && objs[0].GetObjectKind().GroupVersionKind().Version != r.Version {
			return nil, safetext.Errorf("the files have %s, not %s", objs[0].GetObjectKind().GroupVersionKind(), r.APIVersion())
		}
		return objs, nil
	}
	out := make([]runtime.Object, len(objs))
	for i, o := range objs {
		c, err := convertObject(r, o)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func convertObject(r Resource, o runtime.Object) (runtime.Object, error) {
	gvk := r.GVR().GroupVersion().WithKind(r.Kind)
	if !r.Typed {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return nil, safetext.Errorf("converting %s to unstructured: %w", gvk.Kind, err)
		}
		u := &unstructured.Unstructured{Object: m}
		u.SetGroupVersionKind(o.GetObjectKind().GroupVersionKind())
		return u, nil
	}
	u := o.(*unstructured.Unstructured)
	if u.GroupVersionKind() != gvk {
		return nil, safetext.Errorf("the files have %s, not %s", u.GroupVersionKind(), gvk)
	}
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		return nil, safetext.Errorf("no Go type for %s: %w", gvk, err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
		return nil, safetext.Errorf("%s %s: %w", gvk.Kind, objectName(u), err)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return obj, nil
}

func objectName(m metav1.Object) string {
	if m.GetNamespace() == "" {
		return m.GetName()
	}
	return m.GetNamespace() + "/" + m.GetName()
}

package kube

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/safetext"
)

// objectSource serves objects already in memory: tests, and anything that has decoded objects
// itself. Kinds it holds no object of are "not collected", as with snapshot files.
type objectSource struct {
	byResource map[Resource][]runtime.Object
}

// NewObjectSnapshot returns an offline snapshot holding the given objects, grouped by the
// resource each belongs to. Typed objects must be client-go types (*corev1.Pod, ...), others
// *unstructured.Unstructured; their apiVersion and kind must be set.
func NewObjectSnapshot(ctx context.Context, objs ...runtime.Object) (*Snapshot, error) {
	src := &objectSource{byResource: map[Resource][]runtime.Object{}}
	for _, o := range objs {
		gvk := o.GetObjectKind().GroupVersionKind()
		r, ok := ResourceForGroupKind(gvk.GroupKind())
		if !ok {
			return nil, safetext.Errorf("object of unknown kind %q in %q", gvk.Kind, gvk.GroupVersion())
		}
		if r.MetadataOnly {
			var err error
			if o, err = metadataOf(r, o); err != nil {
				return nil, err
			}
		}
		src.byResource[r] = append(src.byResource[r], o)
	}
	s := newSnapshot(ctx, src)
	s.name = "objects in memory"
	return s, nil
}

func (s *objectSource) list(_ context.Context, r Resource, _ *ListStat) ([]runtime.Object, error) {
	objs, ok := s.byResource[r]
	if !ok {
		return nil, fmt.Errorf("%s: %w", r, ErrNotCollected)
	}
	return objs, nil
}

func (s *objectSource) live() bool { return false }

// Secrets as names without values: kockpit never reads a Secret's data. Live, their LIST asks
// the API server for PartialObjectMetadataList, so values never leave it; offline, a Secret in
// a file is reduced to its metadata as it is decoded, before it is stored.

package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"
)

// SecretMetadata is every Secret's metadata (namespace, name, labels, annotations), never its
// data: enough to tell whether a Secret a pod or a StorageClass names exists. Its objects are
// *metav1.PartialObjectMetadata whose kind is Secret.
var SecretMetadata = Resource{Version: "v1", Resource: "secrets", Kind: "Secret", Namespaced: true, MetadataOnly: true}

// metadataAccept asks for metadata only, with no fallback: a server that cannot answer so
// refuses (406) rather than send whole objects.
const metadataAccept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"

// maxMetadataPage caps one page of a metadata LIST: 500 objects' metadata is far less; more is
// not an answer to trust.
const maxMetadataPage = 64 << 20

// metadataPage lists one page of r as metadata through the clientset's REST client.
func (l *liveSource) metadataPage(r Resource) (pageFetch, error) {
	rc := typedRESTClient(l.c.Clientset, r.GVR().GroupVersion())
	if rc == nil {
		return nil, fmt.Errorf("no REST client for %s", r.GVR().GroupVersion())
	}
	gvk := r.GVR().GroupVersion().WithKind(r.Kind)
	return func(ctx context.Context, opts metav1.ListOptions) ([]runtime.Object, string, error) {
		body, err := rc.Get().Resource(r.Resource).VersionedParams(&opts, scheme.ParameterCodec).
			SetHeader("Accept", metadataAccept).Stream(ctx)
		if err != nil {
			return nil, "", err
		}
		defer body.Close()
		list, err := decodeMetadataList(io.LimitReader(body, maxMetadataPage+1))
		if err != nil {
			return nil, "", fmt.Errorf("reading the %s metadata list: %w", r.Kind, err)
		}
		items := make([]runtime.Object, len(list.Items))
		for i := range list.Items {
			items[i] = reduceToMetadata(&list.Items[i].ObjectMeta, gvk)
		}
		return items, list.Continue, nil
	}, nil
}

// decodeMetadataList reads a PartialObjectMetadataList, refusing anything else: an answer of
// another kind may hold what was not asked for.
func decodeMetadataList(r io.Reader) (*metav1.PartialObjectMetadataList, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(data) > maxMetadataPage {
		return nil, fmt.Errorf("the page is larger than %d MiB", maxMetadataPage>>20)
	}
	var list metav1.PartialObjectMetadataList
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, err
	}
	if list.Kind != "PartialObjectMetadataList" {
		return nil, fmt.Errorf("the server answered a %q, not metadata only", list.Kind)
	}
	return &list, nil
}

// reduceToMetadata keeps what a metadata-only object may hold: its ObjectMeta, without
// managedFields (bulk no check reads) and without kubectl's last-applied annotation, which
// repeats a Secret's values.
func reduceToMetadata(m *metav1.ObjectMeta, gvk schema.GroupVersionKind) *metav1.PartialObjectMetadata {
	out := &metav1.PartialObjectMetadata{ObjectMeta: *m.DeepCopy()}
	out.ManagedFields = nil
	delete(out.Annotations, lastApplied)
	out.SetGroupVersionKind(gvk)
	return out
}

// decodeMetadataOnly reads a document of a metadata-only kind from a file: its metadata, and
// nothing else of it is kept.
func (l *loader) decodeMetadataOnly(d *doc, raw []byte, gvk schema.GroupVersionKind) (runtime.Object, error) {
	newMeta := func() any { return &objectMetaOnly{} }
	m := newMeta().(*objectMetaOnly)
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, m); err != nil {
		return nil, l.decodeError(d, raw, gvk, newMeta, err)
	}
	return reduceToMetadata(&m.Metadata, gvk), nil
}

// metadataOf reduces an in-memory object of a metadata-only kind (a *corev1.Secret a test
// built) to its metadata.
func metadataOf(r Resource, o runtime.Object) (runtime.Object, error) {
	m, err := meta.Accessor(o)
	if err != nil {
		return nil, err
	}
	om := metav1.ObjectMeta{
		Namespace: m.GetNamespace(), Name: m.GetName(), UID: m.GetUID(), ResourceVersion: m.GetResourceVersion(),
		CreationTimestamp: m.GetCreationTimestamp(), DeletionTimestamp: m.GetDeletionTimestamp(),
		Labels: m.GetLabels(), Annotations: m.GetAnnotations(), OwnerReferences: m.GetOwnerReferences(), Finalizers: m.GetFinalizers(),
	}
	return reduceToMetadata(&om, r.GVR().GroupVersion().WithKind(r.Kind)), nil
}

// The header `kockpit snapshot` writes first: which kinds were listed, forbidden, not served,
// when, from which server. It is what tells "none" from "not collected": kubectl writes an
// empty result as a bare `kind: List` that does not say which kind it was.

package kube

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	sigsjson "sigs.k8s.io/json"
)

// The header's apiVersion and kind: a kind no API server serves, so it cannot be confused
// with a cluster object.
const (
	HeaderAPIVersion = "kockpit.dev/v1"
	HeaderKind       = "SnapshotHeader"
)

var headerGroupKind = schema.GroupKind{Group: "kockpit.dev", Kind: HeaderKind}

// SnapshotHeader records how a snapshot was taken. Resources are named as Resource.String
// names them ("pods", "networkpolicies.networking.k8s.io").
type SnapshotHeader struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// TakenAt is when the LISTs began.
	TakenAt time.Time `json:"takenAt"`
	// ServerVersion is the API server's gitVersion ("v1.37.2"); empty when it did not answer.
	ServerVersion string `json:"serverVersion,omitempty"`
	// WrittenBy is the kockpit version that wrote the snapshot.
	WrittenBy string `json:"writtenBy,omitempty"`
	// Listed are the kinds listed in full: one absent from the objects has none.
	Listed []string `json:"listed"`
	// Forbidden are the kinds the user who took the snapshot may not list.
	Forbidden []string `json:"forbidden,omitempty"`
	// NotInstalled are the kinds the API server does not serve (a CRD not installed).
	NotInstalled []string `json:"notInstalled,omitempty"`
	// Failed are the kinds whose LIST failed otherwise, with the error.
	Failed map[string]string `json:"failed,omitempty"`
}

const headerFix = "the header is written by `kockpit snapshot`; take the snapshot again, or remove the " + HeaderKind + " document to read the objects without it"

// keepHeader takes a SnapshotHeader document out of the objects: it says how the others were
// collected. One per snapshot.
func (l *loader) keepHeader(d *doc, obj *unstructured.Unstructured) error {
	if l.src.header != nil {
		return l.errorAt(nil, d, "a second "+HeaderKind+": a snapshot has one header", headerFix)
	}
	raw, err := json.Marshal(obj.Object)
	if err != nil {
		return l.errorAt(nil, d, HeaderKind+": "+err.Error(), headerFix)
	}
	var h SnapshotHeader
	strict, err := sigsjson.UnmarshalStrict(raw, &h)
	switch {
	case err != nil:
		return l.errorAt(nil, d, HeaderKind+": "+strings.TrimPrefix(err.Error(), "json: "), headerFix)
	case len(strict) > 0:
		return l.errorAt(nil, d, HeaderKind+": "+strings.TrimPrefix(strict[0].Error(), "json: "), headerFix)
	case h.APIVersion != HeaderAPIVersion:
		return l.errorAt(nil, d, fmt.Sprintf("%s apiVersion %q: kockpit reads %s", HeaderKind, h.APIVersion, HeaderAPIVersion), headerFix)
	case h.TakenAt.IsZero():
		return l.errorAt(nil, d, HeaderKind+" has no takenAt", headerFix)
	}
	l.src.header = &h
	return nil
}

// isHeader says whether a decoded object is a snapshot header.
func isHeader(gk schema.GroupKind) bool { return gk == headerGroupKind }

// noteEmptyList remembers a file whose top-level document is a List without items: by itself
// it says nothing, but a file named after a kind (pods.yaml, networkpolicies.networking.k8s.io.json)
// says which kind has none.
func (l *loader) noteEmptyList(it *item) {
	if it.kind == "List" && it.d != nil && len(it.d.items) == 0 && it.d.itemsErr == nil && it.d.badItems == nil {
		l.src.emptyListFiles = append(l.src.emptyListFiles, l.file)
	}
}

// resourceForFileName is the kind a file's name says it holds, by Resource.String, or by the
// plural alone when only one known kind has it, as `kubectl get PLURAL` resolves it.
func resourceForFileName(file string) (Resource, bool) {
	name := path.Base(strings.ReplaceAll(file, "\\", "/"))
	for _, ext := range []string{".yaml", ".yml", ".json"} {
		if n, ok := strings.CutSuffix(strings.ToLower(name), ext); ok {
			name = n
			break
		}
	}
	var byPlural []Resource
	for _, r := range KnownResources {
		if r.String() == name {
			return r, true
		}
		if r.Resource == name {
			byPlural = append(byPlural, r)
		}
	}
	if len(byPlural) == 0 {
		return Resource{}, false
	}
	// kubectl resolves a plural two groups serve to the built-in one, which KnownResources
	// lists first.
	return byPlural[0], true
}

// finish applies what the header and file names say, once every file is read.
func (s *fileSource) finish() {
	for _, f := range s.emptyListFiles {
		if r, ok := resourceForFileName(f); ok {
			s.collected(r.GroupKind())
		}
	}
	if s.header == nil {
		return
	}
	for _, name := range s.header.Listed {
		if r, ok := resourceByName(name); ok {
			s.collected(r.GroupKind())
		}
	}
}

// resourceByName finds a known resource by Resource.String.
func resourceByName(name string) (Resource, bool) {
	i := slices.IndexFunc(KnownResources, func(r Resource) bool { return r.String() == name })
	if i < 0 {
		return Resource{}, false
	}
	return KnownResources[i], true
}

// notCollected says why the files hold nothing of r: what the header recorded, or that files
// without one cannot tell "none" from "not collected".
func (s *fileSource) notCollected(r Resource) error {
	h := s.header
	name := r.String()
	switch {
	case h == nil:
		return &NotCollectedError{Resource: r, Source: s.name, Reason: fmt.Sprintf(
			"no %s objects in %s (none, or not collected: only kockpit's snapshot header or a file named %s.yaml tells which)",
			r.Kind, s.name, name)}
	case slices.Contains(h.Forbidden, name):
		return &NotCollectedError{Resource: r, Source: s.name, Forbidden: true,
			Reason: fmt.Sprintf("%s: forbidden to the user who took the snapshot", name)}
	case slices.Contains(h.NotInstalled, name):
		return &NotInstalledError{Resource: r, Err: fmt.Errorf("the API server did not serve %s when the snapshot was taken", name)}
	case h.Failed[name] != "":
		return &NotCollectedError{Resource: r, Source: s.name,
			Reason: fmt.Sprintf("listing %s failed when the snapshot was taken (%s)", name, h.Failed[name])}
	}
	return &NotCollectedError{Resource: r, Source: s.name,
		Reason: fmt.Sprintf("the snapshot's header does not list %s: it was not collected", name)}
}

// Header is the snapshot's header, nil for files without one and for live snapshots.
func (s *Snapshot) Header() *SnapshotHeader {
	if fs, ok := s.src.(*fileSource); ok {
		return fs.header
	}
	return nil
}

// headerVersion is the server version the header recorded, nil when it has none.
func (s *Snapshot) headerVersion() *version.Info {
	h := s.Header()
	if h == nil || h.ServerVersion == "" {
		return nil
	}
	m := semverTag.FindStringSubmatch(h.ServerVersion)
	if m == nil {
		return nil
	}
	return &version.Info{Major: m[1], Minor: m[2], GitVersion: h.ServerVersion}
}

// Taking a snapshot for `kockpit snapshot`: list the kinds the checks read, record what could
// not be listed and why, replace every Secret value, and write it all as YAML that
// LoadSnapshot reads back.

package kube

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/kockpit/kockpit/safetext"
)

// RedactedValue replaces every value of a Secret a snapshot holds, should one ever reach it
// whole: kockpit lists Secrets as metadata only (SecretMetadata).
const RedactedValue = "redacted-by-kockpit"

// Taken is a snapshot taken from a live API server, ready to write.
type Taken struct {
	Header SnapshotHeader
	// Kinds holds the objects of every kind listed, by Resource.String, redacted.
	Kinds map[string][]map[string]any
}

// takeParallelism is how many LISTs run at once: a few, so that a slow kind does not hold
// up the others, and the API server is not flooded.
const takeParallelism = 4

// TakeSnapshot lists every resource from the cluster (each page within the request timeout)
// and records, per kind, whether it was listed, forbidden, not served or failed. progress, if
// not nil, is told each kind as it ends. Only a cancelled ctx is an error.
func TakeSnapshot(ctx context.Context, c *Cluster, resources []Resource, writtenBy string, now time.Time, progress func(done, total int, r Resource)) (*Taken, error) {
	t := &Taken{
		Header: SnapshotHeader{APIVersion: HeaderAPIVersion, Kind: HeaderKind, TakenAt: now.UTC().Truncate(time.Second),
			WrittenBy: writtenBy, Listed: []string{}},
		Kinds: map[string][]map[string]any{},
	}
	snap := NewLiveSnapshot(ctx, c)
	if v, err := snap.ServerVersion(ctx); err == nil && v != nil {
		t.Header.ServerVersion = v.GitVersion
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, takeParallelism)
	done := 0
	for _, r := range resources {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			objs, err := snap.List(ctx, r)
			var items []map[string]any
			if err == nil {
				items, err = snapshotItems(objs)
			}
			mu.Lock()
			defer mu.Unlock()
			t.record(r, items, err)
			done++
			if progress != nil {
				progress(done, len(resources), r)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.Header.sort()
	return t, nil
}

func (t *Taken) record(r Resource, items []map[string]any, err error) {
	name := r.String()
	switch {
	case err == nil:
		t.Header.Listed = append(t.Header.Listed, name)
		t.Kinds[name] = items
	case apierrors.IsForbidden(err):
		t.Header.Forbidden = append(t.Header.Forbidden, name)
	case errors.Is(err, ErrNotInstalled):
		t.Header.NotInstalled = append(t.Header.NotInstalled, name)
	default:
		if t.Header.Failed == nil {
			t.Header.Failed = map[string]string{}
		}
		t.Header.Failed[name] = safetext.RedactSecrets(err.Error())
	}
}

func (h *SnapshotHeader) sort() {
	slices.Sort(h.Listed)
	slices.Sort(h.Forbidden)
	slices.Sort(h.NotInstalled)
}

// snapshotItems turns listed objects into what is written: plain maps with their apiVersion
// and kind, without managedFields (as kubectl get hides them), Secret values replaced.
func snapshotItems(objs []runtime.Object) ([]map[string]any, error) {
	out := make([]map[string]any, 0, len(objs))
	for _, o := range objs {
		var m map[string]any
		if u, ok := o.(*unstructured.Unstructured); ok {
			m = runtime.DeepCopyJSON(u.Object)
		} else {
			var err error
			if m, err = runtime.DefaultUnstructuredConverter.ToUnstructured(o); err != nil {
				return nil, fmt.Errorf("converting %T: %w", o, err)
			}
			gvk := o.GetObjectKind().GroupVersionKind()
			m["apiVersion"], m["kind"] = gvk.GroupVersion().String(), gvk.Kind
		}
		unstructured.RemoveNestedField(m, "metadata", "managedFields")
		redactForSnapshot(m)
		out = append(out, m)
	}
	return out, nil
}

// redactForSnapshot replaces, in place, what no snapshot file may hold: the values of a core
// Secret (keys stay, which is what checks read; data stays valid base64) and its
// last-applied-configuration, which repeats them; and the literal values of env vars named
// like credentials, in every kind, as the drill-in view hides them.
func redactForSnapshot(m map[string]any) {
	redactSecretEnv(m)
	if m["kind"] != "Secret" || m["apiVersion"] != "v1" {
		return
	}
	for _, field := range []string{"data", "stringData"} {
		values, ok := m[field].(map[string]any)
		if !ok {
			delete(m, field) // not a map: nothing of it is kept
			continue
		}
		for k := range values {
			if field == "data" {
				values[k] = redactedBase64
			} else {
				values[k] = RedactedValue
			}
		}
	}
	if md, ok := m["metadata"].(map[string]any); ok {
		if ann, ok := md["annotations"].(map[string]any); ok {
			delete(ann, lastApplied)
		}
	}
}

// redactedBase64 is RedactedValue in base64, as a Secret's data holds values.
var redactedBase64 = base64.StdEncoding.EncodeToString([]byte(RedactedValue))

// SnapshotFileComment opens every file kockpit snapshot writes.
const SnapshotFileComment = "# Written by `kockpit snapshot`; read it with `kockpit --snapshot PATH`. Secret values are replaced.\n"

// WriteHeader writes the header as a YAML document.
func (t *Taken) WriteHeader(w io.Writer) error {
	b, err := yaml.Marshal(t.Header)
	if err != nil {
		return fmt.Errorf("writing the snapshot header: %w", err)
	}
	_, err = io.WriteString(w, SnapshotFileComment+string(b))
	return err
}

// WriteList writes the objects of the named kinds, in that order, as one `kind: List`
// document, an object at a time.
func (t *Taken) WriteList(ctx context.Context, w io.Writer, names []string) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("apiVersion: v1\nkind: List\n")
	n := 0
	for _, name := range names {
		n += len(t.Kinds[name])
	}
	if n == 0 {
		bw.WriteString("items: []\n")
		return bw.Flush()
	}
	bw.WriteString("items:\n")
	for _, name := range names {
		for _, obj := range t.Kinds[name] {
			if err := ctx.Err(); err != nil {
				return err
			}
			b, err := yaml.Marshal(obj)
			if err != nil {
				// The YAML emitter refuses control characters that a ConfigMap may hold; JSON
				// escapes them, and JSON is YAML.
				if b, err = yamlSafeJSON(obj); err != nil {
					return fmt.Errorf("writing a %s: %w", name, err)
				}
			}
			writeItem(bw, string(b))
		}
	}
	return bw.Flush()
}

// yamlSafeJSON writes obj as one line of JSON in which every character YAML does not allow
// raw (DEL, C1 controls, non-characters) is escaped, as JSON escapes the C0 controls.
func yamlSafeJSON(obj map[string]any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for _, r := range strings.TrimSuffix(b.String(), "\n") {
		if yamlPrintable(r) {
			out.WriteRune(r)
		} else {
			fmt.Fprintf(&out, "\\u%04x", r) // only inside strings: JSON's syntax is ASCII
		}
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// yamlPrintable is YAML 1.2's c-printable, less the controls JSON has already escaped.
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7e) || r == 0x85:
		return true
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd && r != 0xfeff, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

// writeItem writes one YAML mapping as an item of a block sequence.
func writeItem(w *bufio.Writer, doc string) {
	for i, line := range strings.Split(strings.TrimSuffix(doc, "\n"), "\n") {
		switch {
		case i == 0:
			w.WriteString("- ")
		case line == "":
			// A blank line inside a block scalar stays blank: indenting it would change nothing
			// but trailing spaces.
		default:
			w.WriteString("  ")
		}
		w.WriteString(line)
		w.WriteByte('\n')
	}
}

// ListedNames are the kinds listed, in the header's order.
func (t *Taken) ListedNames() []string { return t.Header.Listed }

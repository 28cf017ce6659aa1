// Decoding snapshot documents into objects: the loader, what a document is (an object, a List,
// a typed list), its kind, and its decoding typed or unstructured.

package kube

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"

	"github.com/kockpit/kockpit/safetext"
)

// maxListDepth bounds Lists of Lists: kubectl writes one level, deeper is a broken file.
const maxListDepth = 4

// doc is one object in a file before decoding: where it is, what it says it is, and its items
// when it is a list. JSON docs are slices of the file; YAML docs are nodes.
type doc struct {
	off        int        // JSON: byte offset in the file
	node       *yaml.Node // YAML: the mapping node
	raw        []byte     // JSON: the object's bytes
	apiVersion string
	kind       string
	hasItems   bool
	items      []*doc
	itemsErr   *docError // an element of items that is not an object; an error if this is a list
	badItems   *docError // items that are not a list (an object, a string); an error if this is a list
	// versionFrom is the typed list whose apiVersion an item without its own takes: where
	// a problem with that apiVersion is.
	versionFrom *doc
	unchecked   [][2]int // JSON: spans of members stepped over, to validate if never decoded
	early       *item    // JSON: the item planned and decoded while the file was still read
	eligible    bool     // JSON: raw is known eligible for the fast decoder (decodedEligible)
}

// loader reads files into a fileSource, one file at a time.
type loader struct {
	ctx  context.Context
	src  *fileSource
	file string // the current file, as errors show it
	data []byte // the current file's bytes
	docs int    // top-level documents read so far
	objs int
	// wholeYAML parses YAML files whole, never cut into items: tests compare the two.
	wholeYAML bool
	// referenceDecode decodes typed objects with the reference decoder alone, never the fast
	// one (files_json_fast.go), and YAML items through go-yaml's nodes alone, never the fast
	// path (files_yaml_fast.go): tests compare the two.
	referenceDecode bool
	// streamMin overrides minStreamSize, the size from which files are streamed; -1 never.
	streamMin int64
	// streamWindow overrides the first size of the window a stream reads through.
	streamWindow int
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func (l *loader) loadFile(fsys fs.FS, p, file string) error {
	if err := l.ctx.Err(); err != nil {
		return safetext.Errorf("loading %s: %w", file, err)
	}
	l.file = safetext.Message(file)
	if done, err := l.loadStreamed(fsys, p, file); done {
		return err
	}
	data, err := readFile(fsys, p, file)
	if err != nil {
		return err
	}
	l.data = bytes.TrimPrefix(data, utf8BOM)
	defer func() { l.data = nil }() // the objects are decoded; the bytes can go
	if looksLikeJSON(l.data) && (strings.HasSuffix(strings.ToLower(p), ".json") || validJSONStream(l.data)) {
		return l.loadJSON()
	}
	// YAML, or what starts like JSON but is not: YAML's flow style (`{kind: Pod}`), written in
	// a file not named .json, whose errors are YAML's to say.
	return l.loadYAML()
}

// validJSONStream reports whether data is a sequence of valid JSON values: what a file that
// looks like JSON must be to be read as JSON when its name does not say it is.
func validJSONStream(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var v json.RawMessage
		switch err := dec.Decode(&v); err {
		case nil:
		case io.EOF:
			return true
		default:
			return false
		}
	}
}

// looksLikeJSON sniffs the content, not the name: kubectl users redirect JSON into .yaml files
// and back, and parsing a large JSON file as YAML is many times slower.
func looksLikeJSON(data []byte) bool {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

// item is a document on its way into the snapshot: what it is, then its decoded object.
type item struct {
	d                *doc
	apiVersion, kind string
	list             bool // a list: its items are added in turn
	gvk              schema.GroupVersionKind
	obj              runtime.Object
	err              error
	decoded          bool
}

// plan says what a document is. in is the list the document is an item of, nil at the top
// level; a typed list (PodList) names its items' kind, which cluster-info dumps leave out.
func (l *loader) plan(d *doc, in *doc) *item {
	it := &item{d: d, apiVersion: d.apiVersion, kind: d.kind}
	if in != nil && in.kind != "List" {
		it.apiVersion = cmp.Or(it.apiVersion, in.apiVersion)
		it.kind = cmp.Or(it.kind, strings.TrimSuffix(in.kind, "List"))
		if d.apiVersion == "" {
			d.versionFrom = cmp.Or(in.versionFrom, in)
		}
	}
	switch {
	case d.badItems != nil && strings.HasSuffix(it.kind, "List"):
		it.err = l.errorAt(d.badItems, d, "items of a "+it.kind+" must be a list of objects, "+d.badItems.msg, itemsFix)
	case d.hasItems && strings.HasSuffix(it.kind, "List"):
		it.list = true
	case it.kind != "List": // a List without items holds nothing
		it.gvk, it.err = l.docKind(d, it.apiVersion, it.kind)
	}
	return it
}

// decodeItem fills in the item's object; it runs on several items at once.
func (l *loader) decodeItem(it *item) {
	if it.decoded {
		return
	}
	it.decoded = true
	if it.err == nil && !it.list && !it.gvk.Empty() {
		it.obj, it.err = l.decode(it.d, it.gvk)
	}
}

// keep adds the item's object, or its items if it is a list.
func (l *loader) keep(it *item) error {
	if l.objs++; l.objs%1024 == 0 && l.ctx.Err() != nil {
		return fmt.Errorf("loading %s: %w", l.file, l.ctx.Err())
	}
	switch {
	case it.err != nil:
		return it.err
	case it.list:
		return l.addList(it.d, it.apiVersion, it.kind)
	case it.obj != nil && isHeader(it.gvk.GroupKind()):
		return l.keepHeader(it.d, it.obj.(*unstructured.Unstructured))
	case it.obj != nil:
		l.src.add(it.gvk.GroupKind(), it.obj)
	default: // an empty List: nothing decodes it, so check it here
		return l.checkUnchecked(it.d)
	}
	return nil
}

// add decodes a top-level document and keeps its object, or the items of a list.
func (l *loader) add(d *doc) error {
	it := l.plan(d, nil)
	l.noteEmptyList(it)
	l.decodeItem(it)
	return l.keep(it)
}

func (l *loader) addList(d *doc, apiVersion, kind string) error {
	if d.itemsErr != nil {
		return l.errorAt(d.itemsErr, d, "items of a "+kind+" must be objects: "+d.itemsErr.msg, itemsFix)
	}
	if err := l.checkUnchecked(d); err != nil {
		return err
	}
	list := l.listDoc(d, apiVersion, kind)
	items := make([]*item, len(d.items))
	for i, d := range d.items {
		if items[i] = d.early; items[i] == nil {
			items[i] = l.plan(d, list)
		}
	}
	l.decodeParallel(items)
	// Kept in file order, so the last duplicate wins and the first error is the one reported.
	for _, it := range items {
		if err := l.keep(it); err != nil {
			return err
		}
	}
	return nil
}

// listDoc is the list its items are planned in, and records the kind of a typed list as
// collected: an empty PodList says there are no pods.
func (l *loader) listDoc(d *doc, apiVersion, kind string) *doc {
	list := &doc{apiVersion: apiVersion, kind: kind, node: d.node, off: d.off, raw: d.raw, versionFrom: d.versionFrom}
	if kind != "List" {
		if gv, err := schema.ParseGroupVersion(apiVersion); err == nil && apiVersion != "" {
			l.src.collected(gv.WithKind(strings.TrimSuffix(kind, "List")).GroupKind())
		}
	}
	return list
}

// decodeParallel decodes items on every CPU: typed decoding is most of a big dump's load time,
// and items do not depend on each other.
func (l *loader) decodeParallel(items []*item) {
	workers := min(goruntime.GOMAXPROCS(0), len(items)/64+1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(items); i = int(next.Add(1)) - 1 {
				l.decodeItem(items[i])
			}
		})
	}
	wg.Wait()
}

const itemsFix = "a list's items are a list of objects (`items: [...]`), as `kubectl get -A -o yaml` writes them"

const kindFix = "every object needs `apiVersion:` and `kind:`; kubectl writes both, so export with `kubectl get -A -o yaml`"

func (l *loader) docKind(d *doc, apiVersion, kind string) (schema.GroupVersionKind, error) {
	switch {
	case kind == "" && apiVersion == "":
		return schema.GroupVersionKind{}, l.errorAt(nil, d, "object has no kind and no apiVersion", kindFix)
	case kind == "":
		return schema.GroupVersionKind{}, l.errorAt(nil, d, "object has no kind", kindFix)
	case apiVersion == "":
		if d.versionFrom != nil { // the typed list it is in has none either
			return schema.GroupVersionKind{}, l.errorAtPath(d.versionFrom, keyPath("apiVersion"), kind+" has no apiVersion", kindFix)
		}
		return schema.GroupVersionKind{}, l.errorAt(nil, d, kind+" has no apiVersion", kindFix)
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || gv.Version == "" {
		return schema.GroupVersionKind{}, l.errorAtPath(cmp.Or(d.versionFrom, d), keyPath("apiVersion"),
			fmt.Sprintf("apiVersion %q of %s is not GROUP/VERSION or VERSION", apiVersion, kind), kindFix)
	}
	return gv.WithKind(kind), nil
}

// decode turns a document into client-go's Go type for typed known resources, and into
// unstructured for the rest (CRDs, APIServices, kinds kockpit does not read yet).
func (l *loader) decode(d *doc, gvk schema.GroupVersionKind) (runtime.Object, error) {
	raw, err := l.docJSON(d)
	if err != nil {
		return nil, err
	}
	if r, ok := ResourceForGroupKind(gvk.GroupKind()); ok && r.MetadataOnly {
		return l.decodeMetadataOnly(d, raw, gvk)
	} else if ok && r.Typed {
		return l.decodeTyped(d, raw, r, gvk)
	}
	var m map[string]any
	// The codecs' JSON library: case-sensitive like the API server, integers kept int64, and
	// a key set twice refused as kubectl's strict validation does.
	strict, err := sigsjson.UnmarshalStrict(raw, &m, sigsjson.DisallowDuplicateFields)
	if err != nil {
		if se := l.jsonSyntaxError(d.off, err); se != nil {
			return nil, se
		}
		return nil, l.errorAt(nil, d, gvk.Kind+": "+strings.TrimPrefix(err.Error(), "json: "), "")
	}
	if len(strict) > 0 {
		return nil, l.duplicateIn(d, raw, strict[0])
	}
	if md, ok := m["metadata"]; ok && md != nil {
		if _, ok := md.(map[string]any); !ok {
			return nil, l.errorAtPath(d, keyPath("metadata"), gvk.Kind+": metadata must be an object", "")
		}
		// Any kind's metadata is ObjectMeta, which the API server checks as it does a Pod's:
		// a name that is a number, labels that are a list are wrong shapes here too.
		newMeta := func() any { return &objectMetaOnly{} }
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, newMeta()); err != nil {
			return nil, l.decodeError(d, raw, gvk, newMeta, err)
		}
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvk)
	return u, nil
}

func (l *loader) decodeTyped(d *doc, raw []byte, r Resource, gvk schema.GroupVersionKind) (runtime.Object, error) {
	if gvk.Version != r.Version {
		return nil, l.errorAtPath(cmp.Or(d.versionFrom, d), keyPath("apiVersion"), fmt.Sprintf("%s %s: kockpit reads %s", gvk.Kind, gvk.GroupVersion(), r.APIVersion()),
			fmt.Sprintf("export it again: `kubectl get %s -A -o yaml` writes the version the cluster serves", r))
	}
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		return nil, l.errorAt(nil, d, fmt.Sprintf("no Go type for %s: %v", gvk, err), "")
	}
	if !l.referenceDecode && (d.eligible && decodeEligible(raw, obj) || !d.eligible && decodeFast(raw, obj)) {
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		return obj, nil
	}
	obj, _ = scheme.Scheme.New(gvk) // the fast decoder may have filled some of it
	strict, err := sigsjson.UnmarshalStrict(raw, obj, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return nil, l.fieldError(d, raw, gvk, err)
	}
	if len(strict) > 0 {
		return nil, l.duplicateIn(d, raw, strict[0])
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return obj, nil
}

// objectMetaOnly decodes an object's metadata alone, as the API server reads every kind's.
type objectMetaOnly struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
}

// duplicateIn locates a key set twice in a document the decoder refused for it: in the file
// for JSON; a YAML document was checked before it became JSON (yamlDuplicateKey).
func (l *loader) duplicateIn(d *doc, raw []byte, strict error) error {
	if d.node == nil {
		if err := l.jsonDuplicate(d.off, raw); err != nil {
			return err
		}
	}
	return l.errorAt(nil, d, strings.TrimPrefix(strict.Error(), "json: "), duplicateKeyFix)
}

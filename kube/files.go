package kube

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"
)

// maxFileSize bounds one snapshot file: a bigger one is almost surely not a snapshot, and
// holding it would take the memory the checks need.
const maxFileSize = 512 << 20

// maxListDepth bounds Lists of Lists: kubectl writes one level, deeper is a broken file.
const maxListDepth = 4

// loadFix is what to do when the path holds no snapshot at all.
const loadFix = "pass a file or directory written by `kubectl get -A -o yaml` or `kubectl cluster-info dump --output-directory`"

// InputError is malformed snapshot input, located as precisely as the input allows.
type InputError struct {
	File   string
	Line   int // 1-based; 0 when the error is about the whole file
	Column int // 1-based, in characters; 0 when unknown
	Msg    string
	Fix    string
}

// Error formats FILE:LINE:COL: MSG (fix: FIX), leaving out the parts that are not known.
func (e *InputError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File + ":")
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line) + ":")
		if e.Column > 0 {
			b.WriteString(strconv.Itoa(e.Column) + ":")
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	b.WriteString(e.Msg)
	if e.Fix != "" {
		b.WriteString(" (fix: " + e.Fix + ")")
	}
	return b.String()
}

// LoadSnapshot reads snapshot files: one file, or a directory read recursively (the output of
// `kubectl cluster-info dump --output-directory`, or any tree of .yaml, .yml and .json files).
// Malformed input is an *InputError.
func LoadSnapshot(ctx context.Context, path string) (*Snapshot, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &InputError{File: path, Msg: pathErrorText(err), Fix: loadFix}
	}
	if fi.IsDir() {
		return load(ctx, os.DirFS(path), ".", path, func(p string) string {
			return filepath.Join(path, filepath.FromSlash(p))
		})
	}
	return load(ctx, os.DirFS(filepath.Dir(path)), filepath.Base(path), path, func(string) string { return path })
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
		return nil, &InputError{File: display(root), Msg: "no .yaml, .yml or .json files in this directory", Fix: loadFix}
	}
	src := &fileSource{name: name, kinds: map[schema.GroupKind]*kindObjects{}}
	l := &loader{ctx: ctx, src: src}
	for _, f := range files {
		if err := l.loadFile(fsys, f, display(f)); err != nil {
			return nil, err
		}
	}
	if l.docs == 0 {
		return nil, &InputError{File: display(root), Msg: "no Kubernetes objects: every document is empty", Fix: loadFix}
	}
	s := newSnapshot(ctx, src)
	s.name = name
	return s, nil
}

// snapshotFiles lists the files to read, in lexical order so that runs are deterministic and a
// duplicate object resolves the same way each time. A root that is a file is read whatever its
// name; in a directory only .yaml, .yml and .json count: a cluster-info dump puts logs.txt
// beside the JSON. Hidden entries (.git, editor swap files) are skipped.
func snapshotFiles(fsys fs.FS, root string, display func(string) string) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fix := ""
			if p == root {
				fix = loadFix
			}
			return &InputError{File: display(p), Msg: pathErrorText(err), Fix: fix}
		}
		hidden := p != root && strings.HasPrefix(d.Name(), ".")
		switch {
		case d.IsDir() && hidden:
			return fs.SkipDir
		case d.IsDir() || hidden:
			return nil
		case p == root || isSnapshotExt(p):
			files = append(files, p)
		}
		return nil
	})
	return files, err
}

func isSnapshotExt(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// pathErrorText is an fs error without the path, which the InputError already shows.
func pathErrorText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file or directory"
	}
	return err.Error()
}

// readFile reads one file, refusing those over maxFileSize before reading them.
func readFile(fsys fs.FS, p, file string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, &InputError{File: file, Msg: pathErrorText(err)}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &InputError{File: file, Msg: pathErrorText(err)}
	}
	if fi.Size() > maxFileSize {
		return nil, tooBig(file)
	}
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	// The limit also holds for files whose size Stat does not know (pipes).
	if _, err := buf.ReadFrom(io.LimitReader(f, maxFileSize+1)); err != nil {
		return nil, &InputError{File: file, Msg: "reading: " + pathErrorText(err)}
	}
	if buf.Len() > maxFileSize {
		return nil, tooBig(file)
	}
	return buf.Bytes(), nil
}

func tooBig(file string) error {
	return &InputError{File: file, Msg: fmt.Sprintf("larger than the %d MiB kockpit reads from one file", maxFileSize>>20),
		Fix: "split it, for example one file per kind: `kubectl get pods -A -o yaml > pods.yaml`"}
}

// fileSource is a snapshot read from files: the objects by group and kind. The version is not
// part of the key, so a Resource for a CRD finds its objects whatever version the files have.
type fileSource struct {
	name  string
	kinds map[schema.GroupKind]*kindObjects
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
		return nil, &NotCollectedError{Resource: r, Source: s.name}
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
	if len(objs) == 0 {
		return objs, nil
	}
	_, unstr := objs[0].(*unstructured.Unstructured)
	if unstr != r.Typed {
		if r.Typed && objs[0].GetObjectKind().GroupVersionKind().Version != r.Version {
			return nil, fmt.Errorf("the files have %s, not %s", objs[0].GetObjectKind().GroupVersionKind(), r.APIVersion())
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
			return nil, fmt.Errorf("converting %s to unstructured: %w", gvk.Kind, err)
		}
		u := &unstructured.Unstructured{Object: m}
		u.SetGroupVersionKind(o.GetObjectKind().GroupVersionKind())
		return u, nil
	}
	u := o.(*unstructured.Unstructured)
	if u.GroupVersionKind() != gvk {
		return nil, fmt.Errorf("the files have %s, not %s", u.GroupVersionKind(), gvk)
	}
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("no Go type for %s: %w", gvk, err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", gvk.Kind, objectName(u), err)
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
	unchecked  [][2]int  // JSON: spans of members stepped over, to validate if never decoded
}

// docError is a problem at a place in the file: a byte offset (JSON) or a node (YAML).
type docError struct {
	off  int
	node *yaml.Node
	msg  string
}

func (e *docError) Error() string { return e.msg }

// loader reads files into a fileSource, one file at a time.
type loader struct {
	ctx  context.Context
	src  *fileSource
	file string // the current file, as errors show it
	data []byte // the current file's bytes
	docs int    // top-level documents read so far
	objs int
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func (l *loader) loadFile(fsys fs.FS, p, file string) error {
	if err := l.ctx.Err(); err != nil {
		return fmt.Errorf("loading %s: %w", file, err)
	}
	data, err := readFile(fsys, p, file)
	if err != nil {
		return err
	}
	l.file, l.data = file, bytes.TrimPrefix(data, utf8BOM)
	defer func() { l.data = nil }() // the objects are decoded; the bytes can go
	if looksLikeJSON(l.data) {
		return l.loadJSON()
	}
	return l.loadYAML()
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
}

// plan says what a document is. in is the list the document is an item of, nil at the top
// level; a typed list (PodList) names its items' kind, which cluster-info dumps leave out.
func (l *loader) plan(d *doc, in *doc) *item {
	it := &item{d: d, apiVersion: d.apiVersion, kind: d.kind}
	if in != nil && in.kind != "List" {
		it.apiVersion = cmp.Or(it.apiVersion, in.apiVersion)
		it.kind = cmp.Or(it.kind, strings.TrimSuffix(in.kind, "List"))
	}
	switch {
	case d.hasItems && strings.HasSuffix(it.kind, "List"):
		it.list = true
	case it.kind != "List": // a List without items holds nothing
		it.gvk, it.err = l.docKind(d, it.apiVersion, it.kind)
	}
	return it
}

// decodeItem fills in the item's object; it runs on several items at once.
func (l *loader) decodeItem(it *item) {
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
	l.decodeItem(it)
	return l.keep(it)
}

func (l *loader) addList(d *doc, apiVersion, kind string) error {
	if d.itemsErr != nil {
		return l.errorAt(d.itemsErr, d, "items of a "+kind+" must be objects: "+d.itemsErr.msg, "")
	}
	if err := l.checkUnchecked(d); err != nil {
		return err
	}
	list := &doc{apiVersion: apiVersion, kind: kind}
	if kind != "List" {
		if gv, err := schema.ParseGroupVersion(apiVersion); err == nil && apiVersion != "" {
			l.src.collected(gv.WithKind(strings.TrimSuffix(kind, "List")).GroupKind())
		}
	}
	items := make([]*item, len(d.items))
	for i, d := range d.items {
		items[i] = l.plan(d, list)
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

const kindFix = "every object needs `apiVersion:` and `kind:`; kubectl writes both, so export with `kubectl get -A -o yaml`"

func (l *loader) docKind(d *doc, apiVersion, kind string) (schema.GroupVersionKind, error) {
	switch {
	case kind == "" && apiVersion == "":
		return schema.GroupVersionKind{}, l.errorAt(nil, d, "object has no kind and no apiVersion", kindFix)
	case kind == "":
		return schema.GroupVersionKind{}, l.errorAt(nil, d, "object has no kind", kindFix)
	case apiVersion == "":
		return schema.GroupVersionKind{}, l.errorAt(nil, d, kind+" has no apiVersion", kindFix)
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || gv.Version == "" {
		return schema.GroupVersionKind{}, l.errorAt(nil, d,
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
	if r, ok := ResourceForGroupKind(gvk.GroupKind()); ok && r.Typed {
		return l.decodeTyped(d, raw, r, gvk)
	}
	var m map[string]any
	// The codecs' JSON library: case-sensitive like the API server, integers kept int64.
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &m); err != nil {
		if se := l.jsonSyntaxError(d.off, err); se != nil {
			return nil, se
		}
		return nil, l.errorAt(nil, d, gvk.Kind+": "+strings.TrimPrefix(err.Error(), "json: "), "")
	}
	if md, ok := m["metadata"]; ok && md != nil {
		if _, ok := md.(map[string]any); !ok {
			return nil, l.errorAt(nil, d, gvk.Kind+": metadata must be an object", "")
		}
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvk)
	return u, nil
}

func (l *loader) decodeTyped(d *doc, raw []byte, r Resource, gvk schema.GroupVersionKind) (runtime.Object, error) {
	if gvk.Version != r.Version {
		return nil, l.errorAt(nil, d, fmt.Sprintf("%s %s: kockpit reads %s", gvk.Kind, gvk.GroupVersion(), r.APIVersion()),
			fmt.Sprintf("export it again: `kubectl get %s -A -o yaml` writes the version the cluster serves", r))
	}
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		return nil, l.errorAt(nil, d, fmt.Sprintf("no Go type for %s: %v", gvk, err), "")
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, obj); err != nil {
		return nil, l.fieldError(d, raw, gvk, err)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return obj, nil
}

// fieldError explains a typed decoding failure. The codecs' JSON library does not say where the
// bad field is, so the standard library decodes again, on this rare path, to find its path.
func (l *loader) fieldError(d *doc, raw []byte, gvk schema.GroupVersionKind, err error) error {
	if se := l.jsonSyntaxError(d.off, err); se != nil {
		return se
	}
	what := gvk.Kind + " " + docName(raw)
	obj, _ := scheme.Scheme.New(gvk)
	var te *json.UnmarshalTypeError
	if !errors.As(json.Unmarshal(raw, obj), &te) || te.Field == "" {
		return l.errorAt(nil, d, what+": "+strings.TrimPrefix(err.Error(), "json: "), "")
	}
	msg := fmt.Sprintf("%s: %s must be %s, not %s", what, te.Field, jsonTypeName(te.Type), te.Value)
	fix := fmt.Sprintf("`kubectl explain %s.%s` shows the field's type", strings.ToLower(gvk.Kind), te.Field)
	at := &docError{off: d.off + int(te.Offset), node: fieldNode(d.node, te.Field)}
	return l.errorAt(at, d, msg, fix)
}

// docName is "namespace/name" from an object's metadata, for messages.
func docName(raw []byte) string {
	var o struct {
		Metadata struct{ Name, Namespace string }
	}
	_ = json.Unmarshal(raw, &o)
	name := cmp.Or(o.Metadata.Name, "(no name)")
	if o.Metadata.Namespace != "" {
		name = o.Metadata.Namespace + "/" + name
	}
	return strconv.Quote(name)
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	}
	return "a " + t.String()
}

// errorAt makes an InputError at the problem's place, or at the document's when at is nil.
func (l *loader) errorAt(at *docError, d *doc, msg, fix string) error {
	off, node := d.off, d.node
	if at != nil && (at.node != nil || d.node == nil) {
		off, node = at.off, at.node
	}
	e := &InputError{File: l.file, Msg: msg, Fix: fix}
	if node != nil {
		e.Line, e.Column = node.Line, node.Column
	} else {
		e.Line, e.Column = lineCol(l.data, off)
	}
	return e
}

// lineCol turns a byte offset into a 1-based line and column (in characters).
func lineCol(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return bytes.Count(data[:off], []byte{'\n'}) + 1, utf8.RuneCount(data[start:off]) + 1
}

// --- JSON ---

// jsonWalker steps through a JSON file's structure without decoding it: it reads apiVersion,
// kind and the items of lists, and keeps each object as a slice of the file, so a bad object's
// line is known. It skips values by matching brackets and leaves validation to the decoders,
// which check every object they decode: the file is scanned once before the typed decode.
type jsonWalker struct {
	data []byte
	pos  int
}

func (l *loader) loadJSON() error {
	w := &jsonWalker{data: l.data}
	for {
		d, err := w.object(0)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return l.jsonError(err)
		}
		l.docs++
		if err := l.add(d); err != nil {
			return err
		}
	}
}

func (l *loader) jsonError(err error) error {
	var de *docError
	e := &InputError{File: l.file}
	switch {
	case errors.As(err, &de):
		e.Line, e.Column = lineCol(l.data, de.off)
		e.Msg = de.msg
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.Line, e.Column = lineCol(l.data, len(l.data))
		e.Msg, e.Fix = "JSON ends in the middle of a value", "the file is truncated: export it again"
	default:
		e.Msg = "JSON: " + err.Error()
	}
	return e
}

func (w *jsonWalker) skipSpace() {
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case ' ', '\t', '\r', '\n':
			w.pos++
		default:
			return
		}
	}
}

// peek is the next byte after white space, 0 at the end.
func (w *jsonWalker) peek() byte {
	w.skipSpace()
	if w.pos < len(w.data) {
		return w.data[w.pos]
	}
	return 0
}

func (w *jsonWalker) fail(msg string) error {
	if w.pos >= len(w.data) {
		return io.ErrUnexpectedEOF
	}
	return &docError{off: w.pos, msg: "JSON syntax error: " + msg}
}

// expect consumes one of the bytes, after white space, and says which.
func (w *jsonWalker) expect(what string, bs ...byte) (byte, error) {
	c := w.peek()
	if slices.Contains(bs, c) && c != 0 {
		w.pos++
		return c, nil
	}
	return 0, w.fail("expected " + what + ", found " + jsonValueName(c))
}

// object reads one object; io.EOF when the input has no more values at the top level.
func (w *jsonWalker) object(depth int) (*doc, error) {
	c := w.peek()
	if c == 0 && depth == 0 {
		return nil, io.EOF
	}
	if c != '{' {
		return nil, w.failObject(c)
	}
	d := &doc{off: w.pos}
	w.pos++
	if w.peek() == '}' {
		w.pos++
		d.raw = w.data[d.off:w.pos]
		return d, nil
	}
	for {
		if err := w.member(d, depth); err != nil {
			return nil, err
		}
		c, err := w.expect("',' or '}'", ',', '}')
		if err != nil {
			return nil, err
		}
		if c == '}' {
			d.raw = w.data[d.off:w.pos]
			return d, nil
		}
	}
}

func (w *jsonWalker) failObject(c byte) error {
	if c == 0 {
		return io.ErrUnexpectedEOF
	}
	return &docError{off: w.pos, msg: "expected a JSON object with apiVersion and kind, found " + jsonValueName(c)}
}

func jsonValueName(c byte) string {
	switch c {
	case '[':
		return "a list"
	case '{':
		return "an object"
	case '"':
		return "a string"
	case 0:
		return "the end"
	}
	return strconv.QuoteRune(rune(c))
}

func (w *jsonWalker) member(d *doc, depth int) error {
	if w.peek() != '"' {
		return w.fail("expected a string key, found " + jsonValueName(w.peek()))
	}
	key, err := w.str()
	if err != nil {
		return err
	}
	if _, err := w.expect("':'", ':'); err != nil {
		return err
	}
	switch key {
	case "kind":
		return w.stringValue(&d.kind, "kind")
	case "apiVersion":
		return w.stringValue(&d.apiVersion, "apiVersion")
	case "items":
		switch w.peek() {
		case '[':
			d.hasItems = true
			return w.items(d, depth)
		case 'n': // "items": null, as kubectl writes an empty list
			d.hasItems = true
		}
	}
	start := w.pos
	if err := w.skipValue(); err != nil {
		return err
	}
	// A list's own members are never decoded, so never validated; keep them to check.
	d.unchecked = append(d.unchecked, [2]int{start, w.pos})
	return nil
}

// str reads a string; only strings with escapes need the JSON decoder.
func (w *jsonWalker) str() (string, error) {
	start := w.pos
	if err := w.skipString(); err != nil {
		return "", err
	}
	raw := w.data[start:w.pos]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		w.pos = start
		return "", w.fail("bad string: " + strings.TrimPrefix(err.Error(), "json: "))
	}
	return s, nil
}

func (w *jsonWalker) stringValue(dst *string, name string) error {
	switch w.peek() {
	case '"':
		s, err := w.str()
		*dst = s
		return err
	case 'n': // "kind": null says no kind
		if bytes.HasPrefix(w.data[w.pos:], []byte("null")) {
			w.pos += len("null")
			return nil
		}
	}
	return &docError{off: w.pos, msg: name + " must be a string"}
}

// items reads a list's elements. An element that is not an object is an error only if the
// document turns out to be a list: kind comes after items in kubectl's sorted output.
func (w *jsonWalker) items(d *doc, depth int) error {
	if depth >= maxListDepth {
		return &docError{off: w.pos, msg: fmt.Sprintf("lists nested more than %d deep", maxListDepth)}
	}
	start := w.pos
	w.pos++ // '['
	if w.peek() == ']' {
		w.pos++
		return nil
	}
	for {
		if c := w.peek(); c != '{' {
			if c == 0 {
				return io.ErrUnexpectedEOF
			}
			d.itemsErr = &docError{off: w.pos, msg: "found " + jsonValueName(c)}
			d.items = nil
			w.pos = start
			return w.skipValue()
		}
		it, err := w.object(depth + 1)
		if err != nil {
			return err
		}
		d.items = append(d.items, it)
		if c, err := w.expect("',' or ']'", ',', ']'); err != nil || c == ']' {
			return err
		}
	}
}

// skipValue steps over one value by its brackets and quotes, without validating it.
func (w *jsonWalker) skipValue() error {
	switch w.peek() {
	case 0:
		return io.ErrUnexpectedEOF
	case '"':
		return w.skipString()
	case '{', '[':
		return w.skipNested()
	}
	start := w.pos
	for w.pos < len(w.data) && !endsLiteral(w.data[w.pos]) {
		w.pos++
	}
	if w.pos == start {
		return w.fail("expected a value, found " + jsonValueName(w.data[w.pos]))
	}
	return nil
}

// endsLiteral: a number, true, false or null runs until one of these.
func endsLiteral(c byte) bool {
	switch c {
	case ',', ':', '}', ']', ' ', '\t', '\r', '\n', '{', '[', '"':
		return true
	}
	return false
}

func (w *jsonWalker) skipNested() error {
	depth := 0
	for w.pos < len(w.data) {
		i := bytes.IndexAny(w.data[w.pos:], `"{}[]`)
		if i < 0 {
			break
		}
		w.pos += i
		switch w.data[w.pos] {
		case '"':
			if err := w.skipString(); err != nil {
				return err
			}
			continue
		case '{', '[':
			depth++
		default:
			depth--
		}
		w.pos++
		if depth == 0 {
			return nil
		}
	}
	w.pos = len(w.data)
	return io.ErrUnexpectedEOF
}

// skipString steps over a string, pos at its opening quote.
func (w *jsonWalker) skipString() error {
	i := w.pos + 1
	for {
		j := bytes.IndexAny(w.data[i:], `"\`)
		if j < 0 {
			w.pos = len(w.data)
			return io.ErrUnexpectedEOF
		}
		i += j
		if w.data[i] == '"' {
			w.pos = i + 1
			return nil
		}
		i += 2 // a backslash and the byte it escapes
		if i >= len(w.data) {
			w.pos = len(w.data)
			return io.ErrUnexpectedEOF
		}
	}
}

// checkUnchecked validates the members of a list that were stepped over, not decoded.
func (l *loader) checkUnchecked(d *doc) error {
	for _, span := range d.unchecked {
		if v := l.data[span[0]:span[1]]; !json.Valid(v) {
			return l.jsonSyntaxError(span[0], json.Unmarshal(v, new(any)))
		}
	}
	return nil
}

// jsonSyntaxError locates a decoder's syntax error in an object that starts at off.
func (l *loader) jsonSyntaxError(off int, err error) error {
	ok, at := sigsjson.SyntaxErrorOffset(err)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		ok, at = true, se.Offset
	}
	if !ok {
		return nil
	}
	e := &InputError{File: l.file, Msg: "JSON syntax error: " + strings.TrimPrefix(err.Error(), "json: ")}
	e.Line, e.Column = lineCol(l.data, off+int(at)-1)
	return e
}

// --- YAML ---

// yamlLine finds the line in a go-yaml error: "yaml: line 3: did not find expected key".
var yamlLine = regexp.MustCompile(`^(?:yaml: )?(?:unmarshal errors:\s*)?line (\d+): (.*)$`)

func (l *loader) loadYAML() error {
	dec := yaml.NewDecoder(bytes.NewReader(l.data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return l.yamlSyntaxError(err)
		}
		root := documentContent(&n)
		if root == nil { // an empty document: "---" twice, or only comments
			continue
		}
		d, err := yamlDoc(root, 0)
		if err != nil {
			return l.errorAt(err.(*docError), &doc{node: root}, err.Error(), "")
		}
		l.docs++
		if err := l.add(d); err != nil {
			return err
		}
	}
}

// yamlError makes an InputError of a go-yaml error, at its line when it has one.
func (l *loader) yamlError(err error, line int, prefix string) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	return &InputError{File: l.file, Line: line, Msg: prefix + msg}
}

// yamlSyntaxError locates a syntax error. go-yaml v3 reports parser errors ("did not find
// expected key", the usual bad indentation) at a 0-based line, of the enclosing block when it
// knows one; go-yaml v2 reports the 0-based line of the offending token, so on this rare path v2
// parses again to say where. Scanner errors v3 already reports 1-based.
func (l *loader) yamlSyntaxError(err error) error {
	e := l.yamlError(err, 0, "YAML syntax error: ").(*InputError)
	problem := strings.TrimPrefix(e.Msg, "YAML syntax error: ")
	if m := unknownAnchor.FindStringSubmatch(problem); m != nil {
		// go-yaml does not say where; the first use of the alias is where to look.
		if i := bytes.Index(l.data, []byte("*"+m[1])); i >= 0 {
			e.Line, e.Column = lineCol(l.data, i)
		}
		return e
	}
	if !yamlParserErrors[problem] {
		return e
	}
	e.Line++
	dec := yamlv2.NewDecoder(bytes.NewReader(l.data))
	for {
		var v any
		err := dec.Decode(&v)
		if err == nil {
			continue
		}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil && m[2] == problem {
			n, _ := strconv.Atoi(m[1])
			e.Line = n + 1
		}
		return e
	}
}

var unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// yamlParserErrors are the problems libyaml's parser (not its scanner) reports.
var yamlParserErrors = map[string]bool{
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected <document start>": true,
	"found incompatible YAML document":       true,
	"found duplicate %YAML directive":        true,
	"found duplicate %TAG directive":         true,
	"found undefined tag handle":             true,
}

func documentContent(n *yaml.Node) *yaml.Node {
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return nil
	}
	c := resolveAlias(n.Content[0])
	if c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null" {
		return nil
	}
	return c
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// yamlDoc reads apiVersion, kind and items from a mapping node; the rest is decoded later.
func yamlDoc(n *yaml.Node, depth int) (*doc, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &docError{node: n, msg: "expected an object with apiVersion and kind, found " + yamlNodeName(n)}
	}
	d := &doc{node: n}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := resolveAlias(n.Content[i]), resolveAlias(n.Content[i+1])
		var err error
		switch {
		case key.ShortTag() == "!!merge":
			merges = append(merges, val)
		case key.Value == "kind":
			d.kind, err = yamlString(val, "kind")
		case key.Value == "apiVersion":
			d.apiVersion, err = yamlString(val, "apiVersion")
		case key.Value == "items":
			err = yamlItems(d, val, depth)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, m := range merges {
		mergeKind(d, m)
	}
	return d, nil
}

// mergeKind takes apiVersion and kind from the mappings of a merge key (`<<: *base`) where the
// object does not set them itself: go-yaml's decoding merges them into the object too.
func mergeKind(d *doc, n *yaml.Node) {
	maps := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		maps = n.Content
	}
	for _, m := range maps {
		m = resolveAlias(m)
		if m.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			val := resolveAlias(m.Content[i+1])
			dst := map[string]*string{"kind": &d.kind, "apiVersion": &d.apiVersion}[m.Content[i].Value]
			if dst != nil && *dst == "" && val.Kind == yaml.ScalarNode && val.ShortTag() == "!!str" {
				*dst = val.Value
			}
		}
	}
}

func yamlString(n *yaml.Node, name string) (string, error) {
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		return n.Value, nil
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return "", nil
	}
	return "", &docError{node: n, msg: name + " must be a string"}
}

func yamlItems(d *doc, n *yaml.Node, depth int) error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		d.hasItems = true
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil // not a list's items; the object is decoded as a whole
	}
	if depth >= maxListDepth {
		return &docError{node: n, msg: fmt.Sprintf("lists nested more than %d deep", maxListDepth)}
	}
	d.hasItems = true
	for _, c := range n.Content {
		c = resolveAlias(c)
		if c.Kind != yaml.MappingNode {
			d.itemsErr = &docError{node: c, msg: "found " + yamlNodeName(c)}
			return nil
		}
		it, err := yamlDoc(c, depth+1)
		if err != nil {
			return err
		}
		d.items = append(d.items, it)
	}
	return nil
}

func yamlNodeName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "an object"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "an empty document"
}

// docJSON is the document as JSON, which the typed decoders read. A YAML node goes through
// go-yaml's own decoding, which resolves anchors, merge keys and tags and refuses alias bombs.
func (l *loader) docJSON(d *doc) ([]byte, error) {
	if d.node == nil {
		return d.raw, nil
	}
	var v any
	if err := d.node.Decode(&v); err != nil {
		return nil, l.yamlError(err, d.node.Line, "")
	}
	v, err := jsonCompatible(v)
	if err == nil {
		var raw []byte
		if raw, err = json.Marshal(v); err == nil {
			return raw, nil
		}
	}
	return nil, l.errorAt(nil, d, "cannot be written as JSON: "+strings.TrimPrefix(err.Error(), "json: "), "")
}

// jsonCompatible turns go-yaml's maps with non-string keys (`1: a`) into JSON objects.
func jsonCompatible(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			v[k] = c
		}
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = c
		}
		return m, nil
	case []any:
		for i, e := range v {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			v[i] = c
		}
	}
	return v, nil
}

// fieldNode finds the node of a field path ("spec.containers") in a YAML object, for the line
// of a bad field; at a list it stops, as the path does not say which element.
func fieldNode(n *yaml.Node, path string) *yaml.Node {
	if n == nil {
		return nil
	}
	for _, name := range strings.Split(path, ".") {
		if n.Kind != yaml.MappingNode {
			return n
		}
		next := (*yaml.Node)(nil)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				next = resolveAlias(n.Content[i+1])
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

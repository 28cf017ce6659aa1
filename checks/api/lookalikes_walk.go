package api

import (
	"reflect"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// fieldPath is where a string stands in an object, kept as segments so that the walk renders
// it only for the rare string that holds something.
type fieldPath struct {
	segs []pathSeg
}

// pathSeg is a field name, a map key or a list index.
type pathSeg struct {
	name  string
	index int  // -1 unless a list index
	key   bool // a map key rather than a field
}

func (p *fieldPath) push(s pathSeg) { p.segs = append(p.segs, s) }
func (p *fieldPath) pop()           { p.segs = p.segs[:len(p.segs)-1] }

// String is the path as the JSON of the object spells it:
// spec.template.spec.containers[0].env[0].value, data["app.properties"].
func (p *fieldPath) String() string {
	var b strings.Builder
	for _, s := range p.segs {
		switch {
		case s.index >= 0:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case s.key && !plainKey(s.name):
			b.WriteString("[" + strconv.Quote(s.name) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.name)
		}
	}
	return b.String()
}

// JSONPath is the path as kubectl's -o jsonpath reads it: {.data.app\.properties}.
func (p *fieldPath) JSONPath() string {
	var b strings.Builder
	b.WriteString("{")
	for _, s := range p.segs {
		switch {
		case s.index >= 0:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case s.key && !jsonpathKey(s.name):
			b.WriteString("['" + strings.ReplaceAll(s.name, "'", `\'`) + "']")
		default:
			b.WriteString("." + strings.ReplaceAll(s.name, ".", `\.`))
		}
	}
	return b.String() + "}"
}

// last is the name of the innermost field or key, skipping list indexes.
func (p *fieldPath) last() string {
	for i := len(p.segs) - 1; i >= 0; i-- {
		if p.segs[i].index < 0 {
			return p.segs[i].name
		}
	}
	return ""
}

// has reports whether a field or key of the path is named name.
func (p *fieldPath) has(name string) bool {
	for _, s := range p.segs {
		if s.index < 0 && s.name == name {
			return true
		}
	}
	return false
}

func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return k != ""
}

func jsonpathKey(k string) bool {
	return plainKey(strings.NewReplacer(".", "", "/", "").Replace(k)) || plainKey(k)
}

// walker visits every string of an object with its path, in fields and in map keys. skip
// leaves out a field or key (and all under it) before it is entered.
type walker struct {
	path  fieldPath
	skip  func(p *fieldPath, name string) bool
	visit func(p *fieldPath, s string, isKey bool)
}

// walk visits the strings of a typed object (a client-go struct) or an unstructured one.
func (w *walker) walk(obj any) {
	w.path.segs = w.path.segs[:0]
	if u, ok := obj.(*unstructured.Unstructured); ok {
		w.walkAny(u.Object)
		return
	}
	v := reflect.ValueOf(obj)
	if v.IsValid() {
		w.walkValue(v, infoOf(v.Type()))
	}
}

// walkAny walks unstructured JSON: maps, lists and strings.
func (w *walker) walkAny(v any) {
	switch v := v.(type) {
	case string:
		w.visit(&w.path, v, false)
	case map[string]any:
		for k, e := range v {
			if w.skip(&w.path, k) {
				continue
			}
			w.path.push(pathSeg{name: k, index: -1, key: true})
			w.visit(&w.path, k, true)
			w.walkAny(e)
			w.path.pop()
		}
	case []any:
		for i, e := range v {
			w.path.push(pathSeg{index: i})
			w.walkAny(e)
			w.path.pop()
		}
	}
}

func (w *walker) walkValue(v reflect.Value, t *typeInfo) {
	if !t.strings {
		return
	}
	switch t.kind {
	case reflect.String:
		w.visit(&w.path, v.String(), false)
	case reflect.Pointer:
		if !v.IsNil() {
			w.walkValue(v.Elem(), t.elem)
		}
	case reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			w.walkValue(e, infoOf(e.Type()))
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			w.path.push(pathSeg{index: i})
			w.walkValue(v.Index(i), t.elem)
			w.path.pop()
		}
	case reflect.Map:
		if v.Len() == 0 {
			return
		}
		// SetIterKey and SetIterValue reuse one Value each, where Key and Value would
		// allocate a copy per entry.
		key, val := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		iter := v.MapRange()
		for iter.Next() {
			key.SetIterKey(iter)
			k := key.String()
			if w.skip(&w.path, k) {
				continue
			}
			w.path.push(pathSeg{name: k, index: -1, key: true})
			w.visit(&w.path, k, true)
			if t.elem.strings {
				val.SetIterValue(iter)
				w.walkValue(val, t.elem)
			}
			w.path.pop()
		}
	case reflect.Struct:
		if t.intOrString {
			if s := v.Interface().(intstr.IntOrString); s.Type == intstr.String {
				w.visit(&w.path, s.StrVal, false)
			}
			return
		}
		for _, f := range t.fields {
			if !f.info.strings {
				continue
			}
			if f.inline {
				w.walkValue(v.Field(f.index), f.info)
				continue
			}
			if w.skip(&w.path, f.name) {
				continue
			}
			w.path.push(pathSeg{name: f.name, index: -1})
			w.walkValue(v.Field(f.index), f.info)
			w.path.pop()
		}
	}
}

// typeInfo is what the walk needs of a Go type, worked out once per type.
type typeInfo struct {
	kind        reflect.Kind
	strings     bool      // whether a string can be reached from it at all
	elem        *typeInfo // of a slice's, array's or map's elements
	fields      []fieldInfo
	intOrString bool
}

type fieldInfo struct {
	index  int
	name   string
	inline bool
	info   *typeInfo
}

var (
	typeInfoMu    sync.Mutex
	typeInfoCache = map[reflect.Type]*typeInfo{}
	intOrString   = reflect.TypeFor[intstr.IntOrString]()
)

func infoOf(t reflect.Type) *typeInfo {
	typeInfoMu.Lock()
	defer typeInfoMu.Unlock()
	return buildInfo(t)
}

// buildInfo fills the cache for t; a recursive type meets its own entry, marked as holding
// strings, which is the safe answer.
func buildInfo(t reflect.Type) *typeInfo {
	if info, ok := typeInfoCache[t]; ok {
		return info
	}
	info := &typeInfo{kind: t.Kind(), strings: true}
	typeInfoCache[t] = info
	switch t.Kind() {
	case reflect.String, reflect.Interface:
	case reflect.Pointer:
		info.elem = buildInfo(t.Elem())
		info.strings = info.elem.strings
	case reflect.Slice, reflect.Array:
		// []byte is binary data (ConfigMap binaryData, CA bundles): not text.
		info.elem = buildInfo(t.Elem())
		info.strings = t.Elem().Kind() != reflect.Uint8 && info.elem.strings
	case reflect.Map:
		info.elem = buildInfo(t.Elem())
		info.strings = t.Key().Kind() == reflect.String
	case reflect.Struct:
		if t == intOrString {
			info.intOrString = true
			break
		}
		has := false
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			fi := fieldInfo{index: i, name: name, info: buildInfo(f.Type)}
			fi.inline = strings.Contains(opts, "inline") || f.Anonymous && name == ""
			if fi.name == "" {
				fi.name = f.Name
			}
			info.fields = append(info.fields, fi)
			has = has || fi.info.strings
		}
		info.strings = has
	default:
		info.strings = false
	}
	return info
}

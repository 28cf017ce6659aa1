package kube

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// loadStreamBoth loads data as the file name streamed (through a window of window bytes) and
// read whole, and says whether the stream was taken to the end (false when it stepped back).
func loadStreamBoth(t testing.TB, name string, data []byte, window int) (streamed, whole *fileSource, streamErr, wholeErr error, taken bool) {
	t.Helper()
	fsys := fstest.MapFS{name: {Data: data}}
	newLoader := func(min int64) *loader {
		return &loader{ctx: context.Background(), src: &fileSource{name: name, kinds: map[schema.GroupKind]*kindObjects{}},
			file: name, streamMin: min, streamWindow: window}
	}
	lw := newLoader(-1)
	wholeErr = lw.loadFile(fsys, name, name)
	ls := newLoader(1)
	taken, streamErr = ls.loadStreamed(fsys, name, name)
	if !taken {
		streamErr = ls.loadFile(fsys, name, name)
	}
	return ls.src, lw.src, streamErr, wholeErr, taken
}

// sameSource fails unless both loads kept the same objects in the same order, or failed alike.
func sameSource(t testing.TB, data []byte, a, b *fileSource, aErr, bErr error) {
	t.Helper()
	if fmt.Sprint(aErr) != fmt.Sprint(bErr) {
		t.Fatalf("stream and whole disagree:\n  stream: %v\n  whole:  %v\n%.2000s", aErr, bErr, data)
	}
	if len(a.kinds) != len(b.kinds) || !reflect.DeepEqual(a.emptyListFiles, b.emptyListFiles) {
		t.Fatalf("stream has %d kinds, whole %d\n%.2000s", len(a.kinds), len(b.kinds), data)
	}
	for gk, w := range b.kinds {
		if s, ok := a.kinds[gk]; !ok || !reflect.DeepEqual(s.objs, w.objs) {
			t.Fatalf("%s differ between stream and whole\n%.2000s", gk, data)
		}
	}
}

// streamCases are JSON files: the stream takes the first ones, and steps back on the rest.
var streamCases = []struct {
	name   string
	data   string
	stream bool
}{
	{"kubectl List", `{"apiVersion": "v1", "items": [` + jsonPods(3, true) + `], "kind": "List", "metadata": {"resourceVersion": ""}}`, true},
	{"typed list, items without kind", `{"apiVersion": "v1", "items": [` + jsonPods(3, false) + `], "kind": "PodList"}`, true},
	{"kind first, mixed items", `{"kind": "PodList", "apiVersion": "v1", "items": [` + jsonPods(2, false) + `,` + jsonPods(2, true) + `]}`, true},
	{"BOM and spaces", "\uFEFF \n" + `{"apiVersion": "v1", "items": [` + jsonPods(2, true) + `], "kind": "List"}` + "\n\n", true},
	{"ConfigMaps and unknown kinds", `{"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}, "data": {"a": "b"}},
		{"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"n": 1.5}}], "kind": "List"}`, true},
	{"an item's error", `{"apiVersion": "v1", "items": [` + jsonPods(2, true) + `, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": 3}}], "kind": "List"}`, false},
	{"an item set twice", `{"apiVersion": "v1", "items": [` + jsonPods(1, true) + `], "kind": "List", "items": []}`, false},
	{"a key twice in an item", `{"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "Pod", "kind": "Pod", "metadata": {"name": "a"}}], "kind": "List"}`, false},
	{"a bad list member", `{"apiVersion": "v1", "items": [` + jsonPods(1, true) + `], "kind": "List", "metadata": {"a": tru}}`, false},
	{"two documents", `{"apiVersion": "v1", "items": [` + jsonPods(1, true) + `], "kind": "List"} {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}`, false},
	{"a list in the list", `{"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "List", "items": [` + jsonPods(1, true) + `]}], "kind": "List"}`, false},
	{"an item that is not an object", `{"apiVersion": "v1", "items": [` + jsonPods(1, true) + `, 3], "kind": "List"}`, false},
	{"no items", `{"apiVersion": "v1", "items": [], "kind": "List"}`, false},
	{"not a list", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}`, false},
	{"a kind that is not a list", `{"apiVersion": "v1", "items": [` + jsonPods(1, true) + `], "kind": "Pod"}`, false},
	{"cut short", `{"apiVersion": "v1", "items": [` + jsonPods(2, true), false},
	{"a typed list without apiVersion", `{"items": [` + jsonPods(1, false) + `], "kind": "PodList"}`, false},
}

func jsonPods(n int, kind bool) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		tm := ""
		if kind {
			tm = `"apiVersion": "v1", "kind": "Pod", `
		}
		fmt.Fprintf(&b, `{%s"metadata": {"name": "p-%d-%t", "namespace": "ns", "creationTimestamp": "2026-11-25T10:00:00Z"},
		  "spec": {"containers": [{"name": "a", "image": "x", "resources": {"limits": {"cpu": "100m"}}}], "nodeName": "n"},
		  "status": {"phase": "Running", "podIP": "10.0.0.%d"}}`, tm, i, kind, i)
	}
	return b.String()
}

// TestJSONStreamSameAsWhole: a streamed file loads the same objects as the file read whole,
// through windows of every size from a few bytes, and what the stream does not take is read
// whole, with the same error.
func TestJSONStreamSameAsWhole(t *testing.T) {
	for _, tc := range streamCases {
		for _, window := range []int{1, 7, 64, 1 << 20} {
			s, w, sErr, wErr, taken := loadStreamBoth(t, "f.json", []byte(tc.data), window)
			if taken != tc.stream {
				t.Fatalf("%s, window %d: streamed %v, want %v (%v)", tc.name, window, taken, tc.stream, sErr)
			}
			sameSource(t, []byte(tc.data), s, w, sErr, wErr)
			if tc.stream && len(s.kinds) == 0 {
				t.Fatalf("%s: nothing loaded", tc.name)
			}
		}
	}
	data := podListJSON(t, 500)
	s, w, sErr, wErr, taken := loadStreamBoth(t, "pods.yaml", data, 4096) // JSON in a .yaml file
	if !taken || sErr != nil || len(s.kinds[schema.GroupKind{Kind: "Pod"}].objs) != 500 {
		t.Fatalf("the pods were not streamed: %v %v", taken, sErr)
	}
	sameSource(t, data, s, w, sErr, wErr)
}

// TestJSONStreamCanceled: a canceled load stops the stream and says so.
func TestJSONStreamCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := podListJSON(t, 2000)
	l := &loader{ctx: ctx, src: &fileSource{kinds: map[schema.GroupKind]*kindObjects{}}, file: "f.json", streamMin: 1}
	done, err := l.loadStreamed(fstest.MapFS{"f.json": {Data: data}}, "f.json", "f.json")
	if !done || err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("done %v, err %v", done, err)
	}
}

// FuzzJSONStream: whatever the stream loads, through any window, the file read whole loads
// the same; whatever it does not, it says so and keeps nothing.
func FuzzJSONStream(f *testing.F) {
	for _, tc := range streamCases {
		f.Add([]byte(tc.data), uint8(5))
	}
	f.Fuzz(func(t *testing.T, data []byte, window uint8) {
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("hung on %q", data)) })
		defer watchdog.Stop()
		s, w, sErr, wErr, taken := loadStreamBoth(t, "f.json", data, int(window)+1)
		if taken && sErr != nil {
			t.Fatalf("the stream failed itself: %v", sErr)
		}
		sameSource(t, data, s, w, sErr, wErr)
	})
}

// yamlStreamBase is a kubectl List of pods and one custom object, to break.
var yamlStreamBase = kubectlList(podItems(minCutItems+2, 0, "") +
	"- apiVersion: x.io/v1\n  kind: Thing\n  metadata: {name: t}\n  spec:\n    i: 12\n    f: 1.5\n    b: true\n    s: abc\n    n: null\n    l: [1, a]\n")

// TestYAMLStreamSameAsWhole: a streamed YAML List loads the same objects as the file read
// whole, through windows of any size; what the stream does not take is read whole.
func TestYAMLStreamSameAsWhole(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		stream     bool
	}{
		{"kubectl List", yamlStreamBase, true},
		{"indented items, comments", "# dump\n\napiVersion: v1\nitems:\n\n# the pods\n" + podItems(minCutItems, 2, "  # half\n\n") + "\nkind: List\n", true},
		{"typed list, items without kind", "apiVersion: v1\nkind: PodList\nitems:\n" + strings.ReplaceAll(podItems(minCutItems, 0, ""), "- apiVersion: v1\n  kind: Pod\n  metadata:\n", "- metadata:\n"), true},
		{"CRLF, no final newline", strings.ReplaceAll(strings.TrimSuffix(yamlStreamBase, "\n"), "\n", "\r\n"), true},
		{"too few items", kubectlList(podItems(minCutItems-1, 0, "")), false},
		{"a bad item", kubectlList(podItems(minCutItems, 0, "    labels: [a]\n")), false},
		{"a key twice", kubectlList(podItems(minCutItems, 0, "    name: again\n")), false},
		{"a second document", yamlStreamBase + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n", false},
		{"an alias across items", kubectlList(podItems(minCutItems, 0, "    labels: &l {a: b}\n") + "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: z\n    labels: *l\n"), false},
		{"a lone CR", strings.Replace(yamlStreamBase, "\n", "\r", 1), false},
	} {
		for _, window := range []int{1, 13, 4096} {
			s, w, sErr, wErr, taken := loadStreamBoth(t, "f.yaml", []byte(tc.data), window)
			if taken != tc.stream {
				t.Fatalf("%s, window %d: streamed %v, want %v (%v)", tc.name, window, taken, tc.stream, sErr)
			}
			sameSource(t, []byte(tc.data), s, w, sErr, wErr)
			if tc.stream && len(s.kinds) == 0 {
				t.Fatalf("%s: nothing loaded", tc.name)
			}
		}
	}
}

// FuzzYAMLStream inserts text into a kubectl List and loads it streamed and whole: the same
// objects, or the stream steps back and the whole path says what it says.
func FuzzYAMLStream(f *testing.F) {
	base := yamlStreamBase
	for _, seed := range []struct {
		at   uint32
		text string
	}{
		{0, ""}, {100, "\n- x"}, {2000, "  labels: {a: b}\n"}, {3000, "\"\n"}, {4000, "&a "}, {5000, "*a"},
		{1500, "\t"}, {2500, "- "}, {700, "---\n"}, {900, "  |\n"}, {1200, "# c\n"}, {1800, "'"},
		{uint32(len(base) - 60), "0"}, {uint32(len(base) - 40), "e3"}, {uint32(len(base) - 20), "\"\\t\""},
	} {
		f.Add(seed.at, seed.text, uint8(7))
	}
	f.Fuzz(func(t *testing.T, at uint32, text string, window uint8) {
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("hung on %q at %d", text, at)) })
		defer watchdog.Stop()
		pos := int(at) % (len(base) + 1)
		data := []byte(base[:pos] + text + base[pos:])
		s, w, sErr, wErr, taken := loadStreamBoth(t, "f.yaml", data, int(window)+1)
		if taken && sErr != nil {
			t.Fatalf("the stream failed itself: %v", sErr)
		}
		sameSource(t, data, s, w, sErr, wErr)
	})
}

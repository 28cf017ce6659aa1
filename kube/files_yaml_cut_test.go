package kube

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// loadYAMLBoth loads a YAML file cut into items and parsed whole, and says whether the cut
// was taken (false when the cutter or the loader fell back).
func loadYAMLBoth(t testing.TB, data string) (cut, whole *fileSource, cutErr, wholeErr error, cutTaken bool) {
	t.Helper()
	newLoader := func(wholeYAML bool) *loader {
		return &loader{ctx: context.Background(), src: &fileSource{name: "f.yaml", kinds: map[schema.GroupKind]*kindObjects{}},
			file: "f.yaml", data: []byte(data), wholeYAML: wholeYAML}
	}
	lw := newLoader(true)
	wholeErr = lw.loadYAML()
	lc := newLoader(false)
	if c, ok := cutYAMLList(lc.data); ok {
		cutErr = lc.loadYAMLCut(c)
		cutTaken = !errors.Is(cutErr, errCutUnsafe)
	}
	if !cutTaken {
		lc = newLoader(false)
		cutErr = lc.loadYAML()
	}
	return lc.src, lw.src, cutErr, wholeErr, cutTaken
}

// sameLoad fails unless both loads kept the same objects in the same order, or failed with the
// same error.
func sameLoad(t testing.TB, data string, cut, whole *fileSource, cutErr, wholeErr error) {
	t.Helper()
	if fmt.Sprint(cutErr) != fmt.Sprint(wholeErr) {
		t.Fatalf("cut and whole disagree:\n  cut:   %v\n  whole: %v\n%s", cutErr, wholeErr, data)
	}
	if cutErr != nil {
		return
	}
	if len(cut.kinds) != len(whole.kinds) {
		t.Fatalf("cut has %d kinds, whole %d\n%s", len(cut.kinds), len(whole.kinds), data)
	}
	for gk, w := range whole.kinds {
		c, ok := cut.kinds[gk]
		if !ok || !reflect.DeepEqual(c.objs, w.objs) {
			t.Fatalf("%s differ between cut and whole\n%s", gk, data)
		}
	}
}

// podItems writes n pods as the items of a YAML list, each item's lines indented by indent
// spaces (kubectl writes 0; go-yaml v3 writes 4), with extra lines after the n/2th item's name.
func podItems(n, indent int, extra string) string {
	var b strings.Builder
	pad := strings.Repeat(" ", indent)
	for i := range n {
		fmt.Fprintf(&b, "%s- apiVersion: v1\n%s  kind: Pod\n%s  metadata:\n%s    name: p%d\n%s    namespace: ns%d\n", pad, pad, pad, pad, i, pad, i%3)
		if i == n/2 {
			b.WriteString(extra)
		}
		fmt.Fprintf(&b, "%s  spec:\n%s    nodeName: n%d\n%s    containers:\n%s    - name: app\n%s      image: x:%d\n", pad, pad, i%5, pad, pad, pad, i)
	}
	return b.String()
}

func kubectlList(items string) string {
	return "apiVersion: v1\nitems:\n" + items + "kind: List\nmetadata:\n  resourceVersion: \"\"\n"
}

// TestYAMLCutSameObjects: lists the cutter takes load the same objects, in the same order, as
// parsing the file whole, and the cutter takes the forms kubectl and go-yaml write.
func TestYAMLCutSameObjects(t *testing.T) {
	for name, tc := range map[string]struct {
		data string
		cut  bool
	}{
		"kubectl":                 {kubectlList(podItems(100, 0, "")), true},
		"go-yaml indentation":     {"apiVersion: v1\nkind: List\nitems:\n" + podItems(100, 4, ""), true},
		"typed list, no kinds":    {"apiVersion: v1\nkind: PodList\nitems:\n" + strings.ReplaceAll(podItems(80, 0, ""), "- apiVersion: v1\n  kind: Pod\n  metadata:", "- metadata:"), true},
		"comments, blank lines":   {"# dump\n---\napiVersion: v1\nitems: # all\n\n# first\n" + podItems(70, 0, "# a comment\n\n  # indented\n") + "\n# end\nkind: List\n", true},
		"CRLF":                    {strings.ReplaceAll(kubectlList(podItems(70, 0, "")), "\n", "\r\n"), true},
		"no final newline":        {"apiVersion: v1\nkind: List\nitems:\n" + strings.TrimSuffix(podItems(70, 0, ""), "\n"), true},
		"block scalar kept":       {kubectlList(podItems(70, 0, "    annotations:\n      a: |+\n        x\n\n")), true},
		"anchor inside an item":   {kubectlList(podItems(70, 0, "    labels: &l {a: b}\n    annotations: *l\n")), true},
		"list in the list":        {kubectlList(podItems(70, 0, "") + "- apiVersion: v1\n  kind: PodList\n  items:\n  - metadata: {name: inner}\n"), true},
		"duplicate names":         {kubectlList(podItems(70, 0, "") + podItems(70, 0, "")), true},
		"last item is the List":   {kubectlList(podItems(70, 0, "") + "- apiVersion: v1\n  kind: List\n  items: []\n"), true},
		"few items":               {kubectlList(podItems(minCutItems-1, 0, "")), false},
		"second document":         {kubectlList(podItems(70, 0, "")) + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\n", false},
		"flow items":              {"apiVersion: v1\nkind: List\nitems: [" + strings.Repeat("{apiVersion: v1, kind: Pod, metadata: {name: a}},", 70) + "]\n", false},
		"alias to another item":   {kubectlList(strings.Replace(podItems(70, 0, ""), "name: p3\n", "name: &n p3\n", 1) + "- apiVersion: v1\n  kind: Pod\n  metadata: {name: *n, namespace: other}\n"), false},
		"quoted over an item":     {kubectlList(podItems(70, 0, "    annotations: {a: \"x\n- b: c\"}\n")), false},
		"tab indentation":         {kubectlList(podItems(70, 0, "\t\n")), false},
		"items in a scalar":       {"apiVersion: v1\nkind: List\nmetadata:\n  annotations:\n    x: \"\nitems:\n" + podItems(70, 0, "") + "\"\n", false},
		"anchor used at the root": {"apiVersion: v1\nkind: &k List\nitems:\n" + podItems(70, 0, "") + "metadata: {name: *k}\n", true},
		"merge key from an item":  {kubectlList(podItems(70, 0, "") + "- <<: {apiVersion: v1, kind: Pod}\n  metadata: {name: merged}\n"), true},
	} {
		t.Run(name, func(t *testing.T) {
			cut, whole, cutErr, wholeErr, taken := loadYAMLBoth(t, tc.data)
			if taken != tc.cut {
				t.Errorf("cut taken %v, want %v (%v)", taken, tc.cut, cutErr)
			}
			sameLoad(t, tc.data, cut, whole, cutErr, wholeErr)
			if wholeErr == nil && tc.cut {
				if k := whole.kinds[schema.GroupKind{Kind: "Pod"}]; k == nil || len(k.objs) < minCutItems {
					t.Errorf("whole load kept no pods")
				}
			}
		})
	}
}

// TestYAMLCutSameErrors: a problem in a cut list is reported as parsing the file whole reports
// it: the same message at the same line and column, whichever of the two finds it.
func TestYAMLCutSameErrors(t *testing.T) {
	for name, extra := range map[string]string{
		"bad time":             "    creationTimestamp: yesterday\n",
		"name a list":          "    labels: [a]\n",
		"key twice":            "    namespace: again\n",
		"syntax":               "    labels: {a: b\n",
		"not JSON":             "    generation: .nan\n",
		"kind twice in a list": "",
		"no kind":              "",
		"bad apiVersion":       "",
		"not JSON in a CRD":    "",
		"wrong version":        "",
	} {
		t.Run(name, func(t *testing.T) {
			data := kubectlList(podItems(90, 0, extra))
			switch name {
			case "kind twice in a list":
				data = "apiVersion: v1\nkind: List\nitems:\n" + podItems(90, 0, "") + "kind: List\n"
			case "no kind":
				data = kubectlList(podItems(90, 0, "") + "- apiVersion: v1\n  metadata: {name: x}\n")
			case "bad apiVersion":
				data = kubectlList(podItems(90, 0, "") + "- apiVersion: a/b/c\n  kind: Pod\n")
			case "not JSON in a CRD":
				data = kubectlList(podItems(90, 0, "") + "- apiVersion: x.io/v1\n  kind: Thing\n  spec: {n: .inf}\n")
			case "wrong version":
				data = kubectlList(podItems(90, 0, "") + "- apiVersion: v2\n  kind: Pod\n")
			}
			cut, whole, cutErr, wholeErr, taken := loadYAMLBoth(t, data)
			if wholeErr == nil {
				t.Fatalf("no error")
			}
			// What the whole-document path finds before decoding anything is its to report;
			// what decoding finds, the cut path reports itself.
			if before := name == "key twice" || name == "syntax" || name == "kind twice in a list"; taken == before {
				t.Errorf("cut taken %v for an error found before decoding: %v", taken, before)
			}
			var ie *InputError
			if !errors.As(cutErr, &ie) || ie.Line < 2 {
				t.Errorf("not located: %v", cutErr)
			}
			sameLoad(t, data, cut, whole, cutErr, wholeErr)
		})
	}
}

// TestYAMLCutCanceled: a canceled load stops in the items and says why.
func TestYAMLCutCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := &loader{ctx: ctx, src: &fileSource{kinds: map[schema.GroupKind]*kindObjects{}}, file: "f.yaml", data: []byte(kubectlList(podItems(3000, 0, "")))}
	c, ok := cutYAMLList(l.data)
	if !ok {
		t.Fatal("not cut")
	}
	if err := l.loadYAMLCut(c); !errors.Is(err, context.Canceled) {
		t.Errorf("want context.Canceled, got %v", err)
	}
}

// FuzzYAMLCut inserts text into a kubectl list of pods and loads it cut and whole: both must
// keep the same objects or fail with the same error at the same place.
func FuzzYAMLCut(f *testing.F) {
	base := kubectlList(podItems(minCutItems+2, 0, "") +
		"- apiVersion: x.io/v1\n  kind: Thing\n  metadata: {name: t}\n  spec:\n    i: 12\n    f: 1.5\n    b: true\n    s: abc\n    n: null\n    l: [1, a]\n")
	for _, seed := range []struct {
		at   uint32
		text string
	}{
		{0, ""}, {100, "\n- x"}, {2000, "  labels: {a: b}\n"}, {3000, "\"\n"}, {4000, "&a "}, {5000, "*a"},
		{1500, "\t"}, {2500, "- "}, {700, "---\n"}, {900, "  |\n"}, {1200, "# c\n"}, {1800, "'"},
		{uint32(len(base) - 60), "0"}, {uint32(len(base) - 60), "x"}, {uint32(len(base) - 40), "e3"},
		{uint32(len(base) - 30), "ue"}, {uint32(len(base) - 50), "0x"}, {uint32(len(base) - 20), "\"\\t\""},
	} {
		f.Add(seed.at, seed.text)
	}
	f.Fuzz(func(t *testing.T, at uint32, text string) {
		pos := int(at) % (len(base) + 1)
		data := base[:pos] + text + base[pos:]
		cut, whole, cutErr, wholeErr, _ := loadYAMLBoth(t, data)
		sameLoad(t, data, cut, whole, cutErr, wholeErr)
	})
}

// TestJSONItemsDecodedEarly: items decoded while the walker reads on are kept, and their
// errors reported, in file order, and only once the whole file has been read: a syntax error
// further on is still the one reported.
func TestJSONItemsDecodedEarly(t *testing.T) {
	item := func(i int, extra string) string {
		return fmt.Sprintf(`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p%d", "namespace": "a"%s}}`, i, extra)
	}
	list := func(items []string, tail string) string {
		return "{\n\"apiVersion\": \"v1\",\n\"items\": [\n" + strings.Join(items, ",\n") + "\n],\n\"kind\": \"PodList\"" + tail + "\n}\n"
	}
	var items []string
	for i := range 300 {
		items = append(items, item(i, ""))
	}
	items = append(items, `{"metadata": {"name": "typed"}}`) // takes its kind from the list, after the walk
	s, err := loadBytes(t, "f.json", list(items, ""))
	if err != nil {
		t.Fatal(err)
	}
	pods, err := ListOf[*corev1.Pod](context.Background(), s, Pods)
	if err != nil || len(pods) != 301 || pods[0].Name != "p0" || pods[300].Name != "typed" {
		t.Fatalf("%d pods, %v", len(pods), err)
	}

	items[5] = item(5, `, "labels": ["a"]`)
	items[250] = item(250, `, "creationTimestamp": "yesterday"`)
	_, err = loadBytes(t, "f.json", list(items, ""))
	wantInputError(t, err, "f.json", 9, "p5", "labels")
	_, err = loadBytes(t, "f.json", list(items, `, "metadata": {"x": }`))
	wantInputError(t, err, "f.json", 306, "JSON syntax error")
}

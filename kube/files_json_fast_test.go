package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// loadFileBoth loads one file with the fast typed decoder and with the reference alone.
func loadFileBoth(t testing.TB, fsys fs.FS, p string) (fast, ref *fileSource, fastErr, refErr error) {
	t.Helper()
	load := func(reference bool) (*fileSource, error) {
		l := &loader{ctx: context.Background(), src: &fileSource{name: p, kinds: map[schema.GroupKind]*kindObjects{}}, referenceDecode: reference}
		return l.src, l.loadFile(fsys, p, p)
	}
	fast, fastErr = load(false)
	ref, refErr = load(true)
	return fast, ref, fastErr, refErr
}

// TestFastDecoderSameObjects loads the benchmark's pods and ConfigMaps (as JSON and as YAML)
// and every snapshot file of the repository with both decoders: the same objects, or the same
// error.
func TestFastDecoderSameObjects(t *testing.T) {
	fsys := fstest.MapFS{}
	pods := podListJSON(t, 300)
	podsYAML, err := sigsyaml.JSONToYAML(pods)
	if err != nil {
		t.Fatal(err)
	}
	fsys["pods.json"], fsys["pods.yaml"] = &fstest.MapFile{Data: pods}, &fstest.MapFile{Data: podsYAML}
	fsys["configmaps.json"] = &fstest.MapFile{Data: configMapListJSON(t, 300)}
	root := filepath.Join("..")
	for _, dir := range []string{"testdata", "scenarios"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !isSnapshotExt(p) {
				return err
			}
			data, err := os.ReadFile(p)
			fsys[filepath.ToSlash(strings.TrimPrefix(p, "../"))] = &fstest.MapFile{Data: data}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(fsys) < 100 {
		t.Fatalf("only %d files found", len(fsys))
	}
	objects := 0
	for p := range fsys {
		fast, ref, fastErr, refErr := loadFileBoth(t, fsys, p)
		if fmt.Sprint(fastErr) != fmt.Sprint(refErr) {
			t.Fatalf("%s: fast and reference disagree:\n  fast: %v\n  ref:  %v", p, fastErr, refErr)
		}
		if len(fast.kinds) != len(ref.kinds) {
			t.Fatalf("%s: fast has %d kinds, reference %d", p, len(fast.kinds), len(ref.kinds))
		}
		for gk, r := range ref.kinds {
			if f := fast.kinds[gk]; f == nil || !reflect.DeepEqual(f.objs, r.objs) {
				t.Fatalf("%s: %s differ between fast and reference", p, gk)
			}
			objects += len(r.objs)
		}
	}
	if objects < 1000 {
		t.Fatalf("only %d objects compared", objects)
	}
}

// TestFastDecoderTakesBenchPods: the fast path is what reads a cluster's ordinary pods; were it
// refused, the test above would compare the reference with itself.
func TestFastDecoderTakesBenchPods(t *testing.T) {
	var list struct{ Items []json.RawMessage }
	if err := json.Unmarshal(podListJSON(t, 50), &list); err != nil {
		t.Fatal(err)
	}
	for i, raw := range list.Items {
		var fast, ref corev1.Pod
		if !decodeFast(raw, &fast) {
			t.Fatalf("pod %d refused by the fast path", i)
		}
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &ref); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("pod %d differs", i)
		}
	}
}

// TestFastDecoderRefuses lists what the fast path leaves to the reference.
func TestFastDecoderRefuses(t *testing.T) {
	for _, tc := range []struct {
		json string
		fast bool
	}{
		{`{"metadata": {"name": "a", "labels": {"x": "é\u00e9\n"}}, "spec": {"priority": -12}}`, true},
		{` {"metadata": null, "spec": {"containers": []}} ` + "\n", true},
		{`{"metadata": {"name": "a", "name": "b"}}`, false}, // a key set twice
		{`{"metadata": {"labels": {"a": "1"}, "name": "a"}, "metadata": {}}`, false},
		{`{"metadata": {"na\u006de": "a"}}`, false},         // an escaped key
		{`{"spec": {"priority": 1.0}}`, false},              // a fraction
		{`{"spec": {"priority": 1e3}}`, false},              // an exponent
		{`{"spec": {"priority": 1234567890123456}}`, false}, // a long integer
		{`{"spec": {"priority": 01}}`, false},               // a leading zero
		{`{"spec": {"priority": -}}`, false},
		{`{"metadata": {"name": "\ud83d\ude00"}}`, false}, // escaped surrogates
		{"{\"metadata\": {\"name\": \"\xff\"}}", false},   // not UTF-8
		{"{\"metadata\": {\"name\": \"a\tb\"}}", false},   // a raw control byte
		{`{"metadata": {"name": "a\x"}}`, false},          // a bad escape
		{`{"metadata": {"name": "a"},}`, false},           // a trailing comma
		{`{"spec": {"containers": [{},]}}`, false},
		{`{"metadata": {"name": "a"}} {}`, false}, // a second value
		{`{"metadata": {"name": "a"}`, false},     // cut short
		{`{"spec": {"hostNetwork": tru}}`, false},
		{`{"spec": {"hostNetwork": nul}}`, false},
		{`{"metadata" {"name": "a"}}`, false},
		{`{metadata: {}}`, false},
		{strings.Repeat(`{"a":`, maxFastDepth+2) + "1" + strings.Repeat("}", maxFastDepth+2), false},
	} {
		var pod corev1.Pod
		if got := decodeFast([]byte(tc.json), &pod); got != tc.fast {
			t.Errorf("%s: fast %v, want %v", tc.json, got, tc.fast)
		}
	}
}

// fuzzTypedKinds are the kinds the decoder fuzzer decodes into.
var fuzzTypedKinds = func() []schema.GroupVersionKind {
	var out []schema.GroupVersionKind
	for _, r := range KnownResources {
		if r.Typed && !r.MetadataOnly {
			out = append(out, r.GVR().GroupVersion().WithKind(r.Kind))
		}
	}
	return out
}()

// FuzzFastDecoder: whatever the fast path accepts, the reference accepts too, with no key set
// twice, and reads into the same object.
func FuzzFastDecoder(f *testing.F) {
	var list struct{ Items []json.RawMessage }
	if err := json.Unmarshal(podListJSON(f, 2), &list); err != nil {
		f.Fatal(err)
	}
	for _, raw := range list.Items {
		f.Add(uint8(1), []byte(raw))
	}
	for _, base := range fuzzBases(f) {
		raw, err := json.Marshal(base)
		if err != nil {
			f.Fatal(err)
		}
		for i, gvk := range fuzzTypedKinds {
			if gvk.Kind == base["kind"] {
				f.Add(uint8(i), raw)
			}
		}
	}
	f.Add(uint8(1), []byte(`{"spec": {"priority": 2147483648, "containers": [{"ports": [{"containerPort": -1}]}]}}`))
	f.Add(uint8(1), []byte(`{"metadata": {"creationTimestamp": null, "deletionGracePeriodSeconds": null}, "spec": {"overhead": {"cpu": 1}}}`))
	f.Add(uint8(1), []byte(`{"spec": {"containers": [{"resources": {"limits": {"cpu": null, "memory": 100}}}]}, "status": {"startTime": ""}}`))
	f.Add(uint8(2), []byte(`{"spec": {"ports": [{"targetPort": null}, {"targetPort": 80}, {"targetPort": "http"}, {"nodePort": true}]}}`))
	f.Fuzz(func(t *testing.T, kind uint8, raw []byte) {
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("hung on %q", raw)) })
		defer watchdog.Stop()
		gvk := fuzzTypedKinds[int(kind)%len(fuzzTypedKinds)]
		fast, ref := newTyped(t, gvk), newTyped(t, gvk)
		if !decodeFast(raw, fast) {
			return
		}
		strict, err := sigsjson.UnmarshalStrict(raw, ref, sigsjson.DisallowDuplicateFields)
		if err != nil || len(strict) > 0 {
			t.Fatalf("fast accepts what the reference refuses (%v, %v): %s", err, strict, raw)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("%s differs:\n  fast: %#v\n  ref:  %#v\n%s", gvk.Kind, fast, ref, raw)
		}
	})
}

func newTyped(t *testing.T, gvk schema.GroupVersionKind) runtime.Object {
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// TestFastDecoderTimes: metav1.Time goes through kockpit's decoder (timeExtension), which reads
// every form as the reference decoder (the type's UnmarshalJSON) does, and refuses what it
// refuses.
func TestFastDecoderTimes(t *testing.T) {
	var probe metav1.Time
	if err := fastJSON.Unmarshal([]byte(`"yesterday"`), &probe); err == nil || !strings.Contains(err.Error(), "decode metav1.Time") {
		t.Fatalf("metav1.Time is not read by timeExtension: %v", err)
	}
	pods := corev1.SchemeGroupVersion.WithKind("Pod")
	for _, tc := range []struct {
		times string
		fast  bool
	}{
		{`"creationTimestamp": "2024-11-02T09:00:00Z", "deletionTimestamp": null`, true},
		{`"creationTimestamp": null, "deletionTimestamp": "2024-11-02T10:00:00.123456789+01:00"`, true},
		{`"creationTimestamp": "\u0032024-11-02T09:00:00Z"`, true},
		{`"creationTimestamp": "2024-11-02T09:00:00-00:30"`, true},
		{`"creationTimestamp": "yesterday"`, false},
		{`"creationTimestamp": "2024-11-02 09:00:00Z"`, false},
		{`"creationTimestamp": 1730538000`, false},
		{`"creationTimestamp": {}`, false},
		{`"deletionTimestamp": ""`, false},
	} {
		raw := []byte(`{"metadata": {"name": "p", ` + tc.times + `}, "status": {"startTime": "2024-11-02T09:00:01Z"}}`)
		fast, ref := newTyped(t, pods), newTyped(t, pods)
		ok := decodeFast(raw, fast)
		if ok != tc.fast {
			t.Errorf("%s: decodeFast %v, want %v", tc.times, ok, tc.fast)
			continue
		}
		_, refErr := sigsjson.UnmarshalStrict(raw, ref, sigsjson.DisallowDuplicateFields)
		switch {
		case ok && refErr != nil:
			t.Errorf("%s: fast took what the reference refuses: %v", tc.times, refErr)
		case ok && !reflect.DeepEqual(fast, ref):
			t.Errorf("%s: fast %#v, reference %#v", tc.times, fast.(*corev1.Pod).ObjectMeta, ref.(*corev1.Pod).ObjectMeta)
		case !ok && refErr == nil:
			t.Errorf("%s: the reference reads it, the fast decoder refused it", tc.times)
		}
	}
}

// TestScannerTopMembers: the scan reads the top-level apiVersion and kind only where the
// walker would read the same (plain strings at the top level), and says so otherwise.
func TestScannerTopMembers(t *testing.T) {
	for _, tc := range []struct {
		doc, apiVersion, kind string
		other                 bool
	}{
		{`{"apiVersion": "v1", "kind": "Pod", "metadata": {"kind": "X"}}`, "v1", "Pod", false},
		{`{"metadata": {"apiVersion": "x/v9", "kind": "X"}}`, "", "", false},
		{`{"apiVersion": "v\u0031", "kind": "Pod"}`, "", "Pod", true},
		{`{"apiVersion": "v1", "kind": 1}`, "v1", "", true},
		{`{"apiVersion": "v1", "kind": null}`, "v1", "", true},
		{`{"apiVersion": "v1", "kind": "PodList", "items": []}`, "v1", "PodList", true},
	} {
		var s fastScanner
		ok, top := s.eligibleTop([]byte(tc.doc))
		if !ok {
			t.Fatalf("%s: not eligible", tc.doc)
		}
		if string(top.apiVersion) != tc.apiVersion || string(top.kind) != tc.kind || top.other != tc.other {
			t.Errorf("%s: read %q %q other %v", tc.doc, top.apiVersion, top.kind, top.other)
		}
	}
}

// TestScannerKeepsNothing: a scanner, which a pool keeps, holds nothing of the document it
// scanned (on the whole-file path that is the whole file), yet says what it saw.
func TestScannerKeepsNothing(t *testing.T) {
	raw := []byte(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}`)
	var s fastScanner
	ok, top := s.eligibleTop(raw)
	if !ok || string(top.apiVersion) != "v1" || string(top.kind) != "ConfigMap" {
		t.Fatalf("eligible %v, top %q %q", ok, top.apiVersion, top.kind)
	}
	if s.data != nil || s.top.apiVersion != nil || s.top.kind != nil {
		t.Errorf("the scanner keeps the document: data %q, top %q %q", s.data, s.top.apiVersion, s.top.kind)
	}
	for _, k := range s.keys[:cap(s.keys)] {
		if k != nil {
			t.Errorf("the scanner keeps a key: %q", k)
		}
	}
}

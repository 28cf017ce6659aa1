package kube

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const testHeader = `apiVersion: kockpit.dev/v1
kind: SnapshotHeader
takenAt: "2026-12-01T10:00:00Z"
serverVersion: v1.37.2
listed: [pods, configmaps]
forbidden: [nodes]
notInstalled: [ciliumnetworkpolicies.cilium.io]
failed: {services: "the server was too slow"}
---
`

const oneConfigMap = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {namespace: kube-system, name: coredns}
  data: {Corefile: ".:53 {}"}
`

func loadText(t *testing.T, files map[string]string) (*Snapshot, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys["snap/"+name] = &fstest.MapFile{Data: []byte(text)}
	}
	return LoadSnapshotFS(context.Background(), fsys, "snap", "snap")
}

func TestHeaderTellsNoneFromNotCollected(t *testing.T) {
	s, err := loadText(t, map[string]string{"cluster.yaml": testHeader + oneConfigMap})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if pods, err := s.List(ctx, Pods); err != nil || len(pods) != 0 {
		t.Errorf("pods were listed and there are none: %v %v", pods, err)
	}
	if cms, err := s.List(ctx, ConfigMaps); err != nil || len(cms) != 1 {
		t.Errorf("configmaps: %v %v", cms, err)
	}
	var nc *NotCollectedError
	if _, err := s.List(ctx, Nodes); !errors.As(err, &nc) || !nc.Forbidden || !strings.Contains(err.Error(), "nodes: forbidden to the user who took the snapshot") {
		t.Errorf("nodes: %v", err)
	}
	if _, err := s.List(ctx, CiliumNetworkPolicies); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("cilium policies: %v", err)
	}
	if _, err := s.List(ctx, Services); !errors.Is(err, ErrNotCollected) || !strings.Contains(err.Error(), "the server was too slow") {
		t.Errorf("services: %v", err)
	}
	if _, err := s.List(ctx, Deployments); !errors.Is(err, ErrNotCollected) || !strings.Contains(err.Error(), "header does not list deployments.apps") {
		t.Errorf("deployments: %v", err)
	}
	if v, err := s.ServerVersion(ctx); err != nil || v.GitVersion != "v1.37.2" || v.Minor != "37" {
		t.Errorf("server version: %+v %v", v, err)
	}
	if h := s.Header(); h == nil || !h.TakenAt.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("header = %+v", h)
	}
}

// Without a header, a kind the files lack is "none, or not collected", and the message says so.
func TestNoHeaderCannotTell(t *testing.T) {
	s, err := loadText(t, map[string]string{"cluster.yaml": oneConfigMap})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.List(context.Background(), Pods)
	if !errors.Is(err, ErrNotCollected) || !strings.Contains(err.Error(), "none, or not collected") || !strings.Contains(err.Error(), "pods.yaml") {
		t.Errorf("pods: %v", err)
	}
}

// kubectl writes an empty result as a bare List; a file named after the kind says which.
func TestEmptyListNamedByItsFile(t *testing.T) {
	s, err := loadText(t, map[string]string{
		"pods.yaml":                              "apiVersion: v1\nkind: List\nitems: []\n",
		"networkpolicies.json":                   `{"apiVersion": "v1", "kind": "List", "items": []}`,
		"validatingwebhookconfigurations.yaml":   "apiVersion: v1\nkind: List\n",
		"ciliumnetworkpolicies.cilium.io.yml":    "apiVersion: v1\nkind: List\nitems: []\n",
		"configmaps.yaml":                        oneConfigMap,
		"notes.yaml":                             "apiVersion: v1\nkind: List\nitems: []\n",
		"deployments.apps.yaml.d/unrelated.yaml": oneConfigMap,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, r := range []Resource{Pods, NetworkPolicies, ValidatingWebhooks, CiliumNetworkPolicies} {
		if objs, err := s.List(ctx, r); err != nil || len(objs) != 0 {
			t.Errorf("%s: an empty List in a file named after it is none: %v %v", r, objs, err)
		}
	}
	for _, r := range []Resource{CalicoNetworkPolicies, Deployments, Services} {
		if _, err := s.List(ctx, r); !errors.Is(err, ErrNotCollected) {
			t.Errorf("%s: no file says it was collected, got %v", r, err)
		}
	}
}

func TestBadHeadersNameTheirLine(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"two headers":      {testHeader + testHeader + oneConfigMap, "cluster.yaml:10:1: a second SnapshotHeader"},
		"unknown field":    {strings.Replace(testHeader, "listed:", "listd:", 1) + oneConfigMap, `cluster.yaml:1:1: SnapshotHeader: unknown field "listd"`},
		"other apiVersion": {strings.Replace(testHeader, "kockpit.dev/v1", "kockpit.dev/v2", 1) + oneConfigMap, `apiVersion "kockpit.dev/v2": kockpit reads kockpit.dev/v1`},
		"no takenAt":       {strings.Replace(testHeader, "takenAt:", "#", 1) + oneConfigMap, "cluster.yaml:1:1: SnapshotHeader has no takenAt"},
		"bad takenAt":      {strings.Replace(testHeader, "2026-12-01T10:00:00Z", "yesterday", 1) + oneConfigMap, "cluster.yaml:1:1: SnapshotHeader: "},
		"listed not list":  {strings.Replace(testHeader, "[pods, configmaps]", "pods", 1) + oneConfigMap, "cluster.yaml:1:1: SnapshotHeader: "},
	} {
		_, err := loadText(t, map[string]string{"cluster.yaml": tc.text})
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) || ie.Fix == "" {
			t.Errorf("%s: got %v, want an InputError with %q and a fix", name, err, tc.want)
		}
	}
}

func TestResourceForFileName(t *testing.T) {
	for name, want := range map[string]string{
		"pods.yaml": "pods", "dump/PODS.YML": "pods", `C:\dump\pods.json`: "pods",
		"networkpolicies.yaml":                       "networkpolicies.networking.k8s.io",
		"networkpolicies.crd.projectcalico.org.yaml": "networkpolicies.crd.projectcalico.org",
		"deployments.apps.json":                      "deployments.apps",
		"pod.yaml":                                   "", "pods.txt": "", "kube-system/list.yaml": "",
	} {
		r, ok := resourceForFileName(name)
		if got := map[bool]string{true: r.String()}[ok]; got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// What kockpit snapshot writes reads back as it was: block scalars, blank lines, leading
// spaces, document markers and non-ASCII text in data survive the indentation under items.
func TestWrittenSnapshotReadsBack(t *testing.T) {
	data := map[string]string{
		"Corefile":  ".:53 {\n    errors\n\n    forward . /etc/resolv.conf\n}\n",
		"leading":   "  two spaces first\n\tand a tab",
		"markers":   "---\n...\n- not a list\n# not a comment",
		"trailing":  "line with trailing spaces   \n\n\n",
		"unicode":   "日本語のテキスト and a Cyrillic с",
		"empty":     "",
		"quoted":    `"quoted" 'single' : colon`,
		"crlf":      "a\r\nb\r\n",
		"nul-ish":   "\x01\x7f",
		"long-line": strings.Repeat("x", 300),
	}
	got := roundTripConfigMap(t, data)
	for k, v := range data {
		if got[k] != v {
			t.Errorf("%s: read back %q, wrote %q", k, got[k], v)
		}
	}
}

// roundTripConfigMap writes a ConfigMap holding data as kockpit snapshot does and reads it back.
func roundTripConfigMap(t testing.TB, data map[string]string) map[string]string {
	t.Helper()
	cm := &corev1.ConfigMap{Data: data}
	cm.APIVersion, cm.Kind, cm.Namespace, cm.Name = "v1", "ConfigMap", "kube-system", "coredns"
	items, err := snapshotItems([]runtime.Object{cm})
	if err != nil {
		t.Fatal(err)
	}
	tk := &Taken{Header: SnapshotHeader{APIVersion: HeaderAPIVersion, Kind: HeaderKind, TakenAt: time.Now(), Listed: []string{"configmaps"}},
		Kinds: map[string][]map[string]any{"configmaps": items}}
	var b bytes.Buffer
	if err := tk.WriteHeader(&b); err != nil {
		t.Fatal(err)
	}
	b.WriteString("---\n")
	if err := tk.WriteList(context.Background(), &b, tk.ListedNames()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "snap.yaml")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSnapshot(context.Background(), path)
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	cms, err := ListOf[*corev1.ConfigMap](context.Background(), s, ConfigMaps)
	if err != nil || len(cms) != 1 {
		t.Fatalf("%v %v\n%s", cms, err, b.String())
	}
	return cms[0].Data
}

func TestRedactForSnapshot(t *testing.T) {
	secret := map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "db", "annotations": map[string]any{
			lastApplied: `{"stringData":{"password":"hunter2"}}`, "team": "billing"}},
		"data":       map[string]any{"password": "aHVudGVyMg=="},
		"stringData": map[string]any{"user": "admin"},
	}
	redactForSnapshot(secret)
	data, string_ := secret["data"].(map[string]any), secret["stringData"].(map[string]any)
	ann := secret["metadata"].(map[string]any)["annotations"].(map[string]any)
	if data["password"] != redactedBase64 || string_["user"] != RedactedValue || ann[lastApplied] != nil || ann["team"] != "billing" {
		t.Errorf("redacted Secret = %v", secret)
	}
	odd := map[string]any{"apiVersion": "v1", "kind": "Secret", "data": "not a map"}
	redactForSnapshot(odd)
	if _, ok := odd["data"]; ok {
		t.Errorf("a data field that is not a map is kept: %v", odd)
	}
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"password": "kept: a ConfigMap is not a Secret"}}
	redactForSnapshot(cm)
	if cm["data"].(map[string]any)["password"] != "kept: a ConfigMap is not a Secret" {
		t.Errorf("a ConfigMap was changed: %v", cm)
	}
}

func FuzzSnapshotHeader(f *testing.F) {
	f.Add(testHeader)
	f.Add("apiVersion: kockpit.dev/v1\nkind: SnapshotHeader\ntakenAt: 2026-12-01T10:00:00Z\nlisted: []\n---\n")
	f.Add("apiVersion: kockpit.dev/v1\nkind: SnapshotHeader\ntakenAt: 1\nfailed: [a]\n---\n")
	f.Add(`{"apiVersion":"kockpit.dev/v1","kind":"SnapshotHeader","takenAt":"2026-12-01T10:00:00Z","listed":["pods","nope"]}` + "\n---\n")
	f.Fuzz(func(t *testing.T, header string) {
		s, err := loadText(t, map[string]string{"cluster.yaml": header + oneConfigMap})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("not an InputError: %v", err)
			}
			return
		}
		if h := s.Header(); h != nil && h.TakenAt.IsZero() {
			t.Errorf("a header without takenAt was accepted: %+v", h)
		}
		for _, r := range KnownResources {
			if _, err := s.List(context.Background(), r); err != nil && !errors.Is(err, ErrNotCollected) && !errors.Is(err, ErrNotInstalled) {
				t.Errorf("%s: %v", r, err)
			}
		}
	})
}

func FuzzWrittenSnapshotReadsBack(f *testing.F) {
	for _, s := range []string{"", "a\n\nb", "  lead", "---\n...", "trail  \n", "日本語", "\t", "|\n  x", "key: value\n- item"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if !utf8.ValidString(value) {
			return // the API server stores only UTF-8 strings
		}
		if got := roundTripConfigMap(t, map[string]string{"k": value})["k"]; got != value {
			t.Errorf("read back %q, wrote %q", got, value)
		}
	})
}

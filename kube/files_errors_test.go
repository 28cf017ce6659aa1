// Tests of errors in snapshot files: where each problem is reported and how InputError reads.

package kube

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadBrokenFixtures(t *testing.T) {
	for _, tc := range []struct {
		file  string
		line  int
		words []string
	}{
		{"bad-syntax.yaml", 6, []string{"YAML syntax error"}},
		{"bad-syntax.json", 6, []string{"JSON syntax error"}},
		{"no-kind.yaml", 6, []string{"no kind", "fix: "}},
		{"bad-field.yaml", 16, []string{`Pod "default/web"`, "spec.containers must be a list, not number", "kubectl explain pod.spec.containers"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(snapshots, tc.file)
			_, err := LoadSnapshot(context.Background(), path)
			wantInputError(t, err, path, tc.line, tc.words...)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		file, data string
		line       int
		words      []string
	}{
		"no apiVersion":                    {"a.yaml", "kind: Pod\nmetadata: {name: p}\n", 1, []string{"Pod has no apiVersion"}},
		"JSON without kind":                {"a.json", "{\"apiVersion\":\"v1\",\n \"items\": [],\n \"metadata\": {}}\n", 1, []string{"no kind"}},
		"bad field in JSON":                {"a.json", "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[\n{\"metadata\":{\"name\":\"a\"}},\n{\"metadata\":{\"name\":\"b\"},\n \"spec\":{\"containers\":3}}]}\n", 4, []string{`Pod "b"`, "spec.containers must be a list"}},
		"bad field in a List item":         {"a.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d}\n  spec:\n    replicas: many\n", 8, []string{"spec.replicas must be an integer, not string"}},
		"bad quantity":                     {"a.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus:\n  capacity: {cpu: lots}\n", 5, []string{`Node "n": status.capacity.cpu:`, "quantities must match"}},
		"truncated JSON":                   {"a.json", "{\"kind\":\"PodList\",\n\"items\":[{\"metadata\":", 2, []string{"truncated"}},
		"kind not a string":                {"a.yaml", "apiVersion: v1\nkind: [Pod]\n", 2, []string{"kind must be a string"}},
		"JSON kind not a string":           {"a.json", "{\"apiVersion\":\"v1\",\n\"kind\":3}", 2, []string{"kind must be a string"}},
		"scalar document":                  {"a.yaml", "just some text\n", 1, []string{"expected an object", "just some text"}},
		"JSON array":                       {"a.json", "\n[1,2]", 2, []string{"expected an object with apiVersion and kind", "found a list"}},
		"list item not an object":          {"a.yaml", "apiVersion: v1\nkind: List\nitems:\n- 3\n", 4, []string{"items of a List must be objects"}},
		"JSON list item scalar":            {"a.json", "{\"kind\":\"List\",\"apiVersion\":\"v1\",\n\"items\":[\n\"x\"]}", 3, []string{"items of a List must be objects"}},
		"bad apiVersion":                   {"a.yaml", "apiVersion: a/b/c\nkind: Thing\n", 1, []string{`apiVersion "a/b/c"`}},
		"old version of a kind":            {"a.yaml", "apiVersion: discovery.k8s.io/v1beta1\nkind: EndpointSlice\n", 1, []string{"kockpit reads discovery.k8s.io/v1"}},
		"duplicate YAML key":               {"a.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec: {}\nspec: {}\n", 5, []string{`key "spec" is set twice in one object (first at line 4)`}},
		"CRD metadata not object":          {"a.yaml", "apiVersion: x.io/v1\nkind: Thing\nmetadata: 3\n", 3, []string{"metadata must be an object"}},
		"NaN":                              {"a.yaml", "apiVersion: x.io/v1\nkind: Thing\nspec: {a: .nan}\n", 3, []string{"spec.a: .nan is not a number"}},
		"bad indentation, second document": {"a.yaml", "apiVersion: v1\nkind: Node\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: default\n spec:\n  containers: []\n", 9, []string{"did not find expected key"}},
		"flow mapping not closed":          {"a.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {a: b\n", 6, []string{"did not find expected ',' or '}'"}},
		"tab indentation":                  {"a.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n", 4, []string{"found character that cannot start any token"}},
		"unknown anchor":                   {"a.yaml", "apiVersion: v1\nkind: Pod\nx: *nope\n", 3, []string{"unknown anchor"}},
		"JSON missing colon":               {"a.json", `{"apiVersion" "v1"}`, 1, []string{"expected ':'"}},
		"JSON missing comma":               {"a.json", "{\"apiVersion\":\"v1\"\n \"kind\":\"Node\"}", 2, []string{"expected ',' or '}'"}},
		"JSON trailing garbage":            {"a.json", "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"a\"}}\n]", 2, []string{"expected an object with apiVersion and kind"}},
		"JSON list metadata broken":        {"a.json", "{\"kind\":\"List\",\"apiVersion\":\"v1\",\n\"metadata\":{\"x\":,},\n\"items\":[]}", 2, []string{"JSON syntax error"}},
		"JSON syntax error in item":        {"a.json", "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[\n{\"metadata\":{\"name\":\"a\"},\n\"spec\":{\"priority\":01}}]}", 3, []string{"JSON syntax error"}},
		"JSON syntax error in CRD":         {"a.json", "{\"kind\":\"Thing\",\"apiVersion\":\"x.io/v1\",\n\"spec\":{\"a\":tru}}", 2, []string{"JSON syntax error"}},
		"JSON unterminated string":         {"a.json", "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\n\"metadata\":{\"name\":\"a", 2, []string{"truncated"}},
		"JSON escaped kind":                {"a.json", `{"kind":"No\u0064e","apiVersion":"v1","metadata":{"name":"n"},"spec":{"podCIDR":3}}`, 1, []string{`Node "n"`, "spec.podCIDR must be a string"}},
		"JSON empty List broken":           {"a.json", "{\"kind\":\"List\",\"apiVersion\":\"v1\",\n\"x\":tru}", 2, []string{"JSON syntax error"}},
		"alias bomb":                       {"a.yaml", aliasBomb, 1, []string{"excessive aliasing"}},
		"only empty documents":             {"a.yaml", "---\n# nothing\n---\n", 0, []string{"no Kubernetes objects"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadBytes(t, tc.file, tc.data)
			wantInputError(t, err, tc.file, tc.line, tc.words...)
		})
	}
}

// aliasBomb would expand to 9^9 strings.
const aliasBomb = `apiVersion: x.io/v1
kind: Bomb
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

func TestInputErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    InputError
		want string
	}{
		{InputError{File: "f.yaml", Line: 3, Column: 7, Msg: "bad", Fix: "fix it"}, "f.yaml:3:7: bad (fix: fix it)"},
		{InputError{File: "f.yaml", Line: 3, Msg: "bad"}, "f.yaml:3: bad"},
		{InputError{File: "f.yaml", Column: 7, Msg: "bad"}, "f.yaml: bad"},
		{InputError{Msg: "bad", Fix: "fix it"}, "bad (fix: fix it)"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// hostile is what a crafted name or value carries to take over a terminal or hide itself: a
// screen clear, an OSC title, a C1 CSI (as U+009B and as a raw byte), a bidi override, a
// newline. rawHostile are its bytes that must never reach stderr; shownHostile what shows them.
const hostile = "\x1b[2J\x1b]0;owned\x07\u009b31m\u202Egnp.\n"

var (
	rawHostile   = []string{"\x1b", "\x07", "\u009b", "\u202E", "\n"}
	shownHostile = []string{"␛[2J", "␛]0;owned␇", "<U+009B>31m", "⟨U+202E⟩", "␊"}
)

// TestSnapshotErrorsShowInputSafely: a file name from a snapshot directory and an apiVersion
// value are quoted in errors with their control, bidi and newline characters shown, not raw,
// whichever error quotes them.
func TestSnapshotErrorsShowInputSafely(t *testing.T) {
	yamlHostile := `"v1\e[2J\e]0;owned\a\x9b31m\u202Egnp.\n"` // the same, in YAML's escapes
	for name, tc := range map[string]struct{ file, data string }{
		"version kockpit does not read": {"pods" + hostile + ".yaml", "apiVersion: " + yamlHostile + "\nkind: Pod\nmetadata: {name: p}\n"},
		"apiVersion not GROUP/VERSION":  {"a" + hostile + ".yaml", "apiVersion: " + strings.Replace(yamlHostile, "v1", "a/b/c", 1) + "\nkind: Pod\n"},
		"kind with no apiVersion":       {"b.yaml", "kind: " + yamlHostile + "\nmetadata: {name: p}\n"},
		"bad field of a named object":   {"c.json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\u001b[2J\u001b]0;owned\u0007\u009b31m\u202egnp.\n"},"spec":{"containers":3}}`},
		"YAML syntax error":             {"d" + hostile + ".yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n"},
		"JSON syntax error":             {"e" + hostile + ".json", `{"apiVersion":"v1","kind":"Pod",}`},
		"unknown anchor":                {"f.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: *\u202Egnp}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadSnapshot(context.Background(), dir)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want *InputError, got %T: %v", err, err)
			}
			msg := err.Error()
			for _, raw := range rawHostile {
				for what, s := range map[string]string{"Error()": msg, "File": ie.File, "Msg": ie.Msg, "Fix": ie.Fix} {
					if strings.Contains(s, raw) {
						t.Errorf("%s holds a raw %q: %q", what, raw, s)
					}
				}
			}
			if strings.Contains(tc.file, hostile) || strings.Contains(tc.data, `\e`) {
				for _, shown := range shownHostile {
					if !strings.Contains(msg, shown) {
						t.Errorf("%q does not show %q", msg, shown)
					}
				}
			}
		})
	}
	// A file name that is not UTF-8 is shown by its bytes.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x\x9by.yaml"), []byte("kind: Pod\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSnapshot(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "x<0x9b>y.yaml") {
		t.Errorf("a raw 0x9b byte in a file name: %v", err)
	}
}

// TestSnapshotErrorsRedactQuotedInput: an unparsable manifest's error never repeats a token the
// manifest holds, whether the document is the bare token or a field quotes one.
func TestSnapshotErrorsRedactQuotedInput(t *testing.T) {
	const (
		jwt    = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl"
		github = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
		aws    = "AKIAIOSFODNN7EXAMPLE"
		opaque = "Zx8Kq2mP9vLw3Rt7YbQ4"
	)
	for name, tc := range map[string]struct{ file, data, secret, keep string }{
		"a bare JWT":                  {"token.yaml", jwt + "\n", "c2lnbmF0dXJl", ""},
		"a bare opaque token":         {"token.yaml", opaque + "\n", opaque, ""},
		"a bare number":               {"n.yaml", "12345678901234567890\n", "12345678901234567890", ""},
		"words with a flag's value":   {"w.yaml", "run it with --password hunter2-words\n", "hunter2-words", `found "run it with --password <redacted>"`},
		"a token as a List item":      {"list.yaml", "apiVersion: v1\nkind: List\nitems:\n- " + github + "\n", "0123456789abcdefghij", ""},
		"an opaque token as an item":  {"list.yaml", "apiVersion: v1\nkind: List\nitems:\n- " + opaque + "\n", opaque, ""},
		"a token as apiVersion":       {"a.yaml", "apiVersion: " + aws + "/v1/x\nkind: Pod\n", aws, ""},
		"a token as the version":      {"a.yaml", "apiVersion: " + aws + "\nkind: Pod\nmetadata: {name: p}\n", aws, ""},
		"a token in the name":         {"a.json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + jwt + `"},"spec":{"containers":3}}`, "c2lnbmF0dXJl", ""},
		"a flag's value in the name":  {"a.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: \"--token s3cr3t-v4lue\"}\nspec: {containers: 3}\n", "s3cr3t-v4lue", `Pod "--token <redacted>": spec.containers must be a list`},
		"a token in the file name":    {github + ".yaml", "kind: Pod\n", "0123456789abcdefghij", ""},
		"a token as an unknown alias": {"a.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: *" + github + "}\n", "0123456789abcdefghij", ""},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadSnapshot(context.Background(), dir)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want *InputError, got %T: %v", err, err)
			}
			if strings.Contains(err.Error(), tc.secret) || strings.Contains(ie.Msg, tc.secret) || strings.Contains(ie.File, tc.secret) {
				t.Errorf("the error repeats %q: %v", tc.secret, err)
			}
			if tc.keep != "" && !strings.Contains(err.Error(), tc.keep) {
				t.Errorf("the error lost %q: %v", tc.keep, err)
			}
		})
	}
}

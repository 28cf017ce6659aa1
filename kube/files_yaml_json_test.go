package kube

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzNodeJSON: what nodeJSON writes for a YAML document means what go-yaml's decoding, made
// JSON as docJSON makes it, means: the same value, numbers as written.
func FuzzNodeJSON(f *testing.F) {
	for _, seed := range []string{
		"a: 1\nb: [true, false, null, ~, x]\nc: {d: \"e\\tf\"}\n",
		"n: 012\nh: 0x1f\ni: -0\nj: +1\nk: 1_000\nf: 1.5\ne: 1e3\n",
		"y: yes\nt: True\nz: 2026-11-25T10:00:00Z\nq: '2026-11-25'\n",
		"s: |\n  line\n  \"quoted\" \\ back\n", "1: a\ntrue: b\n", "<<: {a: 1}\nb: 2\n", "a: &x [1]\nb: *x\n",
		"a: !!binary aGVsbG8=\n", "a: !custom x\n", "a: 99999999999999999999\n", "- \"\\u0001\\u007f\\u00e9\"\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var doc yaml.Node
		if yaml.Unmarshal([]byte(text), &doc) != nil || len(doc.Content) == 0 {
			return
		}
		n := doc.Content[0]
		if _, _, dup := yamlDuplicateKey(n, 0); dup != nil {
			return // refused before nodeJSON is asked
		}
		fast, ok := nodeJSON(nil, n, 0)
		if !ok {
			return
		}
		var v any
		if err := n.Decode(&v); err != nil {
			t.Fatalf("nodeJSON wrote what go-yaml cannot decode: %v\n%q", err, text)
		}
		v, err := jsonCompatible(v)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("nodeJSON wrote what JSON cannot hold: %v\n%q", err, text)
		}
		read := func(b []byte) any {
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			var out any
			if err := dec.Decode(&out); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, b)
			}
			return out
		}
		if a, b := read(fast), read(slow); !reflect.DeepEqual(a, b) {
			t.Fatalf("nodeJSON %s\ngo-yaml  %s\n%q", fast, slow, text)
		}
	})
}

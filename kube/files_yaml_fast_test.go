package kube

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// nodeItemJSON is what the go-yaml path makes of an item: its entry's JSON as nodeJSON writes
// it, with apiVersion and kind as yamlDoc reads them; ok false where cutItem would not write it.
func nodeItemJSON(raw []byte) (js []byte, apiVersion, kind string, ok bool) {
	var root yaml.Node
	if yaml.Unmarshal(raw, &root) != nil {
		return nil, "", "", false
	}
	seq := documentContent(&root)
	if seq == nil || seq.Kind != yaml.SequenceNode || len(seq.Content) != 1 {
		return nil, "", "", false
	}
	n := resolveAlias(seq.Content[0])
	if n.Kind != yaml.MappingNode {
		return nil, "", "", false
	}
	if _, _, dup := yamlDuplicateKey(n, 2); dup != nil {
		return nil, "", "", false
	}
	d, err := yamlDoc(n, 1)
	if err != nil || d.hasItems {
		return nil, "", "", false
	}
	js, ok = nodeJSON(nil, n, 0)
	return js, d.apiVersion, d.kind, ok
}

// sameAsNodes fails the test if fastYAMLItem takes raw and writes anything else than the go-yaml
// path does, and says whether it took it.
func sameAsNodes(t *testing.T, raw []byte) bool {
	t.Helper()
	fast, av, k, ok := fastYAMLItem(nil, raw)
	if !ok {
		return false
	}
	ref, refAV, refK, refOK := nodeItemJSON(raw)
	switch {
	case !refOK:
		t.Fatalf("fast path took what the go-yaml path refuses:\n%s\nwrote %s", raw, fast)
	case !bytes.Equal(fast, ref):
		t.Fatalf("fast path  %s\ngo-yaml's  %s\nfor\n%s", fast, ref, raw)
	case av != refAV || k != refK:
		t.Fatalf("fast path read %q %q, go-yaml's %q %q, for\n%s", av, k, refAV, refK, raw)
	}
	return true
}

// TestFastYAMLItemWrites: the JSON of items as kubectl writes them, each form of scalar.
func TestFastYAMLItemWrites(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"- apiVersion: v1\n  kind: Pod\n", `{"apiVersion":"v1","kind":"Pod"}`},
		{"- apiVersion: v1\n  kind: Pod\n  metadata:\n    creationTimestamp: null\n    labels:\n      app.kubernetes.io/name: web\n    name: web-0\n",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":null,"labels":{"app.kubernetes.io/name":"web"},"name":"web-0"}}`},
		{"- apiVersion: v1\n  kind: Pod\n  spec:\n    containers:\n    - args:\n      - --v=2\n      - '*'\n      image: nginx\n      ports:\n      - containerPort: 80\n        protocol: TCP\n    hostNetwork: true\n",
			`{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"args":["--v=2","*"],"image":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}]}],"hostNetwork":true}}`},
		{"- apiVersion: v1\n  data:\n    Corefile: |\n      .:53 {\n          errors\n\n      }\n    empty: \"\"\n    strip: |-\n      a\n      b\n  kind: ConfigMap\n",
			`{"apiVersion":"v1","data":{"Corefile":".:53 {\u000a    errors\u000a\u000a}\u000a","empty":"","strip":"a\u000ab"},"kind":"ConfigMap"}`},
		{"- apiVersion: v1\n  kind: ConfigMap\n  data:\n    q: 'it''s ''quoted'''\n    d: \"tab\\there \\\"x\\\" \\u00e9\\x41\\'\"\n    n: \"123\"\n    t: 'true'\n",
			`{"apiVersion":"v1","kind":"ConfigMap","data":{"q":"it's 'quoted'","d":"tab\u0009here \"x\" é` + "A'\",\"n\":\"123\",\"t\":\"true\"}}"},
		{"  - apiVersion: v1\n    kind: List\n    metadata: {}\n    x: []\n    y:\n    z: ~\n",
			`{"apiVersion":"v1","kind":"List","metadata":{},"x":[],"y":null,"z":null}`},
		{"- apiVersion: v1\n  kind: X\n  a: 'one two\n    three '' four'\n  b: five six\n    seven\n  c:\n  - \"eight\\\n    \\ nine\n    ten\\tx\"\n",
			`{"apiVersion":"v1","kind":"X","a":"one two three ' four","b":"five six seven","c":["eight nine ten\u0009x"]}`}, // long strings as kubectl wraps them
		{"- apiVersion: v1\n  kind: X\n  a: |\n    00", `{"apiVersion":"v1","kind":"X","a":"00"}`}, // no break at the end: none kept
		{"-   apiVersion: v1\n    kind: Pod\n    spec:\n      tolerations:\n      - effect: NoExecute\n        tolerationSeconds: -300\n", // more than one space after the dash
			`{"apiVersion":"v1","kind":"Pod","spec":{"tolerations":[{"effect":"NoExecute","tolerationSeconds":-300}]}}`},
	} {
		got, _, _, ok := fastYAMLItem(nil, []byte(tc.raw))
		if !ok || string(got) != tc.want {
			t.Errorf("fastYAMLItem(%q) = %s, %v; want %s", tc.raw, got, ok, tc.want)
			continue
		}
		sameAsNodes(t, []byte(tc.raw))
	}
}

// TestFastYAMLItemLeavesToGoYAML: what the fast path does not take, go-yaml reads.
func TestFastYAMLItemLeavesToGoYAML(t *testing.T) {
	const head = "- apiVersion: v1\n  kind: ConfigMap\n"
	for name, raw := range map[string]string{
		"comment":             head + "  # note\n  data: {}\n",
		"comment after":       head + "  data: a #b\n",
		"anchor":              head + "  data: &a {}\n",
		"alias":               head + "  data: *a\n",
		"tag":                 head + "  data: !!str 1\n",
		"flow mapping":        head + "  data: {a: b}\n",
		"folded":              head + "  data:\n    a: >\n      x\n",
		"keep":                head + "  data:\n    a: |+\n      x\n\n",
		"indent indicator":    head + "  data:\n    a: |2\n        x\n",
		"tab":                 head + "  data:\n    a:\tb\n",
		"non-ASCII":           head + "  data:\n    a: é\n",
		"CRLF":                "- apiVersion: v1\r\n  kind: ConfigMap\r\n",
		"key set twice":       head + "  data:\n    a: b\n    a: c\n",
		"kind set twice":      head + "  kind: Secret\n",
		"merge key":           head + "  <<: {a: b}\n",
		"number key":          head + "  data:\n    80: b\n",
		"float":               head + "  data:\n    a: 1.5\n",
		"hex":                 head + "  data:\n    a: 0x1f\n",
		"octal":               head + "  data:\n    a: 012\n",
		"True":                head + "  data:\n    a: True\n",
		"timestamp":           head + "  data:\n    a: 2026-12-06\n",
		"infinity":            head + "  data:\n    a: .inf\n",
		"kind a number":       "- apiVersion: v1\n  kind: 1\n",
		"items":               head + "  items: []\n",
		"blank line":          head + "\n  data: {}\n",
		"trailing space":      head + "  data: x \n",
		"empty entry":         head + "  data:\n  - \n",
		"seq in seq":          head + "  data:\n  - - a\n",
		"scalar entry":        "- just text\n",
		"two entries":         head + "- apiVersion: v1\n  kind: ConfigMap\n",
		"wrong indent":        head + "   data: {}\n",
		"surrogate":           head + "  data:\n    a: \"\\ud800\"\n",
		"unknown escape":      head + "  data:\n    a: \"\\q\"\n",
		"escaped slash":       head + "  data:\n    a: \"\\/\"\n", // JSON's, not YAML's
		"document end":        head + "...\n",
		"literal led blank":   head + "  data:\n    a: |\n\n      x\n",
		"literal not inside":  head + "  data:\n    a: |\n    x: y\n",
		"unclosed quote":      head + "  data:\n    a: 'x\n",
		"blank in quoted":     head + "  data:\n    a: 'x\n\n      y'\n",
		"space before break":  head + "  data:\n    a: 'x \n      y'\n",
		"quoted not inside":   head + "  data:\n    a: 'x\n    y'\n",
		"after the quote":     head + "  data:\n    a: 'x\n      y' z\n",
		"plain then key":      head + "  data:\n    a: x\n      b: y\n",
		"plain then comment":  head + "  data:\n    a: x\n      #y\n",
		"folded timestamp":    head + "  data:\n    a: 2026-12-06\n      10:00:00\n", // folded, a timestamp
		"empty first line":    head + "  data:\n    a: '\n      y'\n",
		"long key":            head + "  data:\n    " + strings.Repeat("k", 1100) + ": v\n",
		"long escaped key":    head + "  data:\n    \"" + strings.Repeat(`\x41`, 260) + "\": v\n", // 1042 characters, 260 once read
		"long quoted key":     head + "  data:\n    '" + strings.Repeat("''", 520) + "': v\n",
		"comma timestamp":     head + "  data:\n    a: 2026-12-06 10:00:00,5\n", // time.Parse reads `,` as `.`
		"comma timestamp key": head + "  data:\n    2026-12-06T10:00:00,5Z: x\n",
	} {
		if _, _, _, ok := fastYAMLItem(nil, []byte(raw)); ok {
			t.Errorf("%s: the fast path took %q", name, raw)
		}
	}
}

// TestFastYAMLItemSameAsNodes: every sequence entry of the repository's YAML and every pod of
// kubectl's YAML is either left to go-yaml or written as go-yaml's path writes it; the pods,
// as kubectl writes them, are all taken.
func TestFastYAMLItemSameAsNodes(t *testing.T) {
	pods, err := sigsyaml.JSONToYAML(podListJSON(t, 2*minCutItems))
	if err != nil {
		t.Fatal(err)
	}
	c, ok := cutYAMLList(pods)
	if !ok {
		t.Fatal("the pods do not cut")
	}
	for _, s := range c.items {
		if !sameAsNodes(t, pods[s.start:s.end]) {
			t.Fatalf("the fast path left a pod as kubectl writes it to go-yaml:\n%s", pods[s.start:s.end])
		}
	}
	// Long strings, which kubectl wraps at 80 columns: plain, single- and double-quoted.
	long := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{
		"words":   strings.Repeat("word ", 40) + "end",
		"colon":   "0/3 nodes are available: " + strings.Repeat("3 Insufficient cpu, ", 8) + "done",
		"escaped": "tab\tthen " + strings.Repeat("more words ", 12) + "\u0001",
		"spaces":  strings.Repeat("a  b ", 30) + "c",
	}}
	y, err := sigsyaml.Marshal(long)
	if err != nil {
		t.Fatal(err)
	}
	item := []byte("- " + strings.ReplaceAll(strings.TrimSuffix(string(y), "\n"), "\n", "\n  ") + "\n")
	if !bytes.Contains(item, []byte("\n      ")) {
		t.Fatalf("kubectl's YAML did not wrap the long strings:\n%s", item)
	}
	if !sameAsNodes(t, item) {
		t.Fatalf("the fast path left long strings as kubectl writes them to go-yaml:\n%s", item)
	}
	taken, items := 0, 0
	for _, dir := range []string{"../testdata", "../scenarios"} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, raw := range yamlEntries(data) {
				items++
				if sameAsNodes(t, raw) {
					taken++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if taken == 0 { // the fixtures are written by hand, mostly in flow style: some are kubectl's
		t.Errorf("the fast path took none of %d entries of the repository's YAML", items)
	}
	t.Logf("the fast path took %d of %d items of the repository's YAML", taken, items)
}

// yamlEntries cuts a file's block sequence entries at any indentation by their dashes: not
// always items, which is the point (whatever it is, the fast path must agree or refuse).
func yamlEntries(data []byte) [][]byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	var out [][]byte
	for i, line := range lines {
		trimmed := bytes.TrimLeft(line, " ")
		if !bytes.HasPrefix(trimmed, []byte("- ")) {
			continue
		}
		indent := len(line) - len(trimmed)
		end := i + 1
		for end < len(lines) {
			l := lines[end]
			in := len(l) - len(bytes.TrimLeft(l, " "))
			if len(bytes.TrimSpace(l)) > 0 && in <= indent {
				break
			}
			end++
		}
		out = append(out, bytes.Join(lines[i:end], nil))
	}
	return out
}

// FuzzFastYAMLItem: whatever the fast path takes, go-yaml's path reads alike, byte for byte.
// The input is text put into one of a few items as kubectl writes them (or alone, past them),
// so that most inputs are nearly such items.
func FuzzFastYAMLItem(f *testing.F) {
	bases := []string{
		"- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n    labels:\n      x: \"1\"\n  spec:\n    containers:\n    - name: c\n      args:\n      - -c\n      - |\n        echo hi\n",
		"- apiVersion: v1\n  kind: ConfigMap\n  data:\n    a: |-\n      x\n\n      y\n    b: 'it''s'\n    c: \"\\x41\\u00e9\\U0001F600\"\n",
		"- apiVersion: v1\n  kind: X\n  a:\n  - 1\n  - -2\n  - null\n  - ~\n  - true\n  b: []\n  c: {}\n",
		"- apiVersion: v1\n  kind: X\n  a: yes\n  b: on\n  c: 0o17\n  d: -0\n  e: 10.244.1.1\n  f: 1e3\n  g: a:b\n  h: -x\n",
		"- apiVersion: v1\n  kind: X\n  a:\n    - b\n  c: |\n   d\n",
		"- apiVersion: v1\n  kind: X\n  a: 'one two\n    three '' four'\n  b: five six\n    seven\n  c:\n  - \"eight\\\n    \\ nine\n    ten\\tx\"\n",
	}
	for i := range bases {
		for _, text := range []string{"", " ", "\n", "  ", "- ", ": ", "#", "'", "\"", "|", "\\", "x"} {
			f.Add(uint8(i), uint16(17*i+31), text)
		}
	}
	f.Add(uint8(len(bases)), uint16(0), "- a: b\n")
	f.Fuzz(func(t *testing.T, base uint8, at uint16, text string) {
		raw := text
		if int(base) < len(bases) {
			b := bases[base]
			pos := int(at) % (len(b) + 1)
			raw = b[:pos] + text + b[pos:]
		}
		sameAsNodes(t, []byte(raw))
	})
}

// FuzzPlainTag: the tag plainTag says is go-yaml's for the same plain scalar.
func FuzzPlainTag(f *testing.F) {
	for _, seed := range []string{"0", "-0", "007", "123456789012345678", "1234567890123456789", "-.inf", "+.INF",
		".5", "1e3", "1_000", "0x1F", "0o17", "0b101", "-0b1", "2026-12-06", "2026-12-06T10:00:00Z", "2026-1-2 3:4:5",
		"10.244.1.17", "100m", "128Mi", "4f0c8d", "yes", "True", "null", "~", "<<", "a", "/x", "_y", "1.2.3-rc",
		"2026-12-06T10:00:00,5Z", "2026-12-06 10:00:00,123", "1,5", "1,2.3"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		n := yaml.Node{Kind: yaml.ScalarNode, Value: s}
		if got, want := plainTag([]byte(s)), n.ShortTag(); got != want {
			t.Fatalf("plainTag(%q) = %s, go-yaml %s", s, got, want)
		}
	})
}

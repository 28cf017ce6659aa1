package dns

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

const kubeadmCorefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`

func TestParseCorefileKubeadm(t *testing.T) {
	cf := parseCorefile(kubeadmCorefile)
	if cf.err != nil {
		t.Fatalf("err = %+v", cf.err)
	}
	if len(cf.blocks) != 1 || strings.Join(cf.blocks[0].keys, ",") != ".:53" || strings.Join(cf.blocks[0].zones(), ",") != "." {
		t.Fatalf("blocks = %+v", cf.blocks)
	}
	var names []string
	for _, p := range cf.blocks[0].plugins {
		names = append(names, p.name)
	}
	if got := strings.Join(names, " "); got != "errors health ready kubernetes prometheus forward cache loop reload loadbalance" {
		t.Errorf("plugins in source order = %q", got)
	}
	k := cf.blocks[0].plugins[3]
	if k.line != 7 || k.endLine != 11 || strings.Join(k.args, " ") != "cluster.local in-addr.arpa ip6.arpa" || len(k.body) != 3 ||
		k.body[1].line != 9 || strings.Join(k.body[1].words, " ") != "fallthrough in-addr.arpa ip6.arpa" {
		t.Errorf("kubernetes = %+v", k)
	}
	f := cf.blocks[0].plugins[5]
	if f.line != 13 || f.endLine != 15 || strings.Join(f.args, " ") != ". /etc/resolv.conf" {
		t.Errorf("forward = %+v", f)
	}
}

func TestParseCorefileErrors(t *testing.T) {
	for _, tt := range []struct {
		name, text   string
		line, column int
		msg          string
	}{
		{"unknown directive", ".:53 {\n  errors\n  forwrd . 1.1.1.1\n}\n", 3, 3, "Unknown directive 'forwrd'"},
		{"look-alike directive", ".:53 {\n  kubernеtes cluster.local\n}\n", 2, 3, "Unknown directive 'kubernеtes'"},
		{"unclosed block", ".:53 {\n  errors\n  health {\n    lameduck 5s\n", 4, 0, "Unexpected EOF"},
		{"stray brace", ".:53 {\n  errors }\n}\n", 2, 10, "Unexpected '}' because no matching opening brace"},
		{"import without argument", ".:53 {\n  import\n}\n", 2, 3, "Wrong argument count or unexpected line ending after 'import'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cf := parseCorefile(tt.text)
			if cf.err == nil {
				t.Fatalf("no error; blocks %+v", cf.blocks)
			}
			if cf.err.line != tt.line || cf.err.column != tt.column || (tt.msg != "" && cf.err.msg != tt.msg) {
				t.Errorf("err = %+v, want line %d column %d %q", cf.err, tt.line, tt.column, tt.msg)
			}
		})
	}
}

// TestParseCorefileReadsNoFiles: imports of files are left out (and listed), whatever the
// pattern; a snippet defined before is still expanded.
func TestParseCorefileReadsNoFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("whoami\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := "(snip) {\n  log\n}\n.:53 {\n  import snip\n  import " + secret + "\n  import ../../../../" + secret + "\n  import *\n  import later\n  errors\n}\nimport /etc/*\n(later) {\n  whoami\n}\n"
	cf := parseCorefile(text)
	if cf.err != nil {
		t.Fatalf("err = %+v", cf.err)
	}
	var imports []string
	for _, i := range cf.imports {
		imports = append(imports, i.text)
	}
	want := []string{secret, "../../../../" + secret, "*", "later", "/etc/*"}
	if strings.Join(imports, "|") != strings.Join(want, "|") {
		t.Errorf("imports left out = %q, want %q", imports, want)
	}
	b := cf.blocks[0]
	if !b.has("log") || b.has("whoami") || !b.has("errors") {
		t.Errorf("the snippet must be expanded and no file read: %+v", b.plugins)
	}
	if cf.lineText(5) != "import snip" {
		t.Errorf("line texts come from the original: %q", cf.lineText(5))
	}
}

// TestParseCorefileNoEnv: {$VAR} stays as written; kockpit's environment never reaches a report.
func TestParseCorefileNoEnv(t *testing.T) {
	t.Setenv("KOCKPIT_TEST_SECRET", "hunter2")
	cf := parseCorefile(".:53 {\n  forward . {$KOCKPIT_TEST_SECRET} {%KOCKPIT_TEST_SECRET%}\n}\n")
	if cf.err != nil {
		t.Fatal(cf.err)
	}
	args := strings.Join(cf.blocks[0].plugins[0].args, " ")
	if args != ". {$KOCKPIT_TEST_SECRET} {%KOCKPIT_TEST_SECRET%}" || len(cf.envRefs) != 2 {
		t.Errorf("args = %q, env refs %+v", args, cf.envRefs)
	}
	cf = parseCorefile("{$KOCKPIT_TEST_SECRET} {\n  errors\n}\n")
	if cf.err != nil || cf.blocks[0].keys[0] != "{$KOCKPIT_TEST_SECRET}" {
		t.Errorf("keys = %+v %+v", cf.blocks, cf.err)
	}
}

func TestParseCorefileSnippetBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("(a) {\n" + strings.Repeat("  log\n", 50) + "}\n")
	for _, n := range []string{"b", "c", "d", "e"} {
		prev := string(rune(n[0] - 1))
		b.WriteString("(" + n + ") {\n" + strings.Repeat("  import "+prev+"\n", 10) + "}\n")
	}
	b.WriteString(".:53 {\n" + strings.Repeat("  import e\n", 10) + "}\n")
	cf := parseCorefile(b.String())
	if cf.err == nil || !strings.Contains(cf.err.msg, "kockpit does not check a Corefile that large") {
		t.Fatalf("a snippet bomb must not be expanded: %+v", cf.err)
	}
}

// TestParseCorefileNestedSnippets: a ConfigMap's worth (1 MiB) of nested snippet definitions
// is judged in linear time; finding each snippet's body by scanning ahead from it took time
// quadratic in the nesting (a minute for this input, enough to stall the DNS checks).
func TestParseCorefileNestedSnippets(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	var closed strings.Builder
	for i := 0; closed.Len() < 1<<19; i++ {
		fmt.Fprintf(&closed, "(s%d) {\n", i)
	}
	n := strings.Count(closed.String(), "\n")
	closed.WriteString(strings.Repeat("}\n", n))
	for _, tc := range []struct {
		name, text string
		valid      bool
	}{
		{"unclosed", strings.Repeat("(a) {\n", 1<<20/6), false},
		{"closed", closed.String(), true},
		{"braces", ".:53 {\n  forward . 10.0.0.10 " + strings.Repeat("{\n", 1<<19) + "}\n", false},
		{"server blocks", strings.Repeat("{ ", 1<<19), false},
	} {
		name, text := tc.name, tc.text
		done := make(chan *corefile, 1)
		go func() { done <- parseCorefile(text) }()
		select {
		case cf := <-done:
			if (cf.err == nil) != tc.valid {
				t.Errorf("%s: %d bytes of nesting: error %v", name, len(text), cf.err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: parsing %d bytes of nested snippets took more than 5 s", name, len(text))
		}
	}
}

func TestNormalizeZone(t *testing.T) {
	for in, want := range map[string]string{
		".:53": ".", ".": ".", "dns://.:53": ".", "Cluster.Local:5353": "cluster.local.", "example.org.": "example.org.",
		"tls://example.org:853": "example.org.", ":53": ".", "10.0.0.0/8": "10.0.0.0/8.",
	} {
		if got := normalizeZone(in); got != want {
			t.Errorf("normalizeZone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUpstreamProblem(t *testing.T) {
	for _, tt := range []struct {
		to, want string
	}{
		{"/etc/resolv.conf", ""},
		{"8.8.8.8", ""},
		{"8.8.8.8:5353", ""},
		{"dns://1.1.1.1", ""},
		{"tls://1.1.1.1:853", ""},
		{"2001:4860:4860::8888", ""},
		{"[2001:4860:4860::8888]:53", ""},
		{"/etс/resolv.conf", "the path has a character outside ASCII (с U+0441 CYRILLIC SMALL LETTER ES (looks like \"c\"))"},
		{"dns.google", "not an IP address: forward takes IP addresses"},
		{"etc/resolv.conf", "a relative path"},
		{"https://1.1.1.1/dns-query", "forward speaks only dns:// and tls://, not https://"},
		{"8.8.8.8:99999", "port \"99999\" is not a port number"},
		{"0.0.0.0", "an unspecified address"},
		{"127.0.0.1", "a loopback address"},
		{"8.8.8․8", "not an IP address: it has characters outside ASCII"},
	} {
		got := upstreamProblem(tt.to, false)
		if (tt.want == "") != (got == "") || !strings.HasPrefix(got, tt.want) {
			t.Errorf("upstreamProblem(%q) = %q, want %q...", tt.to, got, tt.want)
		}
	}
	if got := upstreamProblem("127.0.0.53", true); got != "" {
		t.Errorf("a loopback upstream is fine for CoreDNS on the host network: %q", got)
	}
}

func TestCommentStart(t *testing.T) {
	for in, want := range map[string]int{"  forward . 1.1.1.1 # x": 20, `  answer "a # b" # c`: 17, "no comment": -1, `"#"`: -1} {
		if got := commentStart(in); got != want {
			t.Errorf("commentStart(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzCorefile feeds arbitrary text to the parser: it must never panic, never read a file or
// the environment (every token stays in kockpit's own Corefile name, and env references stay
// as written), and every error must point inside the text.
func FuzzCorefile(f *testing.F) {
	seeds, err := filepath.Glob("../../testdata/corefile/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Setenv("KOCKPIT_FUZZ_SECRET", "s3cr3t-value")
	f.Fuzz(func(t *testing.T, text string) {
		cf := parseCorefile(text)
		lines := strings.Count(text, "\n") + 1
		if e := cf.err; e != nil {
			if e.msg == errForeignTokens {
				t.Fatal(e.msg)
			}
			if e.line < 0 || e.line > lines+1 || e.column < 0 {
				t.Fatalf("error position %d:%d outside the text of %d lines", e.line, e.column, lines)
			}
			return
		}
		for _, b := range cf.blocks {
			for _, p := range b.plugins {
				if p.line < 1 || p.line > lines || p.endLine < p.line {
					t.Fatalf("plugin %q at lines %d-%d of %d", p.name, p.line, p.endLine, lines)
				}
				for _, a := range p.args {
					if strings.Contains(a, "s3cr3t-value") && !strings.Contains(text, "s3cr3t-value") {
						t.Fatalf("the environment leaked into %q", a)
					}
				}
			}
		}
		s := &corefileSubject{namespace: "kube-system", name: "coredns", key: "Corefile", domain: "cluster.local", nodeNames: map[string]bool{}}
		for _, f := range judgeCorefile(cf, s) {
			if f.File == nil || f.File.Line < 0 || f.File.Line > lines {
				t.Fatalf("finding %q points outside the text: %+v", f.Message, f.File)
			}
		}
	})
}

func BenchmarkParseCorefileKubeadm(b *testing.B) {
	for b.Loop() {
		if cf := parseCorefile(kubeadmCorefile); cf.err != nil {
			b.Fatal(cf.err)
		}
	}
}

// BenchmarkParseCorefileLargeHosts: a Corefile near the ConfigMap size limit, 20,000 inline
// hosts entries.
func BenchmarkParseCorefileLargeHosts(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(".:53 {\n  hosts {\n")
	for i := range 20000 {
		fmt.Fprintf(&sb, "    10.%d.%d.%d host-%d.example\n", i/65536, i/256%256, i%256, i)
	}
	sb.WriteString("    fallthrough\n  }\n  kubernetes cluster.local\n  forward . /etc/resolv.conf\n  loop\n}\n")
	text := sb.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if cf := parseCorefile(text); cf.err != nil {
			b.Fatal(cf.err)
		}
	}
}

package report

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

// sample is a run with every status and a finding whose strings carry escape sequences, as a
// hostile pod name or event message would.
func sample() *Report {
	list := []checks.Check{
		{ID: "api.reachable", Title: "API server reachable", Category: checks.CategoryAPI},
		{ID: "api.control-plane", Title: "Control plane", Category: checks.CategoryAPI},
		{ID: "versions.nodes", Title: "Node versions", Category: checks.CategoryVersions},
		{ID: "api.access", Title: "Access", Category: checks.CategoryAPI},
		{ID: "api.health", Title: "Health", Category: checks.CategoryAPI},
	}
	r := New("v0.1.0", checks.Source{Kind: checks.SourceLive, Context: "klustered", Server: "127.0.0.1:6443"}, list, time.Unix(0, 0))
	r.Add(checks.Result{CheckID: "api.reachable", Status: checks.StatusOK, Summary: "reachable in 3ms", Duration: 3 * time.Millisecond})
	r.Add(checks.Result{CheckID: "api.control-plane", Status: checks.StatusFail, Summary: "1 problem", Findings: []checks.Finding{{
		Severity: checks.StatusFail,
		Message:  "controllers disabled\x1b[2J\x1b[31m: -replicaset",
		Object:   &checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "kube-system", Name: "kube-controller-manager-cp1"},
		Evidence: []string{"--controllers=*,-replicaset", "image: registry.k8s.io/kube-cоntroller-manager:v1.37.2 \u202Egpj.exe"},
		Hint:     "remove -replicaset from --controllers",
		Commands: []checks.Command{checks.Cmd("kubectl", "-n", "kube-system", "get", "pod", "kube-controller-manager-cp1", "-o", "yaml")},
	}}})
	r.Add(checks.Result{CheckID: "versions.nodes", Status: checks.StatusWarn, Summary: "skew", Findings: []checks.Finding{{
		Severity: checks.StatusWarn, Message: "old kubelet", File: &checks.FileRef{Path: "/etc/kubernetes/kubelet.conf", Line: 3, Column: 7},
	}}})
	r.Add(checks.Result{CheckID: "api.access", Status: checks.StatusSkip, SkipReason: checks.SkipOffline, Summary: "offline snapshot"})
	r.Add(checks.Result{CheckID: "api.health", Status: checks.StatusError, Summary: "timed out after 30s"})
	r.Finish(1500*time.Millisecond, []kube.ListStat{{Resource: "pods", Objects: 3, Pages: 1, Bytes: 1024, Duration: 2 * time.Millisecond}})
	return r
}

func TestJSONSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), FormatJSON, false); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["apiVersion"] != APIVersion || doc["kind"] != "Report" {
		t.Errorf("apiVersion/kind: %v %v", doc["apiVersion"], doc["kind"])
	}
	sum := doc["summary"].(map[string]any)
	if sum["fail"] != 1.0 || sum["warn"] != 1.0 || sum["ok"] != 1.0 || sum["error"] != 1.0 || sum["skip"] != 1.0 || sum["worst"] != "error" {
		t.Errorf("summary: %v", sum)
	}
	checksDoc := doc["checks"].([]any)
	cp := checksDoc[1].(map[string]any)
	if cp["id"] != "api.control-plane" || cp["status"] != "fail" {
		t.Fatalf("check order or status: %v", cp)
	}
	f := cp["findings"].([]any)[0].(map[string]any)
	for _, key := range []string{"severity", "message", "hint", "commands", "object", "evidence"} {
		if _, ok := f[key]; !ok {
			t.Errorf("finding lacks %q: %v", key, f)
		}
	}
	obj := f["object"].(map[string]any)
	if obj["apiVersion"] != "v1" || obj["kind"] != "Pod" || obj["namespace"] != "kube-system" || obj["name"] != "kube-controller-manager-cp1" {
		t.Errorf("object: %v", obj)
	}
	noHint := checksDoc[2].(map[string]any)["findings"].([]any)[0].(map[string]any)
	for _, key := range []string{"severity", "message", "hint", "commands", "file"} {
		if _, ok := noHint[key]; !ok {
			t.Errorf("a finding without hint or commands lacks %q: %v", key, noHint)
		}
	}
	file := noHint["file"].(map[string]any)
	if file["path"] != "/etc/kubernetes/kubelet.conf" || file["line"] != 3.0 || file["column"] != 7.0 {
		t.Errorf("file: %v", file)
	}
	if !strings.Contains(buf.String(), `\u001b[2J`) {
		t.Errorf("JSON must keep the raw string, escaped by JSON")
	}
	lists := doc["lists"].([]any)[0].(map[string]any)
	if lists["resource"] != "pods" || lists["objects"] != 3.0 || lists["bytes"] != 1024.0 || lists["durationMs"] != 2.0 {
		t.Errorf("lists: %v", lists)
	}
	if checksDoc[3].(map[string]any)["skipReason"] != "offline" {
		t.Errorf("skip reason missing: %v", checksDoc[3])
	}
}

func TestJSONEscapesWhatATerminalWouldObey(t *testing.T) {
	r := sample()
	// U+009B is a one-character CSI; U+00A0 and U+00E9 share its first UTF-8 byte and are text.
	// DEL is a control character too, which encoding/json writes raw.
	msg := "evil\u009b2J name\x1b[31m, caf\u00e9\u00a0ok del\x7f\x7f end\u0085"
	r.Checks[1].Findings[0].Message = msg
	var buf bytes.Buffer
	if err := Write(&buf, r, FormatJSON, false); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if !bytes.Contains(out, []byte(`\u009b2J`)) || !bytes.Contains(out, []byte(`del\u007f\u007f end\u0085`)) ||
		bytes.ContainsRune(out, 0x9b) || bytes.ContainsRune(out, 0x1b) || bytes.ContainsRune(out, 0x85) || bytes.IndexByte(out, 0x7f) >= 0 {
		t.Errorf("JSON carries a raw control character:\n%q", out)
	}
	var doc struct {
		Checks []struct {
			Findings []struct{ Message string }
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Checks[1].Findings[0].Message; got != msg {
		t.Errorf("JSON changed the string: %q, want %q", got, msg)
	}
}

func TestHumanFormatsNeverCarryEscapes(t *testing.T) {
	for _, f := range []Format{FormatText, FormatMarkdown, FormatJUnit} {
		var buf bytes.Buffer
		if err := Write(&buf, sample(), f, false); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.ContainsRune(out, 0x1b) {
			t.Errorf("%s output carries a raw ESC", f)
		}
		if !strings.Contains(out, "␛") {
			t.Errorf("%s output does not show the escape sequence visibly:\n%s", f, out)
		}
		if !strings.Contains(out, "о⟨U+043E⟩") || !strings.Contains(out, "⟨U+202E⟩") || strings.ContainsRune(out, 0x202E) {
			t.Errorf("%s output does not flag the look-alike and the bidi override by code point:\n%s", f, out)
		}
	}
}

func TestTextReport(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), FormatText, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"live · context klustered · server 127.0.0.1:6443",
		"✖ api.control-plane",
		"✖ Pod kube-system/kube-controller-manager-cp1: controllers disabled",
		"--controllers=*,-replicaset",
		"fix: remove -replicaset",
		"$ kubectl -n kube-system get pod kube-controller-manager-cp1 -o yaml",
		"▲ /etc/kubernetes/kubelet.conf:3:7: old kubelet",
		"– api.access  offline snapshot",
		"! api.health",
		"1 ok · 1 warn · 1 fail · 1 error · 1 skipped · 1.5s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	// API comes before Versions.
	if strings.Index(out, "\nAPI\n") > strings.Index(out, "\nVersions\n") {
		t.Errorf("categories out of order:\n%s", out)
	}
	var colored bytes.Buffer
	if err := Write(&colored, sample(), FormatText, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(colored.String(), "\x1b[") {
		t.Errorf("coloured text has no colour")
	}
	if strings.Contains(colored.String(), "\x1b[2J") {
		t.Errorf("coloured text lets the cluster's escape through")
	}
}

func TestMarkdownEscapesMarkup(t *testing.T) {
	r := sample()
	r.Checks[1].Findings[0].Message = "name <script> | *bold* `tick`"
	var buf bytes.Buffer
	if err := Write(&buf, r, FormatMarkdown, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>") || !strings.Contains(out, `&lt;script&gt; \| \*bold\* \`+"`tick\\`") {
		t.Errorf("markdown does not escape the message:\n%s", out)
	}
	if !strings.Contains(out, "| ✖ fail | `api.control-plane` | API |") {
		t.Errorf("summary table row missing:\n%s", out)
	}
}

func TestJUnitParsesBack(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), FormatJUnit, false); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &suites); err != nil {
		t.Fatalf("junit is not XML: %v\n%s", err, buf.String())
	}
	if suites.Tests != 5 || suites.Failures != 1 || suites.Errors != 1 || suites.Skipped != 1 {
		t.Errorf("counts: %+v", suites)
	}
	if suites.Suites[0].Name != "API" || suites.Suites[0].Cases[1].Failure == nil {
		t.Errorf("API suite: %+v", suites.Suites[0])
	}
}

func TestExitCode(t *testing.T) {
	r := sample() // worst is error
	cases := []struct {
		worst checks.Status
		bar   FailOn
		want  int
	}{
		{checks.StatusError, FailOnFail, 1},
		{checks.StatusFail, FailOnFail, 1},
		{checks.StatusWarn, FailOnFail, 0},
		{checks.StatusWarn, FailOnWarn, 1},
		{checks.StatusOK, FailOnWarn, 0},
		{checks.StatusSkip, FailOnWarn, 0},
		{checks.StatusFail, FailOnNever, 0},
	}
	for _, c := range cases {
		r.Summary.Worst = c.worst
		if got := r.ExitCode(c.bar); got != c.want {
			t.Errorf("worst %s, --fail-on %s: exit %d, want %d", c.worst, c.bar, got, c.want)
		}
	}
	if _, err := ParseFailOn("sometimes"); err == nil {
		t.Error("ParseFailOn accepted nonsense")
	}
	if f, err := ParseFormat("MD"); err != nil || f != FormatMarkdown {
		t.Errorf("ParseFormat(MD) = %v, %v", f, err)
	}
}

func TestWriteFileAtomicKeepsOldOnFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFileAtomic(path, func(f *os.File) error {
		f.WriteString("half a rep")
		return errors.New("interrupted")
	})
	if err == nil {
		t.Fatal("want the write's error")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("file is %q after a failed write, want the old content", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary file left behind: %v", entries)
	}
	if err := WriteFileAtomic(path, func(f *os.File) error { _, err := f.WriteString("new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("file is %q, want new", b)
	}
}

func TestMarkdownFenceOutlastsBackticks(t *testing.T) {
	r := sample()
	r.Checks[1].Findings[0].Commands = []string{"echo ```; rm -rf /"}
	var buf bytes.Buffer
	if err := Write(&buf, r, FormatMarkdown, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "````sh\n  echo ```; rm -rf /\n  ````") {
		t.Errorf("the command escapes its code block:\n%s", buf.String())
	}
}

func TestWriteFileAtomicKeepsMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.txt")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, func(f *os.File) error { _, err := f.WriteString("new"); return err }); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after rewrite, want 0600 kept", fi.Mode().Perm())
	}
}

// TestEveryFormatRedactsCredentials: a credential a check quotes (in its summary, a message,
// evidence, a hint or a command) reaches no format, JSON included, as the runner redacted it;
// the object's name does.
func TestEveryFormatRedactsCredentials(t *testing.T) {
	check := checks.Check{ID: "api.kubeconfig", Title: "Kubeconfig", Category: checks.CategoryAPI,
		Run: func(context.Context, *checks.Env) checks.Result {
			return checks.Result{Status: checks.StatusFail, Summary: "exec plugin args pass --token=SUPERSECRET1", Findings: []checks.Finding{{
				Severity: checks.StatusFail,
				Message:  "the pod runs with --token=SUPERSECRET2",
				Object:   &checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "ops", Name: "token-rotator"},
				Evidence: []string{"--token=SUPERSECRET3", "Authorization: Bearer SUPERSECRET4"},
				Hint:     "rotate it: kubectl --token=SUPERSECRET5 ...",
				Commands: []checks.Command{checks.Cmd("curl", "-H", "Authorization: Bearer SUPERSECRET6", "https://10.0.0.1:6443/api")},
			}}}
		}}
	r := New("v0.1.0", checks.Source{Kind: checks.SourceLive}, []checks.Check{check}, time.Unix(0, 0))
	for res := range checks.Run(context.Background(), []checks.Check{check}, &checks.Env{}, checks.RunOptions{}) {
		r.Add(res)
	}
	r.Finish(time.Second, nil)
	for _, f := range []Format{FormatText, FormatMarkdown, FormatJUnit, FormatJSON} {
		var buf bytes.Buffer
		if err := Write(&buf, r, f, false); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, "SUPERSECRET") {
			t.Errorf("%s shows a credential:\n%s", f, out)
		}
		for _, want := range []string{"--token=", "redacted", "token-rotator"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q (that a credential was there, or the object's name):\n%s", f, want, out)
			}
		}
	}
}

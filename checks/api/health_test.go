package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

const readyzFailing = `[+]ping ok
[+]log ok
[-]etcd failed: reason withheld
[+]etcd-readiness excluded: ok
[+]informer-sync ok
[-]poststarthook/start-apiextensions-controllers failed: reason withheld
[+]shutdown ok
readyz check failed
`

func TestParseHealth(t *testing.T) {
	got := parseHealth(readyzFailing)
	want := []healthLine{
		{Name: "ping", OK: true, Detail: "ok", Raw: "[+]ping ok"},
		{Name: "log", OK: true, Detail: "ok", Raw: "[+]log ok"},
		{Name: "etcd", OK: false, Detail: "failed: reason withheld", Raw: "[-]etcd failed: reason withheld"},
		{Name: "etcd-readiness", OK: true, Detail: "excluded: ok", Raw: "[+]etcd-readiness excluded: ok"},
		{Name: "informer-sync", OK: true, Detail: "ok", Raw: "[+]informer-sync ok"},
		{Name: "poststarthook/start-apiextensions-controllers", OK: false, Detail: "failed: reason withheld",
			Raw: "[-]poststarthook/start-apiextensions-controllers failed: reason withheld"},
		{Name: "shutdown", OK: true, Detail: "ok", Raw: "[+]shutdown ok"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parseHealth:\n got %+v\nwant %+v", got, want)
	}
	if got := parseHealth("ok"); len(got) != 0 {
		t.Errorf("parseHealth(ok) = %+v, want nothing", got)
	}
	if got := parseHealth("[-]etcd failed\r\n"); len(got) != 1 || got[0].Name != "etcd" || got[0].Detail != "failed" {
		t.Errorf("CRLF line parsed as %+v", got)
	}
}

func TestJudgeHealth(t *testing.T) {
	findings, summary, skip := judgeHealth(healthProbe{path: "/readyz", body: []byte(readyzFailing), err: apierrors.NewInternalError(errors.New("readyz check failed"))})
	if skip != nil || summary != "" {
		t.Fatalf("got skip %v summary %q", skip, summary)
	}
	if len(findings) != 2 {
		t.Fatalf("want one finding per failing check, got %+v", findings)
	}
	etcd := findings[0]
	if etcd.Severity != checks.StatusFail || etcd.Message != "readyz: etcd failed: reason withheld" || !etcd.Cause ||
		etcd.Evidence[0] != "[-]etcd failed: reason withheld" || etcd.Commands[1].String() != "kubectl get --raw /readyz/etcd" {
		t.Errorf("etcd finding = %+v", etcd)
	}

	findings, _, _ = judgeHealth(healthProbe{path: "/livez", body: []byte("<html>bad gateway</html>"), err: apierrors.NewServiceUnavailable("bad gateway")})
	if len(findings) != 1 || !strings.Contains(findings[0].Message, "failed without naming a check") {
		t.Errorf("unnamed failure gave %+v", findings)
	}

	// A 200 without any check line is not a passing API server.
	findings, summary, _ = judgeHealth(healthProbe{path: "/readyz", body: []byte("ok")})
	if len(findings) != 1 || findings[0].Severity != checks.StatusWarn || summary != "" {
		t.Errorf("a 200 listing no check gave %+v, %q", findings, summary)
	}

	findings, summary, _ = judgeHealth(healthProbe{path: "/livez", body: []byte("[+]ping ok\n[+]etcd ok\nlivez check passed\n")})
	if len(findings) != 1 || findings[0].Severity != checks.StatusOK || summary != "livez passes (2 checks)" {
		t.Errorf("passing livez gave %+v, %q", findings, summary)
	}
}

func TestAPIHealthAgainstServer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.URL.Query()["verbose"]; !ok {
			t.Errorf("request %s is not verbose", r.URL)
		}
		switch r.URL.Path {
		case "/readyz":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, readyzFailing)
		case "/livez":
			fmt.Fprint(w, "[+]ping ok\n[+]log ok\nlivez check passed\n")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	r := runAPIHealth(t.Context(), reachEnv(t, srv.URL, srv.Certificate(), "", time.Second))
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v (%s), want fail", r.Status, r.Summary)
	}
	var failing int
	for _, f := range r.Findings {
		if f.Severity == checks.StatusFail {
			failing++
		}
	}
	if failing != 2 || !strings.Contains(r.Summary, "readyz: etcd failed") {
		t.Errorf("want two failing checks, got %d: %s", failing, r.Summary)
	}
}

func TestAPIHealthUnreachable(t *testing.T) {
	r := runAPIHealth(t.Context(), reachEnv(t, "https://127.0.0.1:1", nil, "", time.Second))
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipUnreachable {
		t.Errorf("got %v %q, want skip unreachable", r.Status, r.Summary)
	}
}

package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube"
)

func TestClassifyConnError(t *testing.T) {
	ca := checktest.NewCA(t)
	leaf := ca.Leaf(t, "kube-apiserver", time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour), "api.example.com")
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "https://10.0.0.1:6443/version", Err: err} }
	dial := func(err error) error {
		return urlErr(&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 6443},
			Err: &os.SyscallError{Syscall: "connect", Err: err}})
	}
	verify := func(err error) error { return urlErr(&tls.CertificateVerificationError{Err: err}) }
	tests := []struct {
		name     string
		err      error
		message  string // substring
		hintWord string // substring of the hint
	}{
		{"dns", urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "api.exаmple.com", Err: "no such host", IsNotFound: true}}),
			`host name "api.exаmple.com" does not resolve`, "look-alike"},
		{"dns timeout", urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "api", Err: "i/o timeout", IsTimeout: true}}),
			`looking up the API server's host name "api" timed out`, "resolv.conf"},
		{"refused", dial(syscall.ECONNREFUSED), "connection refused at 10.0.0.1:6443", "crictl ps"},
		{"unreachable", dial(syscall.EHOSTUNREACH), "no route to 10.0.0.1:6443", "VPN"},
		{"reset", dial(syscall.ECONNRESET), "was closed during the request", "load balancer"},
		{"deadline", urlErr(context.DeadlineExceeded), "did not answer within the request timeout", "--request-timeout"},
		{"client timeout", urlErr(timeoutError{}), "did not answer within the request timeout", "firewall"},
		{"tls handshake timeout", urlErr(errors.New("net/http: TLS handshake timeout")), "TLS handshake timed out", "overloaded"},
		{"expired", verify(x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired,
			Detail: "current time 2026-01-02T00:00:00Z is after 2026-01-01T00:00:00Z"}),
			"(CN=kube-apiserver) expired on", "kubeadm certs renew"},
		{"not yet valid", verify(x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired,
			Detail: "current time 2026-01-01T00:00:00Z is before 2026-01-02T00:00:00Z"}),
			"is not valid yet until", "clock"},
		{"bad usage", verify(x509.CertificateInvalidError{Cert: leaf, Reason: x509.IncompatibleUsage}),
			"is not acceptable", "Reissue"},
		{"unknown authority", verify(x509.UnknownAuthorityError{Cert: leaf}),
			"signed by an authority the kubeconfig does not trust", "certificate-authority"},
		{"wrong name", verify(x509.HostnameError{Certificate: leaf, Host: "10.0.0.1"}),
			`not valid for "10.0.0.1" (it names api.example.com)`, "certSANs"},
		{"plain http", urlErr(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake", RecordHeader: [5]byte{'H', 'T', 'T', 'P', '/'}}),
			`does not speak TLS: it answered "HTTP/"`, "6443"},
		{"alert", urlErr(&net.OpError{Op: "remote error", Err: tls.AlertError(42)}), "the TLS handshake failed", "client certificate"},
		{"401", apierrors.NewUnauthorized("Unauthorized"), "rejected the credentials (401 Unauthorized)", "auth whoami"},
		{"403", apierrors.NewForbidden(schema.GroupResource{}, "", errors.New(`User "x" cannot get path "/version"`)),
			"forbids reading /version (403 Forbidden)", "system:public-info-viewer"},
		{"404", apierrors.NewNotFound(schema.GroupResource{}, ""), "has no /version (404)", "proxy"},
		{"503", apierrors.NewServiceUnavailable("etcd down"), "answered 503: etcd down", "readyz"},
		{"exec plugin", fmt.Errorf("Get \"https://x/version\": getting credentials: exec: executable aws-iam not found"),
			"credential plugin failed", "ExecCredential"},
		{"other", errors.New("something odd"), "cannot reach the API server: something odd", "-v=8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, hint := kube.ClassifyConnError(tt.err)
			if !strings.Contains(msg, tt.message) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.message)
			}
			if !strings.Contains(hint, tt.hintWord) {
				t.Errorf("hint = %q, want it to contain %q", hint, tt.hintWord)
			}
		})
	}
	if msg, hint := kube.ClassifyConnError(nil); msg != "" || hint != "" {
		t.Errorf("classifyConnError(nil) = %q, %q", msg, hint)
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "Client.Timeout exceeded while awaiting headers" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// The tests below talk to real local servers: the errors are those client-go really returns.

func TestAPIReachableHealthy(t *testing.T) {
	srv := httptest.NewTLSServer(checktest.VersionHandler(0))
	defer srv.Close()
	r := runAPIReachable(t.Context(), reachEnv(t, srv.URL, srv.Certificate(), "", 0))
	if r.Status != checks.StatusOK {
		t.Fatalf("status = %v (%s), want ok", r.Status, r.Summary)
	}
	if !strings.Contains(r.Summary, "v1.37.2") || !hasEvidence(r, "GET /version answered in") {
		t.Errorf("summary %q / findings %+v lack the version or the latency", r.Summary, r.Findings)
	}
}

func TestAPIReachableSlow(t *testing.T) {
	if testing.Short() {
		t.Skip("takes over two seconds")
	}
	srv := httptest.NewTLSServer(checktest.VersionHandler(apiSlow + 100*time.Millisecond))
	defer srv.Close()
	r := runAPIReachable(t.Context(), reachEnv(t, srv.URL, srv.Certificate(), "", 0))
	if r.Status != checks.StatusWarn || !strings.Contains(r.Summary, "slow") {
		t.Fatalf("got %v %q, want a slow warning", r.Status, r.Summary)
	}
}

func TestAPIReachableFailures(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedURL := "https://" + closed.Addr().String()
	closed.Close()

	good := httptest.NewTLSServer(checktest.VersionHandler(0))
	defer good.Close()

	unauthorized := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`)
	}))
	defer unauthorized.Close()

	hang := make(chan struct{})
	defer close(hang)
	silent := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	defer silent.Close()

	plain := httptest.NewServer(checktest.VersionHandler(0))
	defer plain.Close()

	ca := checktest.NewCA(t)
	expired := ca.Server(t, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour), "127.0.0.1")
	defer expired.Close()
	future := ca.Server(t, time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour), "127.0.0.1")
	defer future.Close()
	wrongName := ca.Server(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "api.example.com")
	defer wrongName.Close()

	other := checktest.NewCA(t)
	tests := []struct {
		name    string
		server  string
		ca      *x509.Certificate
		token   string
		message string
	}{
		{"closed port", closedURL, good.Certificate(), "", "connection refused at 127.0.0.1:"},
		{"wrong CA", good.URL, other.Cert, "", "signed by an authority the kubeconfig does not trust"},
		{"unknown token", unauthorized.URL, unauthorized.Certificate(), "not-a-real-token", "rejected the credentials (401"},
		{"no answer", silent.URL, silent.Certificate(), "", "did not answer GET /version within the request timeout (500ms): the request was sent and no answer came"},
		{"plain http", strings.Replace(plain.URL, "http:", "https:", 1), good.Certificate(), "", "does not speak TLS"},
		{"expired", expired.URL, ca.Cert, "", "(CN=kube-apiserver) expired on"},
		{"not yet valid", future.URL, ca.Cert, "", "is not valid yet"},
		{"wrong name", wrongName.URL, ca.Cert, "", `not valid for "127.0.0.1" (it names api.example.com)`},
		{"unresolvable", "https://kockpit-test.invalid:6443", good.Certificate(), "", "kockpit-test.invalid"},
	}
	const timeout = 500 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := reachEnv(t, tt.server, tt.ca, tt.token, timeout)
			start := time.Now()
			r := runAPIReachable(t.Context(), env)
			if took := time.Since(start); took > 2*timeout {
				t.Errorf("took %s, want at most the request timeout %s", took, timeout)
			}
			if r.Status != checks.StatusFail {
				t.Fatalf("status = %v (%s), want fail", r.Status, r.Summary)
			}
			if !strings.Contains(r.Summary, tt.message) {
				t.Errorf("summary = %q, want it to contain %q", r.Summary, tt.message)
			}
			if tt.token != "" {
				for _, f := range r.Findings {
					if strings.Contains(fmt.Sprint(f), tt.token) {
						t.Errorf("the token leaked into a finding: %+v", f)
					}
				}
			}
		})
	}
}

// reachEnv is an Env whose cluster is the server at url, trusting ca.
func reachEnv(t *testing.T, server string, ca *x509.Certificate, token string, timeout time.Duration) *checks.Env {
	t.Helper()
	cfg := &rest.Config{Host: server, BearerToken: token, Timeout: timeout}
	if ca != nil {
		cfg.TLSClientConfig.CAData = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
	}
	c, err := kube.NewCluster(cfg, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &checks.Env{Cluster: c, Now: time.Now}
}

func TestAPIReachableMasksAPasswordInTheServerURL(t *testing.T) {
	r := runAPIReachable(t.Context(), reachEnv(t, "https://admin:kockpit-secret@127.0.0.1:1", nil, "", time.Second))
	if r.Status != checks.StatusFail || !hasEvidence(r, "server: https://admin:") {
		t.Fatalf("got %v %q %+v, want a failure quoting the server", r.Status, r.Summary, r.Findings)
	}
	if s := fmt.Sprint(r); strings.Contains(s, "kockpit-secret") {
		t.Errorf("the password in the server URL leaked: %s", s)
	}
}

func hasEvidence(r checks.Result, sub string) bool {
	for _, f := range r.Findings {
		for _, e := range f.Evidence {
			if strings.Contains(e, sub) {
				return true
			}
		}
	}
	return false
}

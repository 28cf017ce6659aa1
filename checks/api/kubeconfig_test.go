package api

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube"
)

var kcNow = time.Now().Truncate(time.Second)

// testKubeconfig is a complete kubeconfig: context "kind-kockpit" → cluster "kind-kockpit" and
// user "kind-kockpit", with a client certificate valid for a year.
func testKubeconfig(t *testing.T) *kube.Kubeconfig {
	t.Helper()
	ca := checktest.NewCA(t)
	cert := ca.Leaf(t, "kubernetes-admin", kcNow.Add(-time.Hour), kcNow.Add(365*24*time.Hour), "kubernetes-admin")
	cert.Subject.Organization = nil
	const file = "/home/guest/.kube/config"
	return &kube.Kubeconfig{
		Files:   []string{file},
		Context: "kind-kockpit",
		Raw: clientcmdapi.Config{
			CurrentContext: "kind-kockpit",
			Contexts: map[string]*clientcmdapi.Context{
				"kind-kockpit": {LocationOfOrigin: file, Cluster: "kind-kockpit", AuthInfo: "kind-kockpit"},
			},
			Clusters: map[string]*clientcmdapi.Cluster{
				"kind-kockpit": {LocationOfOrigin: file, Server: "https://127.0.0.1:6443", CertificateAuthorityData: checktest.PEMCert(ca.Cert.Raw)},
			},
			AuthInfos: map[string]*clientcmdapi.AuthInfo{
				"kind-kockpit": {LocationOfOrigin: file, ClientCertificateData: checktest.PEMCert(cert.Raw), ClientKeyData: []byte("-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0\n-----END EC PRIVATE KEY-----\n")},
			},
		},
	}
}

func fakeJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + ".c2lnbmF0dXJl"
}

func runKubeconfigWith(t *testing.T, kc *kube.Kubeconfig, path string) checks.Result {
	t.Helper()
	return runKubeconfig(t.Context(), &checks.Env{Kubeconfig: kc, Now: func() time.Time { return kcNow }, Path: path})
}

func findingMessages(r checks.Result) string {
	var lines []string
	for _, f := range r.Findings {
		lines = append(lines, fmt.Sprintf("%v %s", f.Severity, f.Message))
	}
	return strings.Join(lines, "\n")
}

func TestKubeconfigHealthy(t *testing.T) {
	r := runKubeconfigWith(t, testKubeconfig(t), "")
	if r.Status != checks.StatusOK {
		t.Fatalf("status = %v: %s", r.Status, findingMessages(r))
	}
	if len(r.Findings) != 1 || r.Findings[0].Evidence[0] != "credentials: client certificate (user kubernetes-admin)" ||
		r.Findings[0].File.Path != "/home/guest/.kube/config" {
		t.Errorf("findings = %+v", r.Findings)
	}
	if strings.Contains(fmt.Sprint(r), "c2VjcmV0") {
		t.Error("the private key leaked into the result")
	}
}

func TestKubeconfigInCluster(t *testing.T) {
	r := runKubeconfigWith(t, &kube.Kubeconfig{InCluster: true}, "")
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotApplicable {
		t.Errorf("got %v %q", r.Status, r.Summary)
	}
}

func TestKubeconfigBroken(t *testing.T) {
	ca := checktest.NewCA(t)
	plugins := t.TempDir()
	if err := os.WriteFile(filepath.Join(plugins, "kubelogin"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	token := fakeJWT(fmt.Sprintf(`{"sub":"system:serviceaccount:kube-system:guest","iss":"https://kubernetes.default.svc","exp":%d}`, kcNow.Add(-time.Hour).Unix()))

	tests := []struct {
		name   string
		mutate func(kc *kube.Kubeconfig)
		status checks.Status
		want   []string // every line of findingMessages that is not OK, in order
		ok     string   // the credentials evidence, when the user is found
	}{
		{name: "no contexts", mutate: func(kc *kube.Kubeconfig) { kc.Raw.Contexts = nil; kc.Context = "" },
			status: checks.StatusFail, want: []string{"fail the kubeconfig has no contexts"}},
		{name: "no current context", mutate: func(kc *kube.Kubeconfig) { kc.Context = "" },
			status: checks.StatusFail, want: []string{"fail no current context is set"}},
		{name: "current context with a look-alike", mutate: func(kc *kube.Kubeconfig) { kc.Context = "kind-kоckpit" },
			status: checks.StatusFail, want: []string{
				`fail the current context "kind-kоckpit" has characters outside ASCII`,
				`fail the current context "kind-kоckpit" does not exist`}},
		{name: "cluster missing", mutate: func(kc *kube.Kubeconfig) { kc.Raw.Contexts["kind-kockpit"].Cluster = "kind" },
			status: checks.StatusFail, want: []string{`fail context "kind-kockpit" names cluster "kind", which does not exist`},
			ok: "credentials: client certificate (user kubernetes-admin)"},
		{name: "user missing", mutate: func(kc *kube.Kubeconfig) { kc.Raw.Contexts["kind-kockpit"].AuthInfo = "admin" },
			status: checks.StatusFail, want: []string{`fail context "kind-kockpit" names user "admin", which does not exist`}},
		{name: "server with a Cyrillic letter", mutate: func(kc *kube.Kubeconfig) {
			kc.Raw.Clusters["kind-kockpit"].Server = "https://api.сluster.example:6443"
		}, status: checks.StatusFail, want: []string{`fail the server of cluster "kind-kockpit" "https://api.сluster.example:6443" has characters outside ASCII`},
			ok: "credentials: client certificate (user kubernetes-admin)"},
		{name: "a look-alike name and its references are one finding", mutate: func(kc *kube.Kubeconfig) {
			ctx := kc.Raw.Contexts["kind-kockpit"]
			delete(kc.Raw.Contexts, "kind-kockpit")
			kc.Raw.Contexts["kind-kоckpit"], kc.Context = ctx, "kind-kоckpit"
		}, status: checks.StatusFail, want: []string{`fail the current context "kind-kоckpit" has characters outside ASCII`},
			ok: "credentials: client certificate (user kubernetes-admin)"},
		{name: "accented namespace only warns", mutate: func(kc *kube.Kubeconfig) { kc.Raw.Contexts["kind-kockpit"].Namespace = "équipe" },
			status: checks.StatusWarn, want: []string{`warn the namespace of context "kind-kockpit" "équipe" has characters outside ASCII`},
			ok: "credentials: client certificate (user kubernetes-admin)"},
		{name: "expired client certificate", mutate: func(kc *kube.Kubeconfig) {
			c := ca.Leaf(t, "kubernetes-admin", kcNow.Add(-48*time.Hour), kcNow.Add(-time.Hour), "x")
			kc.Raw.AuthInfos["kind-kockpit"].ClientCertificateData = checktest.PEMCert(c.Raw)
		}, status: checks.StatusFail, want: []string{fmt.Sprintf(`fail the client certificate of user "kind-kockpit" expired on %s`,
			kcNow.Add(-time.Hour).UTC().Format(time.RFC3339))}, ok: "credentials: client certificate (user kubernetes-admin)"},
		{name: "client certificate expiring in three days", mutate: func(kc *kube.Kubeconfig) {
			c := ca.Leaf(t, "kubernetes-admin", kcNow.Add(-48*time.Hour), kcNow.Add(72*time.Hour), "x")
			kc.Raw.AuthInfos["kind-kockpit"].ClientCertificateData = checktest.PEMCert(c.Raw)
		}, status: checks.StatusWarn, want: []string{`warn the client certificate of user "kind-kockpit" expires in 72h0m0s`},
			ok: "credentials: client certificate (user kubernetes-admin)"},
		{name: "client certificate not yet valid", mutate: func(kc *kube.Kubeconfig) {
			c := ca.Leaf(t, "kubernetes-admin", kcNow.Add(time.Hour), kcNow.Add(48*time.Hour), "x")
			kc.Raw.AuthInfos["kind-kockpit"].ClientCertificateData = checktest.PEMCert(c.Raw)
		}, status: checks.StatusFail, want: []string{fmt.Sprintf(`fail the client certificate of user "kind-kockpit" is not valid until %s`,
			kcNow.Add(time.Hour).UTC().Format(time.RFC3339))}, ok: "credentials: client certificate (user kubernetes-admin)"},
		{name: "client certificate file missing", mutate: func(kc *kube.Kubeconfig) {
			u := kc.Raw.AuthInfos["kind-kockpit"]
			u.ClientCertificateData, u.ClientCertificate = nil, "/nonexistent/client.crt"
		}, status: checks.StatusFail, want: []string{`fail user "kind-kockpit": the client certificate file cannot be read`},
			ok: "credentials: client certificate from /nonexistent/client.crt (unreadable)"},
		{name: "expired service account token", mutate: func(kc *kube.Kubeconfig) {
			kc.Raw.AuthInfos["kind-kockpit"] = &clientcmdapi.AuthInfo{Token: token}
		}, status: checks.StatusFail, want: []string{fmt.Sprintf(`fail the token of user "kind-kockpit" expired on %s`, kcNow.Add(-time.Hour).UTC().Format(time.RFC3339))},
			ok: fmt.Sprintf("credentials: bearer token (JWT for system:serviceaccount:kube-system:guest, expired %s)", kcNow.Add(-time.Hour).UTC().Format(time.RFC3339))},
		{name: "opaque token", mutate: func(kc *kube.Kubeconfig) {
			kc.Raw.AuthInfos["kind-kockpit"] = &clientcmdapi.AuthInfo{Token: "abcdef.0123456789abcdef"}
		}, status: checks.StatusOK, ok: "credentials: bearer token (opaque)"},
		{name: "exec plugin missing", mutate: func(kc *kube.Kubeconfig) {
			kc.Raw.AuthInfos["kind-kockpit"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{Command: "aws", Args: []string{"--secret-arg"}, InstallHint: "install the AWS CLI"}}
		}, status: checks.StatusFail, want: []string{`fail the credential plugin "aws" of user "kind-kockpit" cannot run: not found on PATH`},
			ok: `credentials: exec credential plugin "aws"`},
		{name: "exec plugin present", mutate: func(kc *kube.Kubeconfig) {
			kc.Raw.AuthInfos["kind-kockpit"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{Command: "kubelogin"}}
		}, status: checks.StatusOK, ok: `credentials: exec credential plugin "kubelogin"`},
		{name: "impersonation", mutate: func(kc *kube.Kubeconfig) {
			kc.Raw.AuthInfos["kind-kockpit"].Impersonate = "system:serviceaccount:default:nobody"
		}, status: checks.StatusWarn, want: []string{`warn user "kind-kockpit" impersonates "system:serviceaccount:default:nobody": every request runs as that user`},
			ok: "credentials: client certificate (user kubernetes-admin)"},
		{name: "no credentials", mutate: func(kc *kube.Kubeconfig) { kc.Raw.AuthInfos["kind-kockpit"] = &clientcmdapi.AuthInfo{} },
			status: checks.StatusWarn, want: []string{`warn user "kind-kockpit" has no credentials: requests are anonymous`},
			ok: "credentials: none: requests are anonymous"},
		{name: "expired CA", mutate: func(kc *kube.Kubeconfig) {
			c := ca.Leaf(t, "old-ca", kcNow.Add(-48*time.Hour), kcNow.Add(-time.Hour), "x")
			kc.Raw.Clusters["kind-kockpit"].CertificateAuthorityData = checktest.PEMCert(c.Raw)
		}, status: checks.StatusFail, want: []string{fmt.Sprintf(`fail the CA of cluster "kind-kockpit" expired on %s`,
			kcNow.Add(-time.Hour).UTC().Format(time.RFC3339))}, ok: "credentials: client certificate (user kubernetes-admin)"},
		{name: "insecure and no server", mutate: func(kc *kube.Kubeconfig) {
			kc.Raw.Clusters["kind-kockpit"] = &clientcmdapi.Cluster{InsecureSkipTLSVerify: true}
		}, status: checks.StatusFail, want: []string{`fail cluster "kind-kockpit" has no server URL`,
			`warn cluster "kind-kockpit" switches TLS verification off (insecure-skip-tls-verify)`},
			ok: "credentials: client certificate (user kubernetes-admin)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := testKubeconfig(t)
			tt.mutate(kc)
			r := runKubeconfigWith(t, kc, plugins)
			var bad []string
			var creds string
			for _, f := range r.Findings {
				if f.Severity > checks.StatusOK {
					bad = append(bad, fmt.Sprintf("%v %s", f.Severity, f.Message))
				} else {
					creds = f.Evidence[0]
				}
				if f.File == nil || f.File.Path != "/home/guest/.kube/config" {
					t.Errorf("finding %q points at %+v, want the kubeconfig", f.Message, f.File)
				}
				if s := fmt.Sprint(f); strings.Contains(s, token) || strings.Contains(s, "0123456789abcdef") || strings.Contains(s, "--secret-arg") {
					t.Errorf("a secret leaked into %+v", f)
				}
			}
			if r.Status != tt.status {
				t.Errorf("status = %v, want %v", r.Status, tt.status)
			}
			if strings.Join(bad, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(bad, "\n"), strings.Join(tt.want, "\n"))
			}
			if creds != tt.ok {
				t.Errorf("credentials evidence = %q, want %q", creds, tt.ok)
			}
		})
	}
}

func TestKubeconfigLookalikeContextEvidence(t *testing.T) {
	kc := testKubeconfig(t)
	kc.Context = "kind-kоckpit"
	r := runKubeconfigWith(t, kc, "")
	var missing checks.Finding
	for _, f := range r.Findings {
		if strings.Contains(f.Message, "does not exist") {
			missing = f
		}
	}
	ev := strings.Join(missing.Evidence, "\n")
	for _, want := range []string{`existing: "kind-kockpit"`, `"kind-kоckpit" looks the same as "kind-kockpit" but is another name:`,
		`column 7: о U+043E CYRILLIC SMALL LETTER O (looks like "o")`} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence %q lacks %q", ev, want)
		}
	}
	if !strings.Contains(missing.Hint, "look-alike") {
		t.Errorf("hint = %q", missing.Hint)
	}
}

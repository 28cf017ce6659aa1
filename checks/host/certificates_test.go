//go:build linux

package host

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

func pemKey(t *testing.T, key *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
}

func pemPublicKey(t *testing.T, key *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// certPair writes NAME.crt and NAME.key with the dates, and returns the key's PEM.
func certPair(t *testing.T, tr *hosttest.Tree, ca *checktest.Authority, name, cn string, from, to time.Time) string {
	t.Helper()
	cert, key := ca.LeafPair(t, cn, from, to, "localhost")
	k := pemKey(t, key)
	tr.File(name+".crt", string(checktest.PEMCert(cert.Raw)), 0o644).File(name+".key", k, 0o600)
	return k
}

func kubeconfigWith(caPEM, certPEM, keyPEM string) string {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: %s
users:
- name: kubernetes-admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: kubernetes-admin@kubernetes
  context: {cluster: kubernetes, user: kubernetes-admin}
current-context: kubernetes-admin@kubernetes
`, b64(caPEM), b64(certPEM), b64(keyPEM))
}

func TestHostCertificates(t *testing.T) {
	now := time.Now()
	year := 365 * 24 * time.Hour
	ca := checktest.NewCA(t)
	caPEM := string(checktest.PEMCert(ca.Cert.Raw))
	pki := "/etc/kubernetes/pki/"
	tr := hosttest.New(t).File(pki+"ca.crt", caPEM, 0o644).File(pki+"ca.key", pemKey(t, ca.Key), 0o600)
	keys := []string{
		certPair(t, tr, ca, pki+"apiserver", "kube-apiserver", now.Add(-year), now.Add(-26*time.Hour)),
		certPair(t, tr, ca, pki+"apiserver-kubelet-client", "kube-apiserver-kubelet-client", now.Add(-year), now.Add(3*24*time.Hour+time.Hour)),
		certPair(t, tr, ca, pki+"front-proxy-client", "front-proxy-client", now.Add(-time.Hour), now.Add(year)),
		certPair(t, tr, ca, pki+"etcd/server", "etcd-server", now.Add(48*time.Hour), now.Add(year)),
		certPair(t, tr, ca, pki+"other", "other", now.Add(-time.Hour), now.Add(year)),
	}
	// A key swapped for another one.
	tr.File(pki+"front-proxy-client.key", keys[4], 0o600)
	tr.File(pki+"etcd/peer.crt", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", 0o644)
	_, sa := ca.LeafPair(t, "sa", now, now.Add(year), "sa")
	_, other := ca.LeafPair(t, "x", now, now.Add(year), "x")
	tr.File(pki+"sa.key", pemKey(t, sa), 0o600).File(pki+"sa.pub", pemPublicKey(t, other), 0o644)

	// The kubelet's own: one file with both, reached through a link, as the kubelet writes it.
	kc, kk := ca.LeafPair(t, "system:node:cp1", now.Add(-time.Hour), now.Add(year), "cp1")
	tr.File("/var/lib/kubelet/pki/kubelet-client-2026.pem", string(checktest.PEMCert(kc.Raw))+pemKey(t, kk), 0o600).
		Symlink("/var/lib/kubelet/pki/kubelet-client-current.pem", "/var/lib/kubelet/pki/kubelet-client-2026.pem").
		File("/etc/kubernetes/kubelet.conf", "apiVersion: v1\nkind: Config\nusers:\n- name: default-auth\n  user:\n    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n", 0o600)

	// admin.conf: an expired client certificate with a key from another pair.
	admin, _ := ca.LeafPair(t, "kubernetes-admin", now.Add(-year), now.Add(-time.Hour), "admin")
	tr.File("/etc/kubernetes/admin.conf", kubeconfigWith(caPEM, string(checktest.PEMCert(admin.Raw)), keys[4]), 0o600)

	r := checktest.RunCheck(t, hostEnv(tr), "host.certificates")
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, tr, pki+"apiserver.crt", pki+"apiserver.crt expired 26h ago", checks.StatusFail)
	ev := strings.Join(f.Evidence, "\n")
	if !strings.Contains(ev, "subject: CN=kube-apiserver") || !strings.Contains(ev, "valid from ") || f.Commands[0].String() != "openssl x509 -noout -subject -issuer -dates -in "+tr.Path(pki+"apiserver.crt") {
		t.Errorf("evidence %q commands %q", f.Evidence, f.Commands)
	}
	if !strings.Contains(f.Hint, "kubeadm certs renew all") {
		t.Errorf("hint %q", f.Hint)
	}
	requireFinding(t, r, tr, pki+"apiserver-kubelet-client.crt", "expires in 3d", checks.StatusWarn)
	requireFinding(t, r, tr, pki+"front-proxy-client.key", "does not belong to "+pki+"front-proxy-client.crt", checks.StatusFail)
	requireFinding(t, r, tr, pki+"etcd/server.crt", "is not valid until", checks.StatusFail)
	requireFinding(t, r, tr, pki+"etcd/peer.crt", "holds no PEM certificate", checks.StatusFail)
	f = requireFinding(t, r, tr, pki+"sa.key", "does not belong to "+pki+"sa.pub", checks.StatusFail)
	if !strings.HasPrefix(f.Commands[0].String(), "diff "+tr.Path(pki+"sa.pub")+" <(openssl pkey -pubout -in ") {
		t.Errorf("command %q", f.Commands)
	}
	requireFinding(t, r, tr, "/etc/kubernetes/admin.conf", `the client certificate of user "kubernetes-admin" (embedded in /etc/kubernetes/admin.conf) expired`, checks.StatusFail)
	requireFinding(t, r, tr, "/etc/kubernetes/admin.conf", `user "kubernetes-admin" in /etc/kubernetes/admin.conf has a client key that does not belong to its certificate`, checks.StatusFail)
	for _, p := range []string{pki + "ca.crt", pki + "other.crt", "/var/lib/kubelet/pki/kubelet-client-2026.pem", "/var/lib/kubelet/pki/kubelet-client-current.pem", "/etc/kubernetes/kubelet.conf"} {
		for _, f := range r.Findings {
			if f.File != nil && f.File.Path == tr.Path(p) && f.Severity > checks.StatusOK {
				t.Errorf("a valid certificate is flagged: %s", f.Message)
			}
		}
	}
	// No key material, ever.
	for _, f := range r.Findings {
		text := f.Message + strings.Join(f.Evidence, "") + f.Hint + strings.Join(checktest.Lines(f.Commands), "")
		for _, k := range append(keys, pemKey(t, kk), pemKey(t, sa)) {
			body := strings.Split(k, "\n")[1]
			if strings.Contains(text, body) || strings.Contains(text, "PRIVATE KEY-----") {
				t.Fatalf("a finding shows key material: %s", text)
			}
		}
	}
}

func TestHostCertificatesHealthy(t *testing.T) {
	now := time.Now()
	ca := checktest.NewCA(t)
	tr := hosttest.New(t).File("/etc/kubernetes/pki/ca.crt", string(checktest.PEMCert(ca.Cert.Raw)), 0o644).File("/etc/kubernetes/pki/ca.key", pemKey(t, ca.Key), 0o600)
	certPair(t, tr, ca, "/etc/kubernetes/pki/apiserver", "kube-apiserver", now.Add(-time.Hour), now.Add(365*24*time.Hour))
	r := checktest.RunCheck(t, hostEnv(tr), "host.certificates")
	noProblems(t, r)
	if len(r.Findings) != 1 || len(r.Findings[0].Evidence) != 2 || !strings.Contains(strings.Join(r.Findings[0].Evidence, "\n"), "CN=kube-apiserver, expires") {
		t.Errorf("findings:\n%s", describeFindings(r))
	}
}

package host

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/certinfo"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
)

// certificatesCheck is the host.certificates check.
var certificatesCheck = checks.Check{
	ID:       "host.certificates",
	Title:    "The node's Kubernetes certificates are valid and match their keys",
	Category: checks.CategoryHost,
	Learn:    learn("host.certificates"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runHostCertificates),
}

// certDirs hold the node's PEM certificates and keys.
var certDirs = []string{"/etc/kubernetes/pki", "/var/lib/kubelet/pki"}

// nodeCert is one certificate found on the node, with where it came from.
type nodeCert struct {
	cert *x509.Certificate
	file string // node path
	// what names it in messages: "/etc/kubernetes/pki/apiserver.crt" or "the client certificate of
	// user kubernetes-admin in /etc/kubernetes/admin.conf".
	what string
	// command shows the same certificate with openssl.
	command checks.Command
	// renew says how to renew it.
	renew string
}

func runHostCertificates(ctx context.Context, n *nodefs.FS) checks.Result {
	var certs []nodeCert
	var findings []checks.Finding
	for _, dir := range certDirs {
		c, f := pkiCertificates(ctx, n, dir)
		certs, findings = append(certs, c...), append(findings, f...)
	}
	kubeconfigs, cov := filesIn(ctx, n, "/etc/kubernetes", ".conf")
	cov.Judged = 0
	budget := n.Budget()
	for _, p := range kubeconfigs {
		if budget.Spent() {
			cov.TimedOut = true
			break
		}
		cov.Judged++
		c, f := kubeconfigCertificates(ctx, n, p)
		certs, findings = append(certs, c...), append(findings, f...)
	}
	if f := cov.Finding(n); f != nil {
		findings = append(findings, *f)
	}
	if len(certs) == 0 && len(findings) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "no certificates under "+n.Display("/etc/kubernetes")+" or "+n.Display("/var/lib/kubelet/pki"))
	}
	var valid []string
	for _, c := range certs {
		if f, bad := certValidity(n, c); bad {
			findings = append(findings, f)
			continue
		}
		valid = append(valid, fmt.Sprintf("%s: %s, expires %s (%s)", c.what, subjectText(c.cert), phrase.Stamp(c.cert.NotAfter), until(n.Now, c.cert.NotAfter)))
	}
	if len(valid) > 0 {
		findings = append(findings, checks.Finding{Severity: checks.StatusOK,
			Message:  fmt.Sprintf("%d certificates are valid for more than %d days", len(valid), int(certinfo.ExpiringWithin.Hours()/24)),
			Evidence: valid, Commands: []checks.Command{checks.Cmd("kubeadm", "certs", "check-expiration")}})
	}
	return n.Result(findings, fmt.Sprintf("%d certificates valid, keys match", len(certs)))
}

// certValidity judges a certificate's dates: expired or not yet valid (Fail), expiring soon
// (Warn). bad is false when it is fine.
func certValidity(n *nodefs.FS, c nodeCert) (checks.Finding, bool) {
	cert := c.cert
	f := checks.Finding{File: n.Ref(c.file, 0, 0), Commands: []checks.Command{c.command, checks.Cmd("kubeadm", "certs", "check-expiration")}, Hint: c.renew,
		Evidence: []string{"subject: " + subjectText(cert), "issuer: " + cert.Issuer.String(),
			fmt.Sprintf("valid from %s to %s", phrase.Stamp(cert.NotBefore), phrase.Stamp(cert.NotAfter))}}
	switch left := cert.NotAfter.Sub(n.Now); {
	case !cert.NotAfter.After(n.Now):
		f.Severity, f.Cause = checks.StatusFail, true
		f.Message = fmt.Sprintf("%s expired %s: TLS with it fails (\"certificate has expired or is not yet valid\")", c.what, phrase.Ago(n.Now, cert.NotAfter))
	case cert.NotBefore.After(n.Now):
		f.Severity, f.Cause = checks.StatusFail, true
		f.Message = fmt.Sprintf("%s is not valid until %s: the node's clock is behind, or it was issued with a future date", c.what, phrase.Stamp(cert.NotBefore))
		f.Hint = "Check the clock (date; timedatectl; chronyc tracking); if it is right, renew the certificate."
	case left < certinfo.ExpiringWithin:
		f.Severity = checks.StatusWarn
		f.Message = fmt.Sprintf("%s expires %s, on %s", c.what, until(n.Now, cert.NotAfter), phrase.Stamp(cert.NotAfter))
	default:
		return checks.Finding{}, false
	}
	return f, true
}

// until says how long until a time: "in 3d4h".
func until(now, t time.Time) string {
	if !t.After(now) {
		return "now"
	}
	return "in " + phrase.Duration(t.Sub(now))
}

func subjectText(c *x509.Certificate) string {
	if s := c.Subject.String(); s != "" {
		return s
	}
	return "(empty subject)"
}

// pkiCertificates reads the PEM files of a pki directory (and its subdirectories, etcd/), and
// checks each key against its certificate: apiserver.key with apiserver.crt, sa.key with
// sa.pub, a combined kubelet-client-current.pem with itself.
func pkiCertificates(ctx context.Context, n *nodefs.FS, dir string) ([]nodeCert, []checks.Finding) {
	var certs []nodeCert
	var findings []checks.Finding
	pems := map[string]host.File{}
	res, err := n.Walk(ctx, dir, host.WalkOptions{MaxDepth: 3, MaxEntries: 2000}, func(e host.Entry) error {
		switch path.Ext(e.Path) {
		case ".crt", ".pem", ".key", ".pub":
		default:
			return nil
		}
		if e.IsRegular() || e.Mode&fs.ModeSymlink != 0 {
			pems[e.Path] = host.File{Entry: e}
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, []checks.Finding{n.Unreadable(dir, err)}
	}
	if res.Truncated {
		findings = append(findings, truncatedWalkFinding(n, dir, res))
	}
	names := sortedKeys(pems)
	budget := n.Budget()
	for i, p := range names {
		if budget.Spent() {
			findings = append(findings, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(dir, 0, 0),
				Message:  fmt.Sprintf("%s holds %d PEM files, too many to judge fully within %s: the first %d by name were read, nothing is concluded about the rest", dir, len(names), n.Limits().MaxDirTime, i),
				Commands: []checks.Command{checks.Cmd("find", n.Display(dir), "-maxdepth", "3").Pipe("wc", "-l")}})
			names = names[:i]
			break
		}
		f, err := n.ReadFile(ctx, p)
		if err != nil {
			findings = append(findings, n.Unreadable(p, err))
			continue
		}
		pems[p] = f
	}
	for _, p := range names {
		data := pems[p].Data
		if data == nil {
			continue
		}
		blocks := pemBlocks(data)
		if ext := path.Ext(p); (ext == ".crt" || ext == ".pem") && len(blocks["CERTIFICATE"]) == 0 && len(privateKeys(blocks)) == 0 {
			findings = append(findings, corruptPEMFinding(n, p, "holds no PEM certificate"))
			continue
		}
		for i, der := range blocks["CERTIFICATE"] {
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				findings = append(findings, corruptPEMFinding(n, p, fmt.Sprintf("holds a certificate that does not parse (%v)", err)))
				continue
			}
			what := p
			if len(blocks["CERTIFICATE"]) > 1 {
				what = fmt.Sprintf("certificate %d of %s", i+1, p)
			}
			certs = append(certs, nodeCert{cert: cert, file: p, what: what,
				command: checks.Cmd("openssl", "x509", "-noout", "-subject", "-issuer", "-dates", "-in", n.Display(p)),
				renew:   pkiRenewHint(n, p)})
		}
		findings = append(findings, keyPairFindings(n, p, pems)...)
	}
	return certs, findings
}

func pkiRenewHint(n *nodefs.FS, p string) string {
	if strings.HasPrefix(p, "/var/lib/kubelet/") {
		return "The kubelet renews its certificates itself when rotateCertificates is on; an expired client certificate needs " +
			"a new one: on a kubeadm node, `kubeadm kubeconfig user` on the control plane or a rejoin (kubeadm reset; kubeadm join)."
	}
	return "Renew with `kubeadm certs renew all` on this control-plane node, then restart the control plane's static pods " +
		"(move their manifests out of " + n.Display(kubeadmManifests) + " and back) and the kubelet."
}

func corruptPEMFinding(n *nodefs.FS, p, what string) checks.Finding {
	return checks.Finding{Severity: checks.StatusFail, File: n.Ref(p, 0, 0), Cause: true,
		Message:  fmt.Sprintf("%s %s: whatever uses it fails to start or to talk TLS", p, what),
		Hint:     "Restore it from a backup or regenerate it (kubeadm init phase certs ...).",
		Commands: []checks.Command{checks.Cmd("openssl", "x509", "-noout", "-text", "-in", n.Display(p)), checks.Cmd("head", "-c", "64", n.Display(p)).Pipe("od", "-c")}}
}

// pemBlocks decodes every PEM block, by type; the bytes of keys are only ever compared.
func pemBlocks(data []byte) map[string][][]byte {
	out := map[string][][]byte{}
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return out
		}
		out[b.Type] = append(out[b.Type], b.Bytes)
	}
}

// privateKeys parses the private keys among PEM blocks.
func privateKeys(blocks map[string][][]byte) []crypto.Signer {
	var out []crypto.Signer
	for typ, ders := range blocks {
		for _, der := range ders {
			var key any
			var err error
			switch typ {
			case "RSA PRIVATE KEY":
				key, err = x509.ParsePKCS1PrivateKey(der)
			case "EC PRIVATE KEY":
				key, err = x509.ParseECPrivateKey(der)
			case "PRIVATE KEY":
				key, err = x509.ParsePKCS8PrivateKey(der)
			default:
				continue
			}
			if s, ok := key.(crypto.Signer); ok && err == nil {
				out = append(out, s)
			}
		}
	}
	return out
}

func hasKeyBlock(blocks map[string][][]byte) bool {
	for typ := range blocks {
		if strings.HasSuffix(typ, "PRIVATE KEY") {
			return true
		}
	}
	return false
}

// keyPairFindings checks the key file p against its certificate (or public key): the pair is
// the file itself when it holds both, else NAME.crt for NAME.key and NAME.pub for sa.key.
func keyPairFindings(n *nodefs.FS, p string, pems map[string]host.File) []checks.Finding {
	blocks := pemBlocks(pems[p].Data)
	if !hasKeyBlock(blocks) {
		return nil
	}
	keys := privateKeys(blocks)
	if len(keys) == 0 {
		return []checks.Finding{{Severity: checks.StatusFail, File: n.Ref(p, 0, 0), Cause: true,
			Message:  fmt.Sprintf("the private key %s does not parse: whatever uses it cannot start", p),
			Hint:     "Restore it from a backup or regenerate the pair (kubeadm init phase certs ...).",
			Commands: []checks.Command{checks.Cmd("openssl", "pkey", "-noout", "-in", n.Display(p))}}}
	}
	pair, pub := p, crypto.PublicKey(nil)
	if certs := blocks["CERTIFICATE"]; len(certs) > 0 {
		if c, err := x509.ParseCertificate(certs[0]); err == nil {
			pub = c.PublicKey
		}
	} else {
		base := strings.TrimSuffix(p, path.Ext(p))
		for _, cand := range []string{base + ".crt", base + ".pub", base + ".pem"} {
			if f, ok := pems[cand]; ok && f.Data != nil {
				pair, pub = cand, publicKeyOf(pemBlocks(f.Data))
				break
			}
		}
	}
	if pub == nil {
		return nil
	}
	if eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); ok && eq.Equal(keys[0].Public()) {
		return nil
	}
	cmd := checks.Cmd("diff").Sub("<(", checks.Cmd("openssl", "x509", "-noout", "-pubkey", "-in", n.Display(pair)), ")")
	if path.Ext(pair) == ".pub" {
		cmd = checks.Cmd("diff", n.Display(pair))
	}
	cmd = cmd.Sub("<(", checks.Cmd("openssl", "pkey", "-pubout", "-in", n.Display(p)), ")")
	return []checks.Finding{{Severity: checks.StatusFail, File: n.Ref(p, 0, 0), Cause: true,
		Message:  fmt.Sprintf("the key %s does not belong to %s: TLS (or token signing) with the pair fails", p, pair),
		Evidence: []string{"key: " + n.Display(p), "paired with: " + n.Display(pair)},
		Hint:     "Restore the key that matches, or regenerate both (kubeadm init phase certs ...); a key never leaves its node, so look for a backup here.",
		Commands: []checks.Command{cmd}}}
}

func publicKeyOf(blocks map[string][][]byte) crypto.PublicKey {
	if certs := blocks["CERTIFICATE"]; len(certs) > 0 {
		if c, err := x509.ParseCertificate(certs[0]); err == nil {
			return c.PublicKey
		}
	}
	if pubs := blocks["PUBLIC KEY"]; len(pubs) > 0 {
		if k, err := x509.ParsePKIXPublicKey(pubs[0]); err == nil {
			return k
		}
	}
	return nil
}

// kubeconfigCertificates reads the certificates a kubeconfig embeds or names, and checks each
// user's key against its certificate.
func kubeconfigCertificates(ctx context.Context, n *nodefs.FS, p string) ([]nodeCert, []checks.Finding) {
	f, err := n.ReadFile(ctx, p)
	if err != nil {
		return nil, []checks.Finding{n.Unreadable(p, err)}
	}
	cfg, err := clientcmd.Load(f.Data)
	if err != nil {
		return nil, []checks.Finding{{Severity: checks.StatusFail, File: n.Ref(p, 0, 0), Cause: true,
			Message:  fmt.Sprintf("the kubeconfig %s does not parse: %s", p, firstLine(err.Error())),
			Hint:     "Restore it (kubeadm init phase kubeconfig ... regenerates the control plane's).",
			Commands: []checks.Command{checks.Cmd("kubectl", "--kubeconfig", n.Display(p), "config", "view")}}}
	}
	var certs []nodeCert
	var findings []checks.Finding
	show := func(selector string) checks.Command {
		return checks.Cmd("kubectl", "--kubeconfig", n.Display(p), "config", "view", "--raw", "-o", "jsonpath={"+selector+"}").
			Pipe("base64", "-d").Pipe("openssl", "x509", "-noout", "-subject", "-dates")
	}
	for _, name := range sortedKeys(cfg.AuthInfos) {
		u := cfg.AuthInfos[name]
		certPEM, keyPEM := u.ClientCertificateData, u.ClientKeyData
		where := "embedded in " + p
		if len(certPEM) == 0 && u.ClientCertificate != "" {
			cf, err := n.ReadFile(ctx, u.ClientCertificate)
			if err != nil {
				findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: n.Ref(p, 0, 0), Cause: true,
					Message:  fmt.Sprintf("user %q in %s names the client certificate %s, which cannot be read: %s", name, p, u.ClientCertificate, nodefs.ErrorText(err)),
					Commands: []checks.Command{checks.Cmd("ls", "-l", n.Display(u.ClientCertificate))}})
				continue
			}
			// The kubelet's kubeconfig names one file holding both (kubelet-client-current.pem),
			// which the pki walk checks already.
			certPEM, where = cf.Data, "named by "+p
			if u.ClientKey != "" && u.ClientKey != u.ClientCertificate {
				if kf, err := n.ReadFile(ctx, u.ClientKey); err == nil {
					keyPEM = kf.Data
				}
			}
			if strings.HasPrefix(u.ClientCertificate, "/var/lib/kubelet/pki/") {
				continue
			}
		}
		if c, err := certinfo.FirstPEM(certPEM); err == nil {
			certs = append(certs, nodeCert{cert: c, file: p,
				what:    fmt.Sprintf("the client certificate of user %q (%s)", name, where),
				command: show(fmt.Sprintf(`.users[?(@.name=="%s")].user.client-certificate-data`, name)),
				renew:   "Renew with `" + checks.Cmd("kubeadm", "certs", "renew", path.Base(p)).String() + "` on the control plane, then restart what uses it."})
			if keys := privateKeys(pemBlocks(keyPEM)); len(keys) > 0 {
				if eq, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && !eq.Equal(keys[0].Public()) {
					findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: n.Ref(p, 0, 0), Cause: true,
						Message:  fmt.Sprintf("user %q in %s has a client key that does not belong to its certificate: every request fails the TLS handshake", name, p),
						Hint:     "Regenerate the kubeconfig (kubeadm init phase kubeconfig ... or " + checks.Cmd("kubeadm", "certs", "renew", path.Base(p)).String() + ").",
						Commands: []checks.Command{checks.Cmd("kubectl", "--kubeconfig", n.Display(p), "get", "--raw", "/healthz")}})
				}
			}
		} else if len(certPEM) > 0 {
			findings = append(findings, corruptPEMFinding(n, p, fmt.Sprintf("holds a client certificate for user %q that does not parse", name)))
		}
	}
	for _, name := range sortedKeys(cfg.Clusters) {
		if c, err := certinfo.FirstPEM(cfg.Clusters[name].CertificateAuthorityData); err == nil {
			certs = append(certs, nodeCert{cert: c, file: p,
				what:    fmt.Sprintf("the CA of cluster %q in %s", name, p),
				command: show(fmt.Sprintf(`.clusters[?(@.name=="%s")].cluster.certificate-authority-data`, name)),
				renew:   "The cluster CA itself must be rotated (kubeadm does not renew CAs); check the clock first (date)."})
		}
	}
	sort.SliceStable(certs, func(i, j int) bool { return certs[i].what < certs[j].what })
	return certs, findings
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

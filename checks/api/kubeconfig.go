package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/certinfo"
	"github.com/kockpit/kockpit/internal/inputfile"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// kubeconfigCheck is the api.kubeconfig check.
var kubeconfigCheck = checks.Check{
	ID:       "api.kubeconfig",
	Title:    "The kubeconfig names a real context, cluster and user with valid credentials",
	Category: checks.CategoryAPI,
	Learn:    learn("api.kubeconfig"),
	Needs:    checks.NeedsKubeconfig,
	Run:      runKubeconfig,
}

func runKubeconfig(_ context.Context, env *checks.Env) checks.Result {
	kc := env.Kubeconfig
	if kc.InCluster {
		return checks.Skipped(checks.SkipNotApplicable, "not applicable: running in a pod with its ServiceAccount, no kubeconfig")
	}
	findings := inspectKubeconfig(kc, env.CurrentTime(), env.SearchPath())
	status := checks.Worst(findings)
	var bad []string
	for _, f := range findings {
		if f.Severity > checks.StatusOK {
			bad = append(bad, f.Message)
		}
	}
	switch {
	case len(bad) == 0:
		return checks.Result{Status: status, Findings: findings,
			Summary: fmt.Sprintf("context %q is complete and its credentials are valid", kc.Context)}
	case len(bad) == 1:
		return checks.Result{Status: status, Findings: findings, Summary: bad[0]}
	default:
		return checks.Result{Status: status, Findings: findings, Summary: fmt.Sprintf("%s (and %d more)", bad[0], len(bad)-1)}
	}
}

// inspectKubeconfig does the check's work; it reads only the certificate files the kubeconfig
// names and looks the credential plugin up on path.
func inspectKubeconfig(kc *kube.Kubeconfig, now time.Time, path string) []checks.Finding {
	k := kubeconfigInspector{kc: kc, now: now, path: path}
	findings := k.suspiciousNames()
	findings = append(findings, k.chain()...)
	return findings
}

type kubeconfigInspector struct {
	kc   *kube.Kubeconfig
	now  time.Time
	path string
}

// file is where a stanza came from, or the first kubeconfig file when that is unknown.
func (k kubeconfigInspector) file(origin string) *checks.FileRef {
	if origin != "" {
		return &checks.FileRef{Path: origin}
	}
	if len(k.kc.Files) > 0 {
		return &checks.FileRef{Path: k.kc.Files[0]}
	}
	return nil
}

// suspiciousNames reports every name and server URL with characters outside ASCII. A look-alike
// or an invisible character fails: it is how a context comes to name a cluster that is not the
// one it seems to.
func (k kubeconfigInspector) suspiciousNames() []checks.Finding {
	raw := k.kc.Raw
	type field struct{ what, value, origin string }
	var fields []field
	if k.kc.Context != "" {
		fields = append(fields, field{"current context", k.kc.Context, ""})
	}
	for _, name := range slices.Sorted(maps.Keys(raw.Contexts)) {
		c := raw.Contexts[name]
		fields = append(fields,
			field{"context name", name, c.LocationOfOrigin},
			field{fmt.Sprintf("cluster of context %q", name), c.Cluster, c.LocationOfOrigin},
			field{fmt.Sprintf("user of context %q", name), c.AuthInfo, c.LocationOfOrigin},
			field{fmt.Sprintf("namespace of context %q", name), c.Namespace, c.LocationOfOrigin})
	}
	for _, name := range slices.Sorted(maps.Keys(raw.Clusters)) {
		c := raw.Clusters[name]
		fields = append(fields, field{"cluster name", name, c.LocationOfOrigin},
			field{fmt.Sprintf("server of cluster %q", name), displayServer(c.Server), c.LocationOfOrigin})
	}
	for _, name := range slices.Sorted(maps.Keys(raw.AuthInfos)) {
		fields = append(fields, field{"user name", name, raw.AuthInfos[name].LocationOfOrigin})
	}
	var findings []checks.Finding
	seen := map[string]bool{} // a name and the references to it are one finding
	for _, f := range fields {
		chars := safetext.Suspicious(f.value)
		if len(chars) == 0 || seen[f.value] {
			continue
		}
		seen[f.value] = true
		sev := checks.StatusWarn
		for _, c := range chars {
			if c.LooksLike != "" || c.Reason != safetext.ReasonNonASCII {
				sev = checks.StatusFail
			}
		}
		findings = append(findings, checks.Finding{
			Severity: sev,
			File:     k.file(f.origin),
			Message:  fmt.Sprintf("the %s %q has characters outside ASCII", f.what, f.value),
			Evidence: safetext.Describe(chars),
			Hint: "Names and URLs that look right can differ by one character: retype the name in plain ASCII " +
				"in the kubeconfig, and check that every reference to it matches.",
			Commands: []checks.Command{checks.Cmd("kubectl", "config", "view", "-o", "yaml").Pipe("grep", "-nP", `[^\x00-\x7F]`)},
			Cause:    sev == checks.StatusFail,
		})
	}
	return findings
}

// chain follows current context → cluster and user, and inspects what they hold.
func (k kubeconfigInspector) chain() []checks.Finding {
	raw := k.kc.Raw
	name := k.kc.Context
	contexts := slices.Sorted(maps.Keys(raw.Contexts))
	list := "contexts: " + strings.Join(kubeconfigQuoted(contexts), ", ")
	switch {
	case len(raw.Contexts) == 0:
		return []checks.Finding{{
			Severity: checks.StatusFail, File: k.file(""),
			Message:  "the kubeconfig has no contexts",
			Evidence: []string{"files: " + strings.Join(k.kc.Files, ", ")},
			Hint: "kubectl has nothing to connect with. Point --kubeconfig or KUBECONFIG at the right file (on a " +
				"kubeadm control plane: /etc/kubernetes/admin.conf).",
			Commands: []checks.Command{checks.Cmd("kubectl", "config", "view")},
		}}
	case name == "":
		return []checks.Finding{{
			Severity: checks.StatusFail, File: k.file(""),
			Message:  "no current context is set",
			Evidence: []string{list},
			Hint:     "Choose one: kubectl config use-context NAME, or pass --context.",
			Commands: []checks.Command{checks.Cmd("kubectl", "config", "get-contexts")},
		}}
	}
	ctx, ok := raw.Contexts[name]
	if !ok {
		return []checks.Finding{k.missing(fmt.Sprintf("the current context %q does not exist", name), name, "", contexts,
			"kubectl config use-context NAME")}
	}
	var findings []checks.Finding
	switch cluster, ok := raw.Clusters[ctx.Cluster]; {
	case ctx.Cluster == "":
		findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: k.file(ctx.LocationOfOrigin),
			Message:  fmt.Sprintf("context %q names no cluster", name),
			Hint:     checks.Cmd("kubectl", "config", "set-context", name, "--cluster=NAME").String(),
			Commands: []checks.Command{checks.Cmd("kubectl", "config", "get-contexts")}})
	case !ok:
		findings = append(findings, k.missing(fmt.Sprintf("context %q names cluster %q, which does not exist", name, ctx.Cluster),
			ctx.Cluster, ctx.LocationOfOrigin,
			slices.Sorted(maps.Keys(raw.Clusters)), checks.Cmd("kubectl", "config", "set-context", name, "--cluster=NAME").String()))
	default:
		findings = append(findings, k.cluster(ctx.Cluster, cluster)...)
	}
	switch user, ok := raw.AuthInfos[ctx.AuthInfo]; {
	case ctx.AuthInfo == "":
		findings = append(findings, checks.Finding{Severity: checks.StatusWarn, File: k.file(ctx.LocationOfOrigin),
			Message:  fmt.Sprintf("context %q names no user: requests are anonymous", name),
			Hint:     checks.Cmd("kubectl", "config", "set-context", name, "--user=NAME").String(),
			Commands: []checks.Command{checks.Cmd("kubectl", "config", "get-contexts")}})
	case !ok:
		findings = append(findings, k.missing(fmt.Sprintf("context %q names user %q, which does not exist", name, ctx.AuthInfo),
			ctx.AuthInfo, ctx.LocationOfOrigin,
			slices.Sorted(maps.Keys(raw.AuthInfos)), checks.Cmd("kubectl", "config", "set-context", name, "--user=NAME").String()))
	default:
		findings = append(findings, k.user(name, ctx.AuthInfo, user)...)
	}
	return findings
}

// missing reports a reference to a name that does not exist, and the existing name it may
// have been meant as when the two look the same.
func (k kubeconfigInspector) missing(message, name, origin string, existing []string, fix string) checks.Finding {
	f := checks.Finding{
		Severity: checks.StatusFail, File: k.file(origin),
		Message:  message,
		Evidence: []string{"existing: " + strings.Join(kubeconfigQuoted(existing), ", ")},
		Hint:     "Point it at an existing one: " + fix + ".",
		Commands: []checks.Command{checks.Cmd("kubectl", "config", "get-contexts"), checks.Cmd("kubectl", "config", "view")},
		Cause:    true,
	}
	for _, e := range existing {
		if safetext.LooksSame(name, e) {
			f.Evidence = append(f.Evidence, fmt.Sprintf("%q looks the same as %q but is another name:", name, e))
			f.Evidence = append(f.Evidence, safetext.Describe(safetext.Suspicious(name))...)
			f.Hint = "The name differs from an existing one by a look-alike character: retype it in plain ASCII."
		}
	}
	return f
}

// cluster inspects the API server entry: its URL, TLS verification and CA.
func (k kubeconfigInspector) cluster(name string, c *clientcmdapi.Cluster) []checks.Finding {
	file := k.file(c.LocationOfOrigin)
	var findings []checks.Finding
	if c.Server == "" {
		findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: file,
			Message:  fmt.Sprintf("cluster %q has no server URL", name),
			Hint:     checks.Cmd("kubectl", "config", "set-cluster", name, "--server=https://HOST:6443").String(),
			Commands: []checks.Command{checks.Cmd("kubectl", "config", "view", "--minify")}})
	}
	if c.InsecureSkipTLSVerify {
		findings = append(findings, checks.Finding{Severity: checks.StatusWarn, File: file,
			Message: fmt.Sprintf("cluster %q switches TLS verification off (insecure-skip-tls-verify)", name),
			Hint: "Anything answering at the server URL is trusted, including an impostor. Put the cluster's CA " +
				"in certificate-authority-data instead.",
			Commands: []checks.Command{checks.Cmd("kubectl", "config", "view", "--minify")}})
	}
	data, source, err := kubeconfigPEM(c.CertificateAuthorityData, c.CertificateAuthority)
	if err != nil {
		findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: file,
			Message:  fmt.Sprintf("cluster %q: the CA file cannot be read", name),
			Evidence: []string{err.Error()},
			Hint:     "kubectl fails the same way: fix the certificate-authority path or embed the CA as certificate-authority-data."})
	} else if data != nil {
		findings = append(findings, k.certificate(fmt.Sprintf("the CA of cluster %q", name), data, source, file, false)...)
	}
	return findings
}

// user inspects the credentials: which kind, and whether they are still valid.
func (k kubeconfigInspector) user(context, name string, u *clientcmdapi.AuthInfo) []checks.Finding {
	file := k.file(u.LocationOfOrigin)
	var kinds []string
	var findings []checks.Finding

	data, source, err := kubeconfigPEM(u.ClientCertificateData, u.ClientCertificate)
	switch {
	case err != nil:
		kinds = append(kinds, "client certificate from "+u.ClientCertificate+" (unreadable)")
		findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: file,
			Message:  fmt.Sprintf("user %q: the client certificate file cannot be read", name),
			Evidence: []string{err.Error()},
			Hint:     "kubectl fails the same way: fix the client-certificate path or embed client-certificate-data."})
	case data != nil:
		kinds = append(kinds, "client certificate"+certSubjectNote(data))
		findings = append(findings, k.certificate(fmt.Sprintf("the client certificate of user %q", name), data, source, file, true)...)
	}
	if u.Token != "" {
		kinds = append(kinds, "bearer token"+tokenNote(u.Token, k.now))
		if exp, ok := jwtExpiry(u.Token); ok && !exp.After(k.now) {
			findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: file,
				Message: fmt.Sprintf("the token of user %q expired on %s", name, exp.UTC().Format(time.RFC3339)),
				Hint:    "The API server rejects it (401). Get a fresh token: kubectl create token SERVICEACCOUNT, from an admin context."})
		}
	}
	if u.TokenFile != "" {
		kinds = append(kinds, "bearer token read from "+u.TokenFile)
	}
	if u.Exec != nil {
		kinds = append(kinds, fmt.Sprintf("exec credential plugin %q", u.Exec.Command))
		if err := findCredentialPlugin(u.Exec.Command, k.path); err != nil {
			findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: file,
				Message:  fmt.Sprintf("the credential plugin %q of user %q cannot run: %v", u.Exec.Command, name, err),
				Evidence: []string{"exec command: " + u.Exec.Command},
				Hint: "kubectl runs this command before every request to get a token. Install it, restore its " +
					"exec bit, or put its directory on PATH." + pluginInstallHint(u.Exec.InstallHint),
				Commands: []checks.Command{checks.Cmd("command", "-v", u.Exec.Command)},
				Cause:    true})
		}
	}
	if u.AuthProvider != nil {
		kinds = append(kinds, fmt.Sprintf("auth-provider %q (removed from kubectl since 1.26: use its exec plugin)", u.AuthProvider.Name))
	}
	if u.Username != "" {
		kinds = append(kinds, fmt.Sprintf("basic auth as %q (the API server no longer accepts it)", u.Username))
	}
	if len(kinds) == 0 {
		kinds = append(kinds, "none: requests are anonymous")
		findings = append(findings, checks.Finding{Severity: checks.StatusWarn, File: file,
			Message: fmt.Sprintf("user %q has no credentials: requests are anonymous", name),
			Hint:    "An anonymous user sees almost nothing. Use the kubeconfig the cluster's admin gave you."})
	}
	if u.Impersonate != "" || len(u.ImpersonateGroups) > 0 {
		ev := []string{"act-as: " + u.Impersonate}
		if len(u.ImpersonateGroups) > 0 {
			ev = append(ev, "act-as-groups: "+strings.Join(u.ImpersonateGroups, ", "))
		}
		findings = append(findings, checks.Finding{Severity: checks.StatusWarn, File: file,
			Message:  fmt.Sprintf("user %q impersonates %q: every request runs as that user", name, u.Impersonate),
			Evidence: ev,
			Hint: "What you may do is what the impersonated user may do, and only if the real user may " +
				"impersonate it. Remove act-as from the kubeconfig to act as yourself.",
			Commands: []checks.Command{checks.Cmd("kubectl", "auth", "whoami")}})
	}
	findings = append(findings, checks.Finding{Severity: checks.StatusOK, File: file,
		Message:  fmt.Sprintf("context %q uses user %q", context, name),
		Evidence: []string{"credentials: " + strings.Join(kinds, "; ")},
		Commands: []checks.Command{checks.Cmd("kubectl", "config", "view", "--minify"), checks.Cmd("kubectl", "auth", "whoami")}})
	return findings
}

// certificate judges a certificate's validity period. Client certificates carry their subject,
// which is the user and groups the API server sees.
func (k kubeconfigInspector) certificate(what string, data []byte, source string, file *checks.FileRef, client bool) []checks.Finding {
	cert, err := certinfo.FirstPEM(data)
	if err != nil {
		return []checks.Finding{{Severity: checks.StatusFail, File: file,
			Message:  what + " cannot be parsed",
			Evidence: []string{source + ": " + err.Error()},
			Hint:     "The PEM data is corrupt or not a certificate; kubectl fails the same way. Fetch a fresh copy."}}
	}
	evidence := []string{
		"source: " + source,
		"subject: " + cert.Subject.String(),
		"issuer: " + cert.Issuer.String(),
		fmt.Sprintf("valid from %s to %s", cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339)),
	}
	renew := "Renew it: on a kubeadm control plane, kubeadm certs renew admin.conf (or all) and copy the new " +
		"/etc/kubernetes/admin.conf."
	if !client {
		renew = "The cluster's CA itself must be rotated; until then nothing can be verified. Check the clock too (date)."
	}
	var sev checks.Severity
	var msg string
	switch left := cert.NotAfter.Sub(k.now); {
	case !cert.NotAfter.After(k.now):
		sev, msg = checks.StatusFail, fmt.Sprintf("%s expired on %s", what, cert.NotAfter.UTC().Format(time.RFC3339))
	case cert.NotBefore.After(k.now):
		sev, msg = checks.StatusFail, fmt.Sprintf("%s is not valid until %s", what, cert.NotBefore.UTC().Format(time.RFC3339))
		renew = "Either this machine's clock is behind (date; timedatectl) or the certificate was issued with a future date."
	case left < certinfo.ExpiringWithin:
		sev, msg = checks.StatusWarn, fmt.Sprintf("%s expires in %s", what, left.Round(time.Minute))
	default:
		return nil
	}
	jsonpath := "jsonpath={.users[0].user.client-certificate-data}"
	if !client {
		jsonpath = "jsonpath={.clusters[0].cluster.certificate-authority-data}"
	}
	cmd := checks.Cmd("kubectl", "config", "view", "--raw", "--minify", "-o", jsonpath).
		Pipe("base64", "-d").Pipe("openssl", "x509", "-noout", "-subject", "-dates")
	return []checks.Finding{{Severity: sev, File: file, Message: msg, Evidence: evidence, Hint: renew, Commands: []checks.Command{cmd}, Cause: sev == checks.StatusFail}}
}

// kubeconfigPEM returns PEM data embedded in the kubeconfig or read from the file it names, and
// says which. Neither is (nil, "", nil).
func kubeconfigPEM(data []byte, file string) ([]byte, string, error) {
	if len(data) > 0 {
		return data, "embedded in the kubeconfig", nil
	}
	if file == "" {
		return nil, "", nil
	}
	// A FIFO or a device named here would block the check or fill memory: regular files only.
	b, err := inputfile.Read(file, kube.MaxCredentialFileBytes, "a certificate")
	var refused *inputfile.Error
	if errors.As(err, &refused) {
		return nil, "", fmt.Errorf("%s %w", file, err)
	}
	if err != nil {
		return nil, "", err
	}
	return b, file, nil
}

// certSubjectNote names the user and groups a client certificate authenticates as.
func certSubjectNote(data []byte) string {
	cert, err := certinfo.FirstPEM(data)
	if err != nil {
		return ""
	}
	note := " (user " + cert.Subject.CommonName
	if len(cert.Subject.Organization) > 0 {
		note += ", groups " + strings.Join(cert.Subject.Organization, ", ")
	}
	return note + ")"
}

// jwtClaims are the parts of a token's payload worth showing: who it is for, whom from, until
// when. The token itself, and its signature, are never shown.
type jwtClaims struct {
	Sub string `json:"sub"`
	Iss string `json:"iss"`
	Exp int64  `json:"exp"`
}

func parseJWT(token string) (jwtClaims, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return jwtClaims{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return jwtClaims{}, false
	}
	var c jwtClaims
	if json.Unmarshal(payload, &c) != nil {
		return jwtClaims{}, false
	}
	return c, true
}

func jwtExpiry(token string) (time.Time, bool) {
	c, ok := parseJWT(token)
	if !ok || c.Exp == 0 {
		return time.Time{}, false
	}
	return time.Unix(c.Exp, 0), true
}

// tokenNote describes a token without revealing it: a JWT's subject and expiry.
func tokenNote(token string, now time.Time) string {
	c, ok := parseJWT(token)
	if !ok || c.Sub == "" {
		return " (opaque)"
	}
	note := " for " + c.Sub
	if c.Exp != 0 {
		exp := time.Unix(c.Exp, 0)
		if exp.After(now) {
			note += ", expires " + exp.UTC().Format(time.RFC3339)
		} else {
			note += ", expired " + exp.UTC().Format(time.RFC3339)
		}
	}
	return " (JWT" + note + ")"
}

// findCredentialPlugin looks a credential plugin up as kubectl does: a path when it has a slash (made
// absolute from the kubeconfig's directory already), else the first match on PATH.
func findCredentialPlugin(command, path string) error {
	if command == "" {
		return fmt.Errorf("no command")
	}
	if strings.ContainsRune(command, filepath.Separator) {
		return pluginExecutable(command)
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		if pluginExecutable(filepath.Join(dir, command)) == nil {
			return nil
		}
	}
	return fmt.Errorf("not found on PATH")
}

func pluginExecutable(p string) error {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s is a directory", p)
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("%s is not executable", p)
	}
	return nil
}

func pluginInstallHint(h string) string {
	if h = strings.TrimSpace(h); h == "" {
		return ""
	}
	return " The kubeconfig says: " + h
}

func kubeconfigQuoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
}

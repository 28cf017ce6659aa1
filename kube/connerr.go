package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ClassifyConnError turns the error of a request to the API server into what broke and what to
// do about it. Order matters: a TLS error also carries the network operation that failed, and
// a deadline can hide behind any of them.
func ClassifyConnError(err error) (message, hint string) {
	if err == nil {
		return "", ""
	}
	var silent *NotAnsweringError
	if errors.As(err, &silent) {
		return classifyNotAnswering(silent)
	}
	if msg, hint, ok := classifyHTTPError(err); ok {
		return msg, hint
	}
	if msg, hint, ok := classifyTLSError(err); ok {
		return msg, hint
	}
	if msg, hint, ok := classifyNetError(err); ok {
		return msg, hint
	}
	return "cannot reach the API server: " + err.Error(),
		"Run the command below with -v=8 to see each step of the request; check the kubeconfig's server: URL."
}

// classifyNotAnswering words the breaker's errors: the request that got no answer, and those
// given up on after it.
func classifyNotAnswering(e *NotAnsweringError) (message, hint string) {
	first := e
	if e.First != nil {
		first = e.First
	}
	switch first.Stalled {
	case stageTLS:
		hint = "Something accepts TCP connections on the server's port but never completes TLS: an API server " +
			"that is stuck or overloaded, a proxy or load balancer whose backend is down, or another service. " +
			"On a control-plane node: crictl ps -a --name kube-apiserver, and what listens on the port (ss -ltnp)."
	case stageConnect, stageStart, stageDNS:
		hint = "Packets are dropped on the way (a firewall on the API server's port, an address routed nowhere) " +
			"or the machine is down. Check the kubeconfig's server: address and the route to it."
	default:
		hint = "The server accepted the request and never answered: an API server that is stuck (an etcd that " +
			"does not answer makes it hang) or overloaded, or a proxy in between that holds the connection. " +
			"Look at the API server's log and kubectl get --raw '/readyz?verbose' on a control-plane node."
	}
	hint += " Retry with a longer --request-timeout to tell slow from silent."
	if e.First == nil {
		return e.Error(), hint
	}
	after := "kockpit did not send this request"
	if e.Sent {
		after = "kockpit stopped waiting for this one too"
	}
	return fmt.Sprintf("the API server stopped answering: it did not answer %s within the request timeout (%s): %s, so %s",
		first.Request, e.RequestTimeout, first.Stalled, after), hint
}

func classifyHTTPError(err error) (message, hint string, ok bool) {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		if strings.Contains(err.Error(), "getting credentials: exec") {
			return "the kubeconfig's credential plugin failed: " + err.Error(),
				"The user's exec: command runs before every request to fetch a token. Run it by hand (see " +
					"kubectl config view --minify): it must be on PATH, executable and print an ExecCredential.", true
		}
		return "", "", false
	}
	code := status.Status().Code
	switch {
	case apierrors.IsUnauthorized(err):
		return "the API server rejected the credentials (401 Unauthorized)",
			"The server does not know who you are: the token expired or was revoked (a deleted ServiceAccount " +
				"or Secret), the client certificate is expired or signed by another CA than the cluster's, or the " +
				"credential plugin returned a stale token. Get fresh credentials (on a kubeadm control plane: " +
				"/etc/kubernetes/admin.conf) and compare with kubectl auth whoami.", true
	case apierrors.IsForbidden(err):
		return "the API server knows the user but forbids reading /version (403 Forbidden)",
			"/version is open to everyone through the ClusterRole system:public-info-viewer; a 403 here means " +
				"that role or its binding was changed, or something in front of the API server denies. Check with " +
				"kubectl auth can-i get /version and kubectl get clusterrolebinding system:public-info-viewer -o yaml.", true
	case code == 404:
		return "the server has no /version (404): it may not be a Kubernetes API server",
			"The kubeconfig's server: URL may point at a proxy, a load balancer's default backend or another service.", true
	case code >= 500:
		return fmt.Sprintf("the API server answered %d: %s", code, status.Status().Message),
			"The server is up but failing: look at kubectl get --raw '/readyz?verbose' and the API server's log.", true
	default:
		return fmt.Sprintf("the API server answered %d: %s", code, status.Status().Message),
			"Run the command below with -v=8 to see the full answer.", true
	}
}

func classifyTLSError(err error) (message, hint string, ok bool) {
	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var record tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &invalid):
		return classifyInvalidCert(invalid)
	case errors.As(err, &unknown):
		issuer := "unknown"
		if unknown.Cert != nil {
			issuer = unknown.Cert.Issuer.String()
		}
		return fmt.Sprintf("the API server's certificate is signed by an authority the kubeconfig does not trust (issuer %q)", issuer),
			"The kubeconfig's certificate-authority(-data) is not the CA that signed the server's certificate: " +
				"the kubeconfig belongs to another cluster, the cluster's CA or server certificate was replaced " +
				"(compare with /etc/kubernetes/pki/ca.crt on a control-plane node), or a proxy intercepts TLS. " +
				"Do not switch on insecure-skip-tls-verify to get past it.",
			true
	case errors.As(err, &hostname):
		names := "no names"
		if hostname.Certificate != nil {
			names = certHostNames(hostname.Certificate)
		}
		return fmt.Sprintf("the API server's certificate is not valid for %q (it names %s)", hostname.Host, names),
			"The kubeconfig's server: URL uses a host name or IP the certificate does not list. Use one it lists, " +
				"or add the name to the certificate (kubeadm: apiServer.certSANs, then kubeadm init phase certs " +
				"apiserver) and restart the API server.", true
	case errors.As(err, &record):
		return fmt.Sprintf("the server does not speak TLS: it answered %q", record.RecordHeader[:]),
			"The server: URL points at a plain-HTTP port or another service, not the API server's HTTPS port (6443 by default).", true
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the server does not speak TLS: it answered in plain HTTP",
			"The server: URL points at a plain-HTTP port or another service, not the API server's HTTPS port (6443 by default).", true
	case errors.As(err, &alert):
		return "the TLS handshake failed: the server refused it (" + alert.Error() + ")",
			"The server rejected the client certificate or the TLS settings; its log says why. A client " +
				"certificate from another cluster's CA is a common cause.", true
	case strings.Contains(err.Error(), "TLS handshake timeout"):
		return "the TLS handshake timed out: the port accepts connections but nothing completes TLS",
			"The API server is overloaded or stuck, or something in between (a proxy, a load balancer whose " +
				"backend is down) holds the connection open. Check the API server's container on the control-plane node.", true
	case strings.Contains(err.Error(), "tls: ") || strings.Contains(err.Error(), "x509: "):
		return "the TLS handshake with the API server failed: " + err.Error(),
			"Compare the server's certificate with the kubeconfig's CA: openssl s_client -connect HOST:PORT -showcerts.", true
	}
	return "", "", false
}

func classifyInvalidCert(e x509.CertificateInvalidError) (message, hint string, ok bool) {
	subject := "the API server's certificate"
	if e.Cert != nil && e.Cert.Subject.CommonName != "" {
		subject = fmt.Sprintf("the API server's certificate (CN=%s)", e.Cert.Subject.CommonName)
	}
	if e.Reason != x509.Expired {
		return fmt.Sprintf("%s is not acceptable: %s", subject, e.Error()),
			"The certificate is not one a server may use (wrong key usage, a CA that may not sign it). Reissue it " +
				"from the cluster CA.", true
	}
	// Expired covers both ends of the validity period; the detail says which.
	if strings.Contains(e.Detail, "is before") {
		when := ""
		if e.Cert != nil {
			when = " until " + e.Cert.NotBefore.UTC().Format(time.RFC3339)
		}
		return subject + " is not valid yet" + when,
			"Either this machine's clock is behind (date; timedatectl) or the certificate was issued with a future " +
				"date. Fix the clock first; otherwise renew the certificate (kubeadm certs renew apiserver).", true
	}
	when := ""
	if e.Cert != nil {
		when = " on " + e.Cert.NotAfter.UTC().Format(time.RFC3339)
	}
	return subject + " expired" + when,
		"Renew the control-plane certificates on a control-plane node (kubeadm certs check-expiration, then " +
			"kubeadm certs renew all) and restart the static pods; if the date looks wrong, this machine's clock " +
			"may be ahead (date; timedatectl).", true
}

func classifyNetError(err error) (message, hint string, ok bool) {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	addr := "the API server's address"
	if errors.As(err, &opErr) && opErr.Addr != nil {
		addr = opErr.Addr.String()
	}
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return fmt.Sprintf("looking up the API server's host name %q timed out", dnsErr.Name),
				"This machine's DNS resolver does not answer: check /etc/resolv.conf, or use an address in the " +
					"kubeconfig's server: line.", true
		}
		return fmt.Sprintf("the API server's host name %q does not resolve", dnsErr.Name),
			"Check the kubeconfig's server: line for a typo or a look-alike character (kockpit's api.kubeconfig " +
				"check lists them), then how this machine resolves it: getent hosts NAME, /etc/hosts, /etc/resolv.conf.", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused at %s: nothing listens there", addr),
			"The API server is down or listens on another address or port. On a control-plane node: crictl ps -a " +
				"--name kube-apiserver, its logs (crictl logs), and the manifest /etc/kubernetes/manifests/" +
				"kube-apiserver.yaml; a firewall rule that rejects port 6443 looks the same.", true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("no route to %s", addr),
			"The address in the kubeconfig's server: line is not reachable from here: a wrong IP, a VPN that is " +
				"down, or a firewall that rejects with an ICMP error.", true
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "the API server did not answer within the request timeout",
			"Packets are dropped on the way (a firewall on port 6443, a wrong IP routed nowhere) or the API server " +
				"is stuck (an etcd that does not answer makes it hang). Retry with a longer --request-timeout to tell " +
				"slow from silent.", true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("the connection to %s was closed during the request", addr),
			"Something accepted the connection and dropped it: a proxy or load balancer in front of the API server " +
				"without a healthy backend, or an API server restarting in a loop.", true
	}
	return "", "", false
}

// certHostNames lists the names a certificate is valid for, as the HostnameError's reader needs them.
func certHostNames(c *x509.Certificate) string {
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no subject alternative names"
	}
	return strings.Join(names, ", ")
}

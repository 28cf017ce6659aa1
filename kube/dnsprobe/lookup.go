// Package dnsprobe asks a DNS server questions over TCP (through a port-forward to CoreDNS, see
// kube/portforward), so kockpit can test cluster DNS from outside the cluster.
package dnsprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Answer is what a DNS server said to one question.
type Answer struct {
	// Question is the name and type asked: "kubernetes.default.svc.cluster.local. A".
	Question string
	// Rcode is the response code by its name: NOERROR, NXDOMAIN, SERVFAIL, REFUSED...
	Rcode string
	// Addresses are the A and AAAA records' addresses, in answer order.
	Addresses []string
	// Records are every answer record as text (CNAMEs too), for the evidence.
	Records []string
	// RTT is the time from sending the question to reading the answer.
	RTT time.Duration
}

// ErrTimeout is returned (wrapped) when the server did not answer in time.
var ErrTimeout = errors.New("no answer in time")

// Lookup asks the server (host:port) for the name's records of type qtype (dns.TypeA...) over
// TCP: the only transport a port-forward carries. It gives up after timeout, or when ctx ends.
// A DNS error (NXDOMAIN, SERVFAIL) is an answer, not an error: err is for no answer at all.
func Lookup(ctx context.Context, server, name string, qtype uint16, timeout time.Duration) (Answer, error) {
	fqdn := dns.Fqdn(name)
	ans := Answer{Question: fqdn + " " + dns.TypeToString[qtype]}
	if err := ValidName(name); err != nil {
		return ans, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype)
	c := &dns.Client{Net: "tcp", Timeout: timeout}
	start := time.Now()
	in, rtt, err := c.ExchangeContext(ctx, m, server)
	if err != nil {
		if isTimeout(err) || ctx.Err() != nil {
			return ans, fmt.Errorf("asking %s for %s: %w after %s", server, ans.Question, ErrTimeout, time.Since(start).Round(time.Millisecond))
		}
		return ans, fmt.Errorf("asking %s for %s: %w", server, ans.Question, err)
	}
	ans.RTT = rtt
	ans.Rcode = dns.RcodeToString[in.Rcode]
	if ans.Rcode == "" {
		ans.Rcode = fmt.Sprintf("RCODE%d", in.Rcode)
	}
	for _, rr := range in.Answer {
		ans.Records = append(ans.Records, strings.ReplaceAll(rr.String(), "\t", " "))
		switch r := rr.(type) {
		case *dns.A:
			ans.Addresses = append(ans.Addresses, r.A.String())
		case *dns.AAAA:
			ans.Addresses = append(ans.Addresses, r.AAAA.String())
		}
	}
	return ans, nil
}

// ValidName says whether a name can be asked: a domain name of non-empty labels.
func ValidName(name string) error {
	if _, ok := dns.IsDomainName(dns.Fqdn(name)); !ok || name == "" || strings.Contains(name, "..") {
		return fmt.Errorf("%q is not a domain name", name)
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// String renders the answer on one line: "kubernetes.default.svc.cluster.local. A → 10.96.0.1
// (NOERROR, 2ms)".
func (a Answer) String() string {
	got := strings.Join(a.Addresses, ", ")
	if got == "" {
		got = "no address"
	}
	return fmt.Sprintf("%s → %s (%s, %s)", a.Question, got, a.Rcode, roundRTT(a.RTT))
}

// roundRTT keeps a latency readable: microseconds below a millisecond, else milliseconds.
func roundRTT(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

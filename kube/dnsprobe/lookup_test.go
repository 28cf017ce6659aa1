package dnsprobe

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startServer runs a real DNS server over TCP on 127.0.0.1 with the zone's A records; names
// outside it get NXDOMAIN. It returns the server's address.
func startServer(t *testing.T, zone map[string]string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		ip, ok := zone[strings.ToLower(q.Name)]
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case q.Qtype == dns.TypeA:
			m.Answer = append(m.Answer, &dns.A{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30},
				A:   net.ParseIP(ip),
			})
		}
		_ = w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{Listener: ln, Net: "tcp", Handler: mux, NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

func TestLookupAnswers(t *testing.T) {
	addr := startServer(t, map[string]string{"kubernetes.default.svc.cluster.local.": "10.96.0.1"})
	ans, err := Lookup(t.Context(), addr, "kubernetes.default.svc.cluster.local", dns.TypeA, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Rcode != "NOERROR" || len(ans.Addresses) != 1 || ans.Addresses[0] != "10.96.0.1" {
		t.Fatalf("answer = %+v", ans)
	}
	if ans.Question != "kubernetes.default.svc.cluster.local. A" || ans.RTT <= 0 {
		t.Errorf("question %q, rtt %s", ans.Question, ans.RTT)
	}
	if len(ans.Records) != 1 || !strings.Contains(ans.Records[0], "IN A 10.96.0.1") {
		t.Errorf("records = %q", ans.Records)
	}
	if s := ans.String(); !strings.HasPrefix(s, "kubernetes.default.svc.cluster.local. A → 10.96.0.1 (NOERROR, ") {
		t.Errorf("String() = %q", s)
	}
}

func TestLookupNXDOMAIN(t *testing.T) {
	addr := startServer(t, nil)
	ans, err := Lookup(t.Context(), addr, "nothing.example.", dns.TypeA, 2*time.Second)
	if err != nil {
		t.Fatalf("NXDOMAIN is an answer, not an error: %v", err)
	}
	if ans.Rcode != "NXDOMAIN" || len(ans.Addresses) != 0 {
		t.Errorf("answer = %+v", ans)
	}
	if s := ans.String(); !strings.Contains(s, "→ no address (NXDOMAIN, ") {
		t.Errorf("String() = %q", s)
	}
}

// TestLookupTimeout: a server that accepts the connection and never answers must not hold the
// probe past its timeout.
func TestLookupTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	_, err = Lookup(t.Context(), ln.Addr().String(), "kubernetes.default.svc.cluster.local", dns.TypeA, 200*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "kubernetes.default.svc.cluster.local. A") {
		t.Errorf("the error should name the question: %v", err)
	}
}

func TestLookupContextCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = Lookup(ctx, ln.Addr().String(), "a.example", dns.TypeA, time.Minute)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout when the context ends first", err)
	}
}

func TestLookupRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	_, err = Lookup(t.Context(), addr, "a.example", dns.TypeA, time.Second)
	if err == nil || errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want connection refused", err)
	}
}

func TestLookupBadName(t *testing.T) {
	if _, err := Lookup(t.Context(), "127.0.0.1:1", "a..b", dns.TypeA, time.Second); err == nil {
		t.Fatal("a name with an empty label must be refused before any traffic")
	}
}

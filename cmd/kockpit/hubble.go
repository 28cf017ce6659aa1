package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube/hubble"
)

// hubbleFlags say where Hubble's flows come from: a relay (the hubble CLI's TLS options,
// prefixed) or a recording written by `hubble observe -o jsonpb`.
type hubbleFlags struct {
	server                    string
	flows                     string
	since                     time.Duration
	timeout                   time.Duration
	tls                       bool
	caFile, certFile, keyFile string
	serverName                string
}

func (h *hubbleFlags) addFlags(f *pflag.FlagSet) {
	f.StringVar(&h.server, "hubble-server", "", "read flows from this Hubble relay (HOST:PORT), as `hubble observe --server` does")
	f.StringVar(&h.flows, "hubble-flows", "", "read flows from a recording written by `hubble observe -o jsonpb` (- for standard input)")
	f.DurationVar(&h.since, "hubble-since", 5*time.Minute, "how far back the Hubble checks read a relay's flows")
	f.DurationVar(&h.timeout, "hubble-timeout", hubble.DefaultTimeout, "give up on a Hubble relay that sends nothing for this long")
	f.BoolVar(&h.tls, "hubble-tls", false, "talk TLS to the Hubble relay")
	f.StringVar(&h.caFile, "hubble-tls-ca-cert", "", "the CA certificate (PEM) that signed the relay's certificate")
	f.StringVar(&h.certFile, "hubble-tls-client-cert", "", "a client certificate (PEM) for mutual TLS with the relay")
	f.StringVar(&h.keyFile, "hubble-tls-client-key", "", "the client certificate's private key (PEM)")
	f.StringVar(&h.serverName, "hubble-tls-server-name", "", "the name the relay's certificate must carry (default: the host of --hubble-server)")
}

// attach gives the run its flows: the recording or the relay the flags name, or else, live and
// with active probes allowed, the cluster's hubble-relay through a port-forward. Bad flags and unreadable recordings are bad input: an error
// here, before any check runs.
func (h *hubbleFlags) attach(ctx context.Context, env *checks.Env, stdin io.Reader, cleanup func(func())) error {
	if h.since <= 0 {
		return fmt.Errorf("--hubble-since must be positive, got %s (e.g. --hubble-since 10m)", h.since)
	}
	if h.timeout <= 0 {
		return fmt.Errorf("--hubble-timeout must be positive, got %s (e.g. --hubble-timeout 10s)", h.timeout)
	}
	usesTLS := h.caFile != "" || h.certFile != "" || h.keyFile != "" || h.serverName != ""
	switch {
	case h.server != "" && h.flows != "":
		return fmt.Errorf("--hubble-server and --hubble-flows both name where flows come from (fix: give one)")
	case h.server == "" && (h.tls || usesTLS):
		return fmt.Errorf("the --hubble-tls options need --hubble-server (fix: add --hubble-server HOST:PORT)")
	case h.flows != "":
		rec, err := hubble.OpenRecording(ctx, h.flows, stdin)
		if err != nil {
			return err
		}
		env.Flows = rec
	case h.server != "":
		relay, err := hubble.DialRelay(hubble.RelayOptions{
			Server: h.server, TLS: h.tls || usesTLS, CAFile: h.caFile, CertFile: h.certFile, KeyFile: h.keyFile,
			ServerName: h.serverName, Timeout: h.timeout, How: "--hubble-server",
		})
		if err != nil {
			return err
		}
		cleanup(func() { relay.Close() })
		env.Flows = relay
	case env.Flows == nil && env.Cluster != nil && env.Snapshot != nil && env.Active:
		// Live, with neither flag: reach the relay as `hubble observe -P` does, through a
		// port-forward made on the first read (an active probe, as the DNS probe's).
		fwd := hubble.NewForwardedRelay(env.Snapshot, hubble.NewForwarder(env.Cluster), hubble.RelayOptions{Timeout: h.timeout})
		cleanup(fwd.Close)
		env.Flows = fwd
	}
	env.FlowsSince = h.since
	return nil
}

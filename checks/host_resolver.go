package checks

import (
	"context"
	"fmt"
	"net"
	"strings"
)

func init() {
	register(Check{
		ID:       "host.resolver",
		Title:    "The node's /etc/resolv.conf and /etc/hosts resolve what Kubernetes needs",
		Category: CategoryHost,
		Learn: "The node resolves names with /etc/resolv.conf and /etc/hosts, and so do pods with " +
			"dnsPolicy Default, host-network pods, the kubelet and containerd pulling images, and CoreDNS " +
			"forwarding what is not cluster.local. A resolv.conf without nameservers resolves nothing; one " +
			"handed to pods with a loopback nameserver (systemd-resolved's 127.0.0.53) makes CoreDNS " +
			"forward to itself; an /etc/hosts line pinning registry.k8s.io or docker.io to another address " +
			"sends every image pull there; localhost pointing elsewhere breaks health checks. kockpit reads " +
			"both files as the resolver does and points at the line.",
		Needs: NeedsHost,
		Run:   hostRun(runHostResolver),
	})
}

// registryHosts are the registries Kubernetes images come from; an /etc/hosts entry for one of
// them (or a host under it) redirects image pulls.
var registryHosts = []string{
	"registry.k8s.io", "k8s.gcr.io", "gcr.io", "ghcr.io", "docker.io", "registry-1.docker.io",
	"index.docker.io", "auth.docker.io", "production.cloudflare.docker.com", "quay.io",
	"public.ecr.aws", "mcr.microsoft.com", "pkg.dev", "prod-registry-k8s-io-us-east-1.s3.dualstack.us-east-1.amazonaws.com",
}

// glibcMaxNameservers is how many nameservers the resolver uses; the kubelet warns beyond it.
const glibcMaxNameservers = 3

func runHostResolver(ctx context.Context, n *nodeFS) Result {
	var findings []Finding
	podResolv := "/etc/resolv.conf"
	if k, err := loadKubelet(ctx, n); err == nil && k.exists && k.config.ResolvConf != nil && *k.config.ResolvConf != "" {
		podResolv = *k.config.ResolvConf
	}
	files := 0
	for _, p := range uniqueStrings("/etc/resolv.conf", podResolv) {
		f, ok, err := n.readOptional(ctx, p)
		switch {
		case err != nil:
			findings = append(findings, n.unreadable(p, err))
		case ok:
			files++
			findings = append(findings, resolvConfFindings(n, p, string(f.Data), p == podResolv)...)
		case p == podResolv && p != "/etc/resolv.conf":
			findings = append(findings, Finding{Severity: StatusFail, File: n.ref(p, 0, 0), Cause: true,
				Message:  fmt.Sprintf("the kubelet's resolvConf %s does not exist: pods cannot be given a resolver and fail to start", p),
				Hint:     "Point resolvConf at a file that exists (systemd-resolved: /run/systemd/resolve/resolv.conf), then systemctl restart kubelet.",
				Commands: []string{"ls -l " + n.sh(p)}})
		}
	}
	if f, ok, err := n.readOptional(ctx, "/etc/hosts"); err != nil {
		findings = append(findings, n.unreadable("/etc/hosts", err))
	} else if ok {
		files++
		findings = append(findings, hostsFindings(n, string(f.Data))...)
	}
	if files == 0 && len(findings) == 0 {
		return Skipped(SkipNotApplicable, "neither /etc/resolv.conf nor /etc/hosts exist under "+n.Dir())
	}
	return n.result(findings, "resolv.conf has nameservers; /etc/hosts redirects no registry")
}

func uniqueStrings(s ...string) []string {
	var out []string
	for _, x := range s {
		if !containsString(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// resolvConfFindings judges a resolv.conf; forPods marks the one the kubelet hands to pods.
func resolvConfFindings(n *nodeFS, p, text string, forPods bool) []Finding {
	var out []Finding
	var servers []string
	for i, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "nameserver" {
			continue
		}
		col := strings.Index(line, "nameserver") + 1
		if len(fields) < 2 || net.ParseIP(fields[1]) == nil {
			out = append(out, Finding{Severity: StatusFail, File: n.ref(p, i+1, col), Cause: true,
				Message:  fmt.Sprintf("line %d names no IP address: the resolver ignores it", i+1),
				Evidence: []string{fmt.Sprintf("line %d: %s", i+1, strings.TrimSpace(line))},
				Hint:     "Write `nameserver IP`; names are not allowed there.",
				Commands: []string{"grep -n nameserver " + n.sh(p)}})
			continue
		}
		servers = append(servers, fields[1])
		if ip := net.ParseIP(fields[1]); forPods && ip.IsLoopback() {
			out = append(out, Finding{Severity: StatusWarn, File: n.ref(p, i+1, col),
				Message:  fmt.Sprintf("the resolv.conf the kubelet gives pods names the loopback nameserver %s: inside a pod that is the pod itself, and CoreDNS forwarding there loops", fields[1]),
				Evidence: []string{fmt.Sprintf("line %d: %s", i+1, strings.TrimSpace(line))},
				Hint:     "Set the kubelet's resolvConf to the file with the real upstream servers (systemd-resolved: /run/systemd/resolve/resolv.conf), then systemctl restart kubelet and restart CoreDNS.",
				Commands: []string{"cat " + n.sh(p), "kubectl -n kube-system logs -l k8s-app=kube-dns | grep -i loop"}})
		}
	}
	switch {
	case len(servers) == 0:
		out = append(out, Finding{Severity: StatusFail, File: n.ref(p, 0, 0), Cause: true,
			Message:  fmt.Sprintf("%s names no nameserver: the node resolves no names, nor do pods with dnsPolicy Default or CoreDNS's upstream", p),
			Hint:     "Add `nameserver IP` lines for the network's resolvers (or restore the link to /run/systemd/resolve/stub-resolv.conf).",
			Commands: []string{"cat " + n.sh(p), "ls -l " + n.sh(p)}})
	case len(servers) > glibcMaxNameservers:
		out = append(out, Finding{Severity: StatusWarn, File: n.ref(p, 0, 0),
			Message:  fmt.Sprintf("%s names %d nameservers: the resolver uses only the first %d, and the kubelet warns on every pod", p, len(servers), glibcMaxNameservers),
			Evidence: []string{"nameservers: " + strings.Join(servers, ", ")},
			Commands: []string{"grep -n nameserver " + n.sh(p)}})
	default:
		out = append(out, Finding{Severity: StatusOK, File: n.ref(p, 0, 0),
			Message:  fmt.Sprintf("%s names %s", p, strings.Join(servers, ", ")),
			Evidence: []string{"nameservers: " + strings.Join(servers, ", ")},
			Commands: []string{"cat " + n.sh(p)}})
	}
	return out
}

// hostsFindings finds /etc/hosts lines that redirect a registry or move localhost.
func hostsFindings(n *nodeFS, text string) []Finding {
	var out []Finding
	for i, line := range strings.Split(text, "\n") {
		content, _, _ := strings.Cut(line, "#")
		fields := strings.Fields(content)
		if len(fields) < 2 {
			continue
		}
		ip := net.ParseIP(fields[0])
		for _, name := range fields[1:] {
			name = strings.ToLower(strings.TrimSuffix(name, "."))
			col := strings.Index(line, name) + 1
			ev := []string{fmt.Sprintf("line %d: %s", i+1, strings.TrimSpace(line))}
			switch {
			case isRegistryHost(name):
				out = append(out, Finding{Severity: StatusFail, File: n.ref("/etc/hosts", i+1, max(col, 1)), Cause: true, Evidence: ev,
					Message:  fmt.Sprintf("/etc/hosts pins the registry %s to %s: image pulls from it go there instead", name, fields[0]),
					Hint:     fmt.Sprintf("Delete line %d of %s; registry mirrors belong in containerd's config (hosts.toml), not in /etc/hosts.", i+1, n.Display("/etc/hosts")),
					Commands: []string{"grep -n " + quotePathForShell(name) + " " + n.sh("/etc/hosts"), "getent hosts " + name}})
			case name == "localhost" && ip != nil && !ip.IsLoopback():
				out = append(out, Finding{Severity: StatusFail, File: n.ref("/etc/hosts", i+1, max(col, 1)), Cause: true, Evidence: ev,
					Message:  fmt.Sprintf("/etc/hosts points localhost at %s: probes and components that talk to localhost (etcd, the kubelet's healthz) reach another machine", fields[0]),
					Hint:     fmt.Sprintf("Delete line %d; localhost must be 127.0.0.1 and ::1.", i+1),
					Commands: []string{"grep -n localhost " + n.sh("/etc/hosts"), "getent hosts localhost"}})
			}
		}
	}
	return out
}

func isRegistryHost(name string) bool {
	for _, r := range registryHosts {
		if name == r || strings.HasSuffix(name, "."+r) {
			return true
		}
	}
	return false
}

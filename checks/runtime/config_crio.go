package runtime

import (
	"context"
	"errors"
	"path"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/safetext"
)

// This file judges CRI-O's crio.conf and its drop-ins (crio.conf.d, applied in name order,
// the last setting winning): its cgroup manager and pause image.

const crioConfigPath = "/etc/crio/crio.conf"
const crioDropInDir = "/etc/crio/crio.conf.d"

type crioConf struct {
	Crio struct {
		Runtime struct {
			CgroupManager *string `toml:"cgroup_manager"`
		} `toml:"runtime"`
		Image struct {
			PauseImage *string `toml:"pause_image"`
		} `toml:"image"`
	} `toml:"crio"`
}

// crio judges CRI-O's files; it reports whether there are any.
func (r *configRun) crio(ctx context.Context) bool {
	files := []string{crioConfigPath}
	l, _, err := r.n.ListMatching(ctx, crioDropInDir, func(name string) bool { return strings.HasSuffix(name, ".conf") })
	if err != nil {
		r.findings = append(r.findings, r.n.Unreadable(crioDropInDir, err))
	}
	for _, e := range l.Entries {
		files = append(files, e.Path)
	}
	found := false
	manager, managerFile, pause, pauseFile := "systemd", "", "", ""
	for _, p := range files {
		f, ok, err := r.n.ReadOptional(ctx, p)
		if err != nil {
			r.findings = append(r.findings, r.n.Unreadable(p, err))
			continue
		}
		if !ok {
			continue
		}
		found = true
		r.lookalikes(p, f.Data)
		var c crioConf
		if err := toml.Unmarshal(f.Data, &c); err != nil {
			row, col := 0, 0
			var de *toml.DecodeError
			if errors.As(err, &de) {
				row, col = de.Position()
			}
			r.findings = append(r.findings, checks.Finding{Severity: checks.StatusFail, Cause: true, Problem: "config-invalid", File: r.n.Ref(p, row, col),
				Message:  "CRI-O cannot read its config: " + safetext.Message(err.Error()) + "; it does not start until it is fixed",
				Commands: []checks.Command{checks.Cmd("journalctl", "-u", "crio", "-n", "50")}})
			continue
		}
		if v := c.Crio.Runtime.CgroupManager; v != nil {
			manager, managerFile = *v, p
		}
		if v := c.Crio.Image.PauseImage; v != nil {
			pause, pauseFile = *v, p
		}
	}
	if !found {
		return false
	}
	ref, quote := r.n.Ref(crioConfigPath, 0, 0), "cgroup_manager unset (CRI-O's default: systemd)"
	if managerFile != "" {
		f, _, _ := r.n.ReadOptional(ctx, managerFile)
		line := keyLine(f.Data, "cgroup_manager")
		ref, quote = r.n.Ref(managerFile, line, 0), path.Base(managerFile)+": cgroup_manager = "+safetext.Message(manager)
	}
	r.cgroupFinding(ctx, "CRI-O", manager, ref, quote)
	if pause != "" && !r.answered {
		f, _, _ := r.n.ReadOptional(ctx, pauseFile)
		line := keyLine(f.Data, "pause_image")
		base := checks.Finding{File: r.n.Ref(pauseFile, line, 0), Evidence: []string{"pause_image = " + safetext.Message(pause)},
			Commands: []checks.Command{checks.Cmd("grep", "-n", "pause_image", r.n.Display(pauseFile))}}
		r.findings = append(r.findings, pauseVersionFinding(ctx, r.n, base, parseImageRef(pause))...)
	}
	return true
}

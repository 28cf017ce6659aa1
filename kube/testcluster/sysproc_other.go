//go:build !linux

package testcluster

import "os/exec"

// Elsewhere than Linux there is no Pdeathsig: a test binary that dies may leave the servers
// running until their temp dir's owner notices.
func startProcess(cmd *exec.Cmd) error { return cmd.Start() }

func killProcess(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// TestExitCodeByErrorType: bad usage is told by the error's type, wherever it arises (a flag,
// a positional argument, of the root command or a subcommand); an error that merely reads like
// cobra's (a failed write's "invalid argument", EINVAL) is a failure, not bad usage.
func TestExitCodeByErrorType(t *testing.T) {
	for err, want := range map[error]int{
		nil:            exitOK,
		syscall.EINVAL: exitFailed,
		fmt.Errorf("writing r.json: %w", syscall.EINVAL):         exitFailed,
		errors.New("unknown flag --foo in the kubelet's config"): exitFailed,
		usagef("--parallel must be at least 1"):                  exitUsage,
		fmt.Errorf("running: %w", context.Canceled):              exitCanceled,
	} {
		if got := exitCode(err); got != want {
			t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
		}
	}
	for _, args := range [][]string{
		{"--frobnicate"}, {"-Z"}, {"--parallel"}, {"--parallel", "many"}, {"--report=maybe"}, {"extra"},
		{"node", "extra"}, {"node", "--frobnicate"}, {"node", "--since", "soon"},
		{"checks", "extra"}, {"checks", "--learn"},
	} {
		code, out, errOut := kockpit(t, args...)
		if code != exitUsage || out != "" || !strings.HasPrefix(errOut, "kockpit: ") {
			t.Errorf("kockpit %s: exit %d, stdout %q, stderr %q; want exit 2 and the error alone", strings.Join(args, " "), code, out, errOut)
		}
	}
}

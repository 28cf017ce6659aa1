package main

import (
	"strings"
	"testing"
)

func TestChecksLearnShowsTheCheckExplained(t *testing.T) {
	code, out, errOut := kockpit(t, "checks", "--learn", "dns.policy")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(out, "dns.policy · Pods resolve names through cluster DNS\n\n") {
		t.Errorf("the output does not start with the ID and title:\n%s", out)
	}
	// The text comes from checks/dns/learn/dns.policy.md, wrapped for a terminal.
	if !strings.Contains(out, "ClusterFirstWithHostNet") {
		t.Errorf("the Learn text is missing:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > learnWidth && strings.Contains(line, " ") {
			t.Errorf("line longer than %d columns: %q", learnWidth, line)
		}
	}
}

func TestChecksLearnOfAnUnknownCheckIsBadUsage(t *testing.T) {
	code, out, errOut := kockpit(t, "checks", "--learn", "dns.nope")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "kockpit checks") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 naming 'kockpit checks'", code, out, errOut)
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWorkshopList: the embedded scenarios are listed with their level, category, minutes and
// whether this machine solved them (read from the state directory).
func TestWorkshopList(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	mustWriteFile(t, filepath.Join(state, "kockpit", "workshops.json"), `{"solved":{"dns-policy-default":{"at":"2026-12-06T08:00:00Z","seconds":120,"hints":1,"points":90}}}`)
	code, out, errOut := kockpit(t, "workshop")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "NAME") || len(lines) < 2 {
		t.Fatalf("list:\n%s", out)
	}
	var row string
	for _, l := range lines {
		if strings.HasPrefix(l, "dns-policy-default ") {
			row = l
		}
	}
	for _, want := range []string{"beginner", "DNS", "yes (90 pts)"} {
		if !strings.Contains(row, want) {
			t.Errorf("dns-policy-default's row %q lacks %q", row, want)
		}
	}
}

// TestWorkshopReport: a scenario's report is the checks on its cluster, offline, with its cause.
func TestWorkshopReport(t *testing.T) {
	code, out, errOut := kockpit(t, "workshop", "dns-policy-default", "--report", "--format", "json", "--fail-on", "never")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	r := parseReport(t, out)
	if r.Source.Kind != "files" {
		t.Errorf("source %q", r.Source.Kind)
	}
	found := false
	for _, c := range r.Checks {
		for _, f := range c.Findings {
			if c.ID == "dns.policy" && f.Object != nil && f.Object.Namespace == "shop" && f.Object.Name == "shop" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no dns.policy finding on shop/shop:\n%s", out)
	}
}

// TestWorkshopBadInput: an unknown scenario, a teacher's broken scenario and an export into a
// non-empty directory are exit 2 with the place and the fix, and nothing is written.
func TestWorkshopBadInput(t *testing.T) {
	class := t.TempDir()
	mustWriteFile(t, filepath.Join(class, "mine", "scenario.yaml"), "title: x\nlevel: expertt\n")
	mustWriteFile(t, filepath.Join(class, "mine", "cluster", "a.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
	full := t.TempDir()
	mustWriteFile(t, filepath.Join(full, "keep.txt"), "a teacher's file")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"workshop", "no-such-scenario"}, `no scenario "no-such-scenario" (fix: kockpit workshop lists them)`},
		{[]string{"workshop", "validate", class}, filepath.Join(class, "mine", "scenario.yaml") + `:2:8: level: "expertt" is not a level`},
		{[]string{"workshop", "--scenarios", class}, filepath.Join(class, "mine", "scenario.yaml") + ":2:8: "},
		{[]string{"workshop", "validate", filepath.Join(class, "nothing")}, "not a directory"},
		{[]string{"workshop", "export", "dns-policy-default", full}, "is not empty (fix: name a new or empty directory"},
		{[]string{"workshop", "a", "b"}, "accepts at most 1 arg"},
	}
	for _, c := range cases {
		code, out, errOut := kockpit(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want exit 2 with %q", c.args, code, errOut, c.want)
		}
		if out != "" {
			t.Errorf("%v: wrote %q to stdout", c.args, out)
		}
	}
	if entries, _ := os.ReadDir(full); len(entries) != 1 {
		t.Errorf("export wrote into a non-empty directory: %d entries", len(entries))
	}
}

// TestWorkshopExportValidates: an exported scenario is a teacher's scenario that validates
// and runs from --scenarios under its own name.
func TestWorkshopExportValidates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "class")
	code, out, errOut := kockpit(t, "workshop", "export", "dns-policy-default", dir)
	if code != 0 || !strings.Contains(out, "wrote") {
		t.Fatalf("export: exit %d %s %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "dns-policy-default", "scenario.yaml")); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := kockpit(t, "workshop", "validate", dir); code != 0 || !strings.Contains(out, "1 scenarios") {
		t.Fatalf("validate: exit %d %s %s", code, out, errOut)
	}
	// The same name as an embedded scenario is refused: which one would open?
	if code, _, errOut := kockpit(t, "workshop", "--scenarios", dir); code != 2 || !strings.Contains(errOut, "is also in") {
		t.Errorf("a duplicate name: exit %d %s", code, errOut)
	}
}

func mustWriteFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWorkshopEndToEnd: in a real terminal, a student opens a scenario, reveals a hint, marks
// the decoy (told wrong), marks the cause (told solved, with the fix) and quits; the state file
// records the solve with the hint used.
func TestWorkshopEndToEnd(t *testing.T) {
	t.Parallel() // its own terminal and inputs (e2e_test.go says when)
	bin := buildKockpit(t)
	state := t.TempDir()
	line := strings.Replace(shellLine(bin, "workshop", "dns-policy-default"), "env ", "env XDG_STATE_HOME="+state+" ", 1)
	tm := newTmux(t, line, 120, 60)
	tm.waitDone()
	tm.waitText("Goal: Find why the shop's pods cannot resolve Service names.")
	// The run opens on the causes; the student answers from the checklist.
	tm.waitText("causes")
	tm.keys("c")
	tm.waitText("╭─ checks")

	tm.keys("h")
	tm.waitText("Hint 1: CoreDNS answers the other namespaces' pods.")

	// The gravest finding is selected first: the decoy policy.
	tm.keys("Tab")
	time.Sleep(150 * time.Millisecond)
	tm.keys("Space")
	tm.waitText("Mark network.policies's finding as the root cause?")
	tm.keys("y")
	tm.waitText("✖ Not the root cause (1 wrong so far). This policy does isolate")

	// The cause: filter to dns.policy, its finding, mark it.
	tm.keys("Tab")
	time.Sleep(150 * time.Millisecond)
	tm.keys("/")
	tm.keys("-l", "dns.policy")
	tm.keys("Enter")
	time.Sleep(150 * time.Millisecond)
	tm.keys("Tab")
	time.Sleep(150 * time.Millisecond)
	tm.keys("Space")
	tm.waitText("Mark dns.policy's finding as the root cause?")
	tm.keys("y")
	s := tm.waitText("recorded")
	for _, want := range []string{"✔ Solved in", "with 1 hint(s): 90 points", "The shop Deployment sets dnsPolicy: Default", "$ kubectl -n shop patch deployment shop"} {
		if !strings.Contains(s, want) {
			t.Errorf("the solved lesson lacks %q:\n%s", want, s)
		}
	}
	tm.keys("q")
	tm.waitText("kockpit exited 0")
	data, err := os.ReadFile(filepath.Join(state, "kockpit", "workshops.json"))
	if err != nil || !strings.Contains(string(data), `"dns-policy-default"`) || !strings.Contains(string(data), `"hints": 1`) || !strings.Contains(string(data), `"points": 90`) {
		t.Errorf("state file: %v\n%s", err, data)
	}
}

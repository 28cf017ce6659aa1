package checks_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
)

// Checks of another package than the engine's, as every area's are: where they panic.

func writesANilMap(context.Context, *checks.Env) checks.Result {
	var counts map[string]int
	//lint:ignore SA5000 the panic is what this test is about
	counts["pods"]++ // panics here: a nil map
	return checks.Result{}
}

func repeatsNegatively(context.Context, *checks.Env) checks.Result {
	return checks.Result{Summary: strings.Repeat("x", -1)} // panics here: inside strings
}

type judge struct{ limit int }

func (j *judge) run(context.Context, *checks.Env) checks.Result {
	return checks.Result{Summary: helper(j.limit)}
}

func helper(limit int) string {
	parts := []string{"a"}
	return parts[limit] // panics here: an index out of range, two calls deep
}

// TestPanicNamesTheChecksLine: a check that panics is reported as an Error naming its own
// line, in its own package, though the panic arose in the runtime or a library it called.
func TestPanicNamesTheChecksLine(t *testing.T) {
	lines := panicLines(t)
	list := []checks.Check{
		{ID: "sample.nil-map", Run: writesANilMap},
		{ID: "sample.library", Run: repeatsNegatively},
		{ID: "sample.method", Run: (&judge{limit: 3}).run},
		{ID: "sample.closure", Run: func(context.Context, *checks.Env) checks.Result {
			panic("boom") // panics here: a closure
		}},
	}
	want := map[string]string{"sample.nil-map": "a nil map", "sample.library": "inside strings",
		"sample.method": "an index out of range, two calls deep", "sample.closure": "a closure"}
	for r := range checks.Run(context.Background(), list, &checks.Env{}, checks.RunOptions{}) {
		site := "panic_test.go:" + strconv.Itoa(lines[want[r.CheckID]]) + ")"
		if r.Status != checks.StatusError || !strings.Contains(r.Summary, "the check panicked") || !strings.HasSuffix(r.Summary, site) {
			t.Errorf("%s: %s %q, want an Error at %s", r.CheckID, r.Status, r.Summary, site)
		}
	}
}

// panicLines maps each "panics here" comment of this file to its line.
func panicLines(t *testing.T) map[string]int {
	t.Helper()
	f, err := os.Open(filepath.Join("panic_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if _, why, ok := strings.Cut(sc.Text(), "// panics here: "); ok {
			out[why] = n
		}
	}
	return out
}

package netpolicy

import (
	"runtime/debug"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

func TestCalicoSelector(t *testing.T) {
	web := labels.Set{"app": "web", "tier": "frontend", "projectcalico.org/namespace": "team-a"}
	db := labels.Set{"app": "db", "role": "primary"}
	for _, tc := range []struct {
		src     string
		web, db bool
		simple  bool // comes back as a labels.Selector the index can narrow by
	}{
		{"", true, true, true},
		{"all()", true, true, true},
		{"global()", false, false, false},
		{"app == 'web'", true, false, true},
		{`app == "web"`, true, false, true},
		{"app != 'web'", false, true, true},
		{"missing != 'x'", true, true, true},
		{"has(role)", false, true, true},
		{"!has(role)", true, false, true},
		{"app in {'web', 'api'}", true, false, true},
		{"app not in {'web'}", false, true, true},
		{"app == 'web' && tier == 'frontend'", true, false, true},
		{"app == 'web' || role == 'primary'", true, true, false},
		{"!(app == 'web')", false, true, false},
		{"tier starts with 'front'", true, false, false},
		{"tier ends with 'end'", true, false, false},
		{"app contains 'e'", true, false, false},
		{"projectcalico.org/namespace == 'team-a' && (app == 'web' || app == 'api')", true, false, false},
		{"has(app) && all()", true, true, true},
	} {
		m, err := parseCalicoSelector(tc.src)
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if got := m.Matches(web); got != tc.web {
			t.Errorf("%q matches web = %v, want %v", tc.src, got, tc.web)
		}
		if got := m.Matches(db); got != tc.db {
			t.Errorf("%q matches db = %v, want %v", tc.src, got, tc.db)
		}
		if _, ok := m.(labels.Selector); ok != tc.simple {
			t.Errorf("%q as a labels.Selector = %v, want %v", tc.src, ok, tc.simple)
		}
	}
}

func TestCalicoSelectorErrors(t *testing.T) {
	for src, want := range map[string]string{
		"app ==":                 "column 7: expected a quoted value, found end of selector",
		"app == 'web":            "column 8: unterminated string",
		"app = 'web'":            "column 5: unexpected character '='",
		"app == 'a' &&":          "expected a label",
		"has(app":                `expected ")"`,
		"nope()":                 "unknown function nope()",
		"app in {'a'":            "expected a quoted value, found end of selector",
		"app not 'a'":            `expected "in" after "not"`,
		"(app == 'a'":            `expected ")"`,
		"app == 'a' app":         `unexpected "app"`,
		strings.Repeat("!", 100): "nested more than 64 deep",
		strings.Repeat("has(a) || ", 10000) + "has(b)": "more than 10000 terms",
	} {
		_, err := parseCalicoSelector(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", src, err, want)
		}
	}
}

// FuzzCalicoSelector: the parser never panics, and what parses matches without panicking.
func FuzzCalicoSelector(f *testing.F) {
	for _, s := range []string{
		"", "all()", "app == 'web'", "has(a) && !has(b)", "a in {'x','y'} || b not in {}",
		"(a contains 'x') && (b starts with 'y' || c ends with \"z\")", "global()", "!!!(a != 'b')",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		m, err := parseCalicoSelector(src)
		if err != nil {
			return
		}
		m.Matches(labels.Set{"a": "x", "app": "web"})
	})
}

// TestCalicoSelectorLongChains: a selector as long as kockpit takes parses in linear time, and
// neither parsing, matching nor turning it into a labels.Selector recurses once per term (half a
// million terms overflowed the stack, a crash recover cannot catch) or copies the selector once
// per term; a longer one is refused, quoted by its start only.
func TestCalicoSelectorLongChains(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	const terms = calicoSelectorMaxTerms - 1
	for _, tc := range []struct {
		first, rest string
		web, simple bool
	}{
		{"has(app)", " && has(app)", true, true},
		{"app == 'web'", " && tier contains 'front'", true, false},
		{"has(nope)", " || has(nope)", false, false},
		{"has(nope)", " || !(app == 'db')", true, false},
	} {
		src := tc.first + strings.Repeat(tc.rest, terms)
		m, err := parseCalicoSelector(src)
		if err != nil {
			t.Errorf("%s… (%d terms): %v", tc.first+tc.rest, terms, err)
			continue
		}
		if got := m.Matches(labels.Set{"app": "web", "tier": "frontend"}); got != tc.web {
			t.Errorf("%s… matches web = %v, want %v", tc.first+tc.rest, got, tc.web)
		}
		if _, ok := m.(labels.Selector); ok != tc.simple {
			t.Errorf("%s… as a labels.Selector = %v, want %v", tc.first+tc.rest, ok, tc.simple)
		}
	}
	// An error quotes the start of a long selector, not all of it.
	_, err := parseCalicoSelector(strings.Repeat("has(a) && ", terms) + "app ==")
	if err == nil || len(err.Error()) > 400 || !strings.Contains(err.Error(), "bytes)") ||
		!strings.Contains(err.Error(), "expected a quoted value") {
		t.Errorf("error on a long selector: %.500v", err)
	}
	_, err = parseCalicoSelector(strings.Repeat("has(a) && ", 500_000) + "has(b)")
	if err == nil || len(err.Error()) > 400 || !strings.Contains(err.Error(), "more than 10000 terms") {
		t.Errorf("error on a selector of half a million terms: %.500v", err)
	}
}

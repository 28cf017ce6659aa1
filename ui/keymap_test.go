package ui

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEListsEveryAction: the README's theme example names every action a theme file may
// rebind, so a teacher reading it can rebind the lesson's keys too.
func TestREADMEListsEveryAction(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	start := strings.Index(s, "keys:                        #")
	if start < 0 {
		t.Fatal("README has no theme keys example")
	}
	example := s[start:]
	example = example[:strings.Index(example, "```")]
	words := map[string]bool{}
	for _, w := range strings.Fields(strings.NewReplacer("#", " ", ";", " ", ":", " ").Replace(example)) {
		words[w] = true
	}
	for _, a := range ActionNames() {
		if !words[a] {
			t.Errorf("README's keys example does not name the action %q", a)
		}
	}
}

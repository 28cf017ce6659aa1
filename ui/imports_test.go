package ui

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCockpitDoesNotImportTheReport: the cockpit and the report are two views of the same
// results, side by side; what both need (the status marks, the run's source) lives in checks,
// so neither depends on the other.
func TestCockpitDoesNotImportTheReport(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == "github.com/kockpit/kockpit/report" {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}

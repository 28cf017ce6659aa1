package catalog

import (
	"fmt"
	"go/build"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
)

const module = "github.com/kockpit/kockpit"

// idShape is an area name, a dot and a lower-case kebab-case name: "dns.kubelet-clusterdns".
var idShape = regexp.MustCompile(`^([a-z]+)\.([a-z][a-z0-9]*(?:-[a-z0-9]+)*)$`)

func TestEveryCheckIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range Areas() {
		list := a.Checks()
		if len(list) == 0 {
			t.Errorf("area %s lists no check", a.Name)
		}
		for _, c := range list {
			m := idShape.FindStringSubmatch(c.ID)
			switch {
			case m == nil:
				t.Errorf("check ID %q is malformed: want AREA.name, lower-case kebab-case", c.ID)
			case m[1] != a.Name:
				t.Errorf("check %s is listed by area %s: its ID must start with %q", c.ID, a.Name, a.Name+".")
			}
			if seen[c.ID] {
				t.Errorf("check ID %s is listed twice", c.ID)
			}
			seen[c.ID] = true
			if c.Category != a.Category {
				t.Errorf("check %s has category %q, its area %s has %q", c.ID, c.Category, a.Name, a.Category)
			}
			if c.Title == "" || c.Run == nil {
				t.Errorf("check %s lacks a title or a Run", c.ID)
			}
			if c.Learn == "" {
				t.Errorf("check %s has no Learn text: write checks/%s/learn/%s.md", c.ID, a.Name, c.ID)
			}
		}
	}
	if got := len(All()); got != len(seen) {
		t.Errorf("All lists %d checks, the areas %d", got, len(seen))
	}
}

// TestACheckIsFoundFromItsID holds the layout's promise: the check with ID area.name lives in
// checks/area/name.go (dashes as underscores), beside its Learn file.
func TestACheckIsFoundFromItsID(t *testing.T) {
	for _, a := range Areas() {
		pkg, err := importModulePackage(module + "/checks/" + a.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range a.Checks() {
			file := strings.ReplaceAll(strings.TrimPrefix(c.ID, a.Name+"."), "-", "_") + ".go"
			if !slices.Contains(pkg.GoFiles, file) {
				t.Errorf("check %s: no file checks/%s/%s", c.ID, a.Name, file)
			}
		}
	}
}

func TestCategoriesAreKnown(t *testing.T) {
	for _, a := range Areas() {
		if !slices.Contains(checks.Categories, a.Category) {
			t.Errorf("area %s: category %q is not in checks.Categories", a.Name, a.Category)
		}
	}
}

// TestNoAreaImportsAnother keeps each area self-contained: what two areas share lives in a
// helper package named for what it holds (internal/...), never in another area.
func TestNoAreaImportsAnother(t *testing.T) {
	areas := map[string]string{}
	for _, a := range Areas() {
		areas[module+"/checks/"+a.Name] = a.Name
	}
	for imp, name := range areas {
		for dep, via := range moduleDeps(t, imp) {
			if other, ok := areas[dep]; ok && dep != imp {
				t.Errorf("area %s imports area %s (through %s): move what they share into a helper package", name, other, via)
			}
		}
	}
}

// moduleDeps returns every package of this module that pkg depends on, non-test files only,
// each with the package that imports it.
func moduleDeps(t *testing.T, pkg string) map[string]string {
	t.Helper()
	deps := map[string]string{}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		bp, err := importModulePackage(p)
		if err != nil {
			t.Fatalf("reading %s: %v", p, err)
		}
		for _, imp := range bp.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if _, done := deps[imp]; !done {
				deps[imp] = path.Base(p)
				queue = append(queue, imp)
			}
		}
	}
	return deps
}

// importModulePackage reads a package of this module from its directory. build.Import by
// import path asks the go command where the package is, a process per call: the import walks
// above took two minutes that way.
func importModulePackage(importPath string) (*build.Package, error) {
	rel, ok := strings.CutPrefix(importPath, module+"/")
	if !ok {
		return nil, fmt.Errorf("%s is not in module %s", importPath, module)
	}
	return build.ImportDir(filepath.Join("..", "..", filepath.FromSlash(rel)), 0)
}

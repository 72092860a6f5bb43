package metric

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// nameConstants reads this package's source and returns every exported
// constant whose value is a string literal, by value: those are the metric
// names (the unit constants are units.Unit values, not literals). Parsing
// the source instead of keeping a list here means a constant added
// without a definition, or a definition added without a constant, fails
// this test without anyone remembering to update it.
func nameConstants(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	byValue := map[string]string{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !id.IsExported() || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatalf("%s: constant %s: %v", fset.Position(lit.Pos()), id.Name, err)
					}
					if other, dup := byValue[v]; dup {
						t.Errorf("%s: constants %s and %s both name %q", fset.Position(id.Pos()), other, id.Name, v)
					}
					byValue[v] = id.Name
				}
			}
		}
	}
	return byValue
}

func TestEveryNameConstantIsRegisteredAndEveryDefHasOne(t *testing.T) {
	consts := nameConstants(t)
	if len(consts) == 0 {
		t.Fatal("found no name constants in the package source: is the test running in runner/metric?")
	}
	var missing []string
	for v, id := range consts {
		if _, ok := registry[v]; !ok {
			missing = append(missing, id+" = "+strconv.Quote(v))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("constant %s has no definition: register it with def(Def{Name: ...}) or remove it", m)
	}
	var unnamed []string
	for name := range registry {
		if _, ok := consts[name]; !ok {
			unnamed = append(unnamed, name)
		}
	}
	sort.Strings(unnamed)
	for _, n := range unnamed {
		t.Errorf("metric %q has no name constant: add one beside the others (defs.go) so that code writing it cannot misspell it", n)
	}
}

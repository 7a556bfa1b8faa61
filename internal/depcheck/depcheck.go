package depcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
)

// Package is one package of the import graph, as go list describes it.
type Package struct {
	ImportPath string
	Standard   bool
	Module     *struct{ Path string }
	Imports    []string
}

// Graph is the import graph of a module's packages (without their tests)
// and of everything they depend on.
type Graph struct {
	Module string              // the module's path
	Pkgs   map[string]*Package // by import path
	Own    []string            // the module's packages, module-relative, sorted
}

// Load lists every package of the module that holds dir, and their
// dependencies, with `go list -deps -test=false` run in the module's root:
// test-only imports are not part of the rule.
func Load(dir string) (*Graph, error) {
	mod, err := goList(dir, "list", "-m", "-f", "{{.Path}}\n{{.Dir}}")
	if err != nil {
		return nil, err
	}
	path, root, ok := strings.Cut(strings.TrimSpace(string(mod)), "\n")
	if !ok || root == "" {
		return nil, fmt.Errorf("go list -m in %s: no module root in %q", dir, mod)
	}
	out, err := goList(root, "list", "-deps", "-test=false", "-json=ImportPath,Standard,Module,Imports", "./...")
	if err != nil {
		return nil, err
	}
	return parse(path, out)
}

func goList(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// parse reads go list -json's stream of packages.
func parse(module string, listJSON []byte) (*Graph, error) {
	g := &Graph{Module: module, Pkgs: map[string]*Package{}}
	dec := json.NewDecoder(bytes.NewReader(listJSON))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading go list's output: %w", err)
		}
		g.Pkgs[p.ImportPath] = &p
		if rel, ok := g.rel(p.ImportPath); ok {
			g.Own = append(g.Own, rel)
		}
	}
	slices.Sort(g.Own)
	return g, nil
}

// rel returns a package of the module by its module-relative path.
func (g *Graph) rel(importPath string) (string, bool) {
	if importPath == g.Module {
		return ".", true
	}
	return strings.CutPrefix(importPath, g.Module+"/")
}

func (g *Graph) abs(rel string) string {
	if rel == "." {
		return g.Module
	}
	return g.Module + "/" + rel
}

// moduleOf returns the module path of a third-party package, "" for the
// standard library and the module's own packages.
func (g *Graph) moduleOf(importPath string) string {
	p := g.Pkgs[importPath]
	if p == nil || p.Standard || p.Module == nil || p.Module.Path == g.Module {
		return ""
	}
	return p.Module.Path
}

// Rule says what one package of the module may import directly: other
// packages of the module (module-relative) and third-party modules (by
// module path). The standard library is always allowed.
type Rule struct {
	Packages []string
	Modules  []string
}

// Check returns one error for each way the graph breaks the rules: a
// package of the module with no rule, a rule for no package, an import a
// package's rule does not name, and a guarded module reached other than
// through a package of the module whose rule names it. Each error about an
// import shows the import chain that reaches it from a command or other
// package that nothing in the module imports.
func (g *Graph) Check(rules map[string]Rule, guarded []string) []error {
	var errs []error
	for _, pkg := range g.Own {
		if _, ok := rules[pkg]; !ok {
			errs = append(errs, fmt.Errorf("package %s has no rule: add it to the allowlist with the packages and modules it may import", pkg))
		}
	}
	for _, pkg := range sortedKeys(rules) {
		if _, ok := g.Pkgs[g.abs(pkg)]; !ok {
			errs = append(errs, fmt.Errorf("the allowlist has a rule for %s, which is not a package of %s: remove it", pkg, g.Module))
		}
	}
	chains := g.chains()
	for _, pkg := range g.Own {
		rule, ok := rules[pkg]
		if !ok {
			continue
		}
		for _, imp := range g.Pkgs[g.abs(pkg)].Imports {
			if rel, own := g.rel(imp); own {
				if !slices.Contains(rule.Packages, rel) {
					errs = append(errs, fmt.Errorf("%s may not import %s (its rule allows %s)\n%s",
						pkg, rel, list(rule.Packages), chain(chains, g.abs(pkg), imp)))
				}
			} else if m := g.moduleOf(imp); m != "" && !slices.Contains(rule.Modules, m) {
				errs = append(errs, fmt.Errorf("%s may not import %s of module %s (its rule allows %s)\n%s",
					pkg, imp, m, list(rule.Modules), chain(chains, g.abs(pkg), imp)))
			}
		}
	}
	// A third-party package that imports a guarded module would let a
	// package of the module reach it without naming it.
	for _, path := range sortedKeys(g.Pkgs) {
		m := g.moduleOf(path)
		if m == "" || slices.Contains(guarded, m) {
			continue
		}
		for _, imp := range g.Pkgs[path].Imports {
			if gm := g.moduleOf(imp); slices.Contains(guarded, gm) {
				errs = append(errs, fmt.Errorf("%s is reached through %s (module %s), not through a package whose rule names it\n%s",
					gm, path, m, chain(chains, path, imp)))
			}
		}
	}
	return errs
}

// chains maps each package reachable from the module's roots (its
// packages that no other package of the module imports) to the package
// that first imports it on a shortest path from a root; roots map to "".
func (g *Graph) chains() map[string]string {
	imported := map[string]bool{}
	for _, pkg := range g.Own {
		for _, imp := range g.Pkgs[g.abs(pkg)].Imports {
			imported[imp] = true
		}
	}
	parent := map[string]string{}
	var queue []string
	for _, pkg := range g.Own {
		if p := g.abs(pkg); !imported[p] {
			parent[p] = ""
			queue = append(queue, p)
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		pkg := g.Pkgs[p]
		if pkg == nil {
			continue
		}
		for _, imp := range pkg.Imports {
			if _, seen := parent[imp]; !seen {
				parent[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return parent
}

// chain writes the import chain from a root to from, then to imp, one
// package a line as go-containerregistry's depcheck does.
func chain(parent map[string]string, from, imp string) string {
	path := []string{imp}
	for p := from; p != ""; p = parent[p] {
		path = append(path, p)
		if len(path) > len(parent)+1 { // a cycle cannot happen in Go; stay safe
			break
		}
	}
	slices.Reverse(path)
	var b strings.Builder
	b.WriteString("import chain:")
	for i, p := range path {
		fmt.Fprintf(&b, "\n  %s%s", strings.Repeat("  ", i), p)
	}
	return b.String()
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

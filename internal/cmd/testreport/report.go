package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Options configure [Report].
type Options struct {
	// Module is trimmed, with its slash, from package paths in names.
	Module string
	// Allow names the tests that may skip (see the package comment).
	Allow []string
}

// event is one line of `go test -json` (cmd/test2json), including the
// build events that go test -json writes since Go 1.24.
type event struct {
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string // build-output, build-fail
	FailedBuild string // a package's fail: the ImportPath whose build failed
}

// Skip is a skipped test and the message it gave.
type Skip struct {
	Name    string // package (relative to the module) "." test
	Reason  string
	Allowed bool
}

// tally is what [Report] counted.
type tally struct {
	passed, failed int
	skips          []Skip
}

// pkgState follows one package's tests through the stream.
type pkgState struct {
	output  []string            // package-level output
	tests   []string            // tests in the order they started
	lines   map[string][]string // output by test
	status  map[string]string   // pass, fail or skip by test; absent while running
	failed  int                 // tests of this package that failed
	printed map[string]bool     // failing top-level tests already printed
}

// Report reads a `go test -json` stream from r and writes the report to w.
// It reports false when a test or package failed, a test skipped that
// opts.Allow does not name, or the stream held no package result.
func Report(r io.Reader, w io.Writer, opts Options) (bool, error) {
	allow := make([]string, len(opts.Allow))
	for i, a := range opts.Allow {
		allow[i] = relative(opts.Module, a)
	}
	var (
		t        tally
		pkgs     = map[string]*pkgState{}
		build    = map[string][]string{}
		shown    = map[string]bool{}
		packages int
	)
	state := func(pkg string) *pkgState {
		p := pkgs[pkg]
		if p == nil {
			p = &pkgState{lines: map[string][]string{}, status: map[string]string{}, printed: map[string]bool{}}
			pkgs[pkg] = p
		}
		return p
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(w, "%s\n", line) // not an event: go test's own words
			continue
		}
		switch e.Action {
		case "build-output":
			build[e.ImportPath] = append(build[e.ImportPath], e.Output)
			continue
		case "build-fail":
			continue
		}
		p := state(e.Package)
		if e.Test == "" {
			switch e.Action {
			case "output":
				p.output = append(p.output, e.Output)
			case "pass":
				packages++
				fmt.Fprintf(w, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
				delete(pkgs, e.Package)
			case "skip":
				packages++
				fmt.Fprintf(w, "?   \t%s\t[no test files]\n", e.Package)
				delete(pkgs, e.Package)
			case "fail":
				packages++
				if b := e.FailedBuild; b != "" && !shown[b] {
					shown[b] = true
					fmt.Fprint(w, strings.Join(build[b], ""))
				}
				// Tests still running when the package ended (a panic, a
				// timeout) failed with it.
				for _, name := range p.tests {
					if _, done := p.status[name]; !done {
						p.status[name] = "fail"
						t.failed++
						p.failed++
					}
				}
				for _, name := range p.tests {
					if !strings.Contains(name, "/") {
						printFailed(w, p, name)
					}
				}
				if p.failed == 0 {
					t.failed++ // the package failed outside any test
				}
				fmt.Fprint(w, strings.Join(p.output, ""))
				delete(pkgs, e.Package)
			}
			continue
		}
		switch e.Action {
		case "run":
			p.tests = append(p.tests, e.Test)
		case "output":
			p.lines[e.Test] = append(p.lines[e.Test], e.Output)
		case "pass", "fail", "skip":
			p.status[e.Test] = e.Action
			switch e.Action {
			case "pass":
				t.passed++
			case "fail":
				t.failed++
				p.failed++
			case "skip":
				name := relative(opts.Module, e.Package) + "." + e.Test
				t.skips = append(t.skips, Skip{Name: name, Reason: reason(p.lines[e.Test]), Allowed: allowed(allow, name)})
			}
			if !strings.Contains(e.Test, "/") {
				if e.Action == "fail" {
					printFailed(w, p, e.Test)
				}
				p.forget(e.Test)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("reading the go test -json stream: %w", err)
	}
	// Packages whose stream ended without a result: go test was cut off.
	var cut []string
	for pkg := range pkgs {
		cut = append(cut, pkg)
	}
	sort.Strings(cut)
	for _, pkg := range cut {
		p := pkgs[pkg]
		for _, name := range p.tests {
			if _, done := p.status[name]; !done {
				p.status[name] = "fail"
				t.failed++
			}
		}
		for _, name := range p.tests {
			if !strings.Contains(name, "/") {
				printFailed(w, p, name)
			}
		}
		fmt.Fprint(w, strings.Join(p.output, ""))
		fmt.Fprintf(w, "FAIL\t%s\t[no result: the stream ended]\n", pkg)
		t.failed++
	}
	return t.write(w, packages), nil
}

// printFailed prints the output of the failed top-level test name and of
// its failed subtests, once, without the === RUN/PAUSE/CONT lines.
func printFailed(w io.Writer, p *pkgState, name string) {
	if p.status[name] != "fail" || p.printed[name] {
		return
	}
	p.printed[name] = true
	for _, test := range p.tests {
		if (test == name || strings.HasPrefix(test, name+"/")) && p.status[test] == "fail" {
			for _, l := range p.lines[test] {
				if !strings.HasPrefix(l, "=== ") {
					fmt.Fprint(w, l)
				}
			}
		}
	}
}

// forget drops what is kept of a finished top-level test and its subtests,
// so that a long run holds only the tests in flight.
func (p *pkgState) forget(name string) {
	kept := p.tests[:0]
	for _, test := range p.tests {
		if test == name || strings.HasPrefix(test, name+"/") {
			delete(p.lines, test)
			delete(p.status, test)
			continue
		}
		kept = append(kept, test)
	}
	p.tests = kept
}

// write prints the count line and the skips, and says whether the run
// passed.
func (t *tally) write(w io.Writer, packages int) bool {
	ok := t.failed == 0 && packages > 0
	if packages == 0 {
		fmt.Fprintln(w, "testreport: no package result in the go test -json stream")
	}
	fmt.Fprintf(w, "test: %d passed, %d failed, %d skipped\n", t.passed, t.failed, len(t.skips))
	for _, s := range t.skips {
		verdict := "allowed"
		if !s.Allowed {
			verdict = "NOT ALLOWED"
			ok = false
		}
		fmt.Fprintf(w, "skipped (%s): %s: %s\n", verdict, s.Name, s.Reason)
	}
	if n := t.unallowed(); n > 0 {
		fmt.Fprintf(w, "FAIL: %d test(s) skipped that the Makefile's TEST_SKIP_ALLOW does not list: make them run, or fail with what is missing\n", n)
	}
	return ok
}

func (t *tally) unallowed() int {
	n := 0
	for _, s := range t.skips {
		if !s.Allowed {
			n++
		}
	}
	return n
}

// relative is pkg without the module's prefix ("." for the module's root).
func relative(module, pkg string) string {
	if pkg == module {
		return "."
	}
	return strings.TrimPrefix(pkg, module+"/")
}

// allowed reports whether an entry names the test or one of its parents.
func allowed(entries []string, name string) bool {
	for _, a := range entries {
		if name == a || strings.HasPrefix(name, a+"/") {
			return true
		}
	}
	return false
}

// reason is a skipped test's message: its output less the framework's
// === and --- lines, on one line.
func reason(lines []string) string {
	var parts []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		parts = append(parts, l)
	}
	if len(parts) == 0 {
		return "(no message)"
	}
	return strings.Join(parts, " ")
}

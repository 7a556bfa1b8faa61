// Command testreport reads the JSON stream of `go test -json` on standard
// input and prints what `go test` would (an ok or FAIL line per package,
// the full output of each failing test, build errors), then one line
//
//	test: N passed, N failed, N skipped
//
// and the skipped tests, each marked allowed or not. It exits 1 when a
// test or package failed or a test skipped that -allow does not name, so
// that `make test` fails on a skip nobody decided on.
//
// Tests and subtests are counted alike. A package that fails outside any
// test (a build error, a crash between tests, a timeout) counts as one
// failure. An -allow entry is a package path relative to -module, a dot
// and a test name, e.g. tracking/sqlstore.TestCrashChild; it allows that
// test and its subtests to skip.
//
// Usage:
//
//	go test -json ./... | testreport -allow 'pkg.TestA pkg/sub.TestB'
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	allow := flag.String("allow", "", "tests allowed to skip, separated by spaces or commas (pkg.TestName)")
	module := flag.String("module", "github.com/berthml/berth", "module path trimmed from package names")
	flag.Parse()
	entries := strings.FieldsFunc(*allow, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	ok, err := Report(os.Stdin, os.Stdout, Options{Module: *module, Allow: entries})
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

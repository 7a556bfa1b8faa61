package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

const mod = "example.com/m"

// stream writes `go test -json` lines: each event is action, package
// (relative to mod), test, then output for "output" or elapsed seconds
// for a package's pass/fail.
func stream(t *testing.T, events ...[]string) string {
	t.Helper()
	var b strings.Builder
	for _, ev := range events {
		e := map[string]any{"Action": ev[0]}
		switch ev[0] {
		case "build-output", "build-fail":
			e["ImportPath"] = mod + "/" + ev[1]
			if ev[0] == "build-output" {
				e["Output"] = ev[2]
			}
		default:
			e["Package"] = mod + "/" + ev[1]
			if ev[2] != "" {
				e["Test"] = ev[2]
			}
			if len(ev) > 3 && ev[0] == "output" {
				e["Output"] = ev[3]
			}
			if len(ev) > 3 && ev[0] == "fail" && ev[2] == "" {
				e["FailedBuild"] = mod + "/" + ev[3]
			}
		}
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// passing is one test in package p that logs and passes.
func passing(p, name string) [][]string {
	return [][]string{
		{"run", p, name},
		{"output", p, name, "=== RUN   " + name + "\n"},
		{"output", p, name, "    x_test.go:1: quiet log of " + name + "\n"},
		{"output", p, name, "--- PASS: " + name + " (0.00s)\n"},
		{"pass", p, name},
	}
}

// skipping is one test in package p that skips with why.
func skipping(p, name, why string) [][]string {
	return [][]string{
		{"run", p, name},
		{"output", p, name, "=== RUN   " + name + "\n"},
		{"output", p, name, "    x_test.go:9: " + why + "\n"},
		{"output", p, name, "--- SKIP: " + name + " (0.00s)\n"},
		{"skip", p, name},
	}
}

func join(parts ...[][]string) [][]string {
	var out [][]string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var (
	pkgPass = [][]string{{"output", "a", "", "PASS\n"}, {"pass", "a", ""}}
	pkgFail = [][]string{{"output", "a", "", "FAIL\n"}, {"output", "a", "", "FAIL\texample.com/m/a\t0.010s\n"}, {"fail", "a", ""}}
)

var countLine = regexp.MustCompile(`(?m)^test: (\d+) passed, (\d+) failed, (\d+) skipped$`)

func TestReport(t *testing.T) {
	for _, c := range []struct {
		name   string
		events [][]string
		allow  []string
		ok     bool
		counts string   // "passed failed skipped"
		want   []string // in the output, in this order
		never  []string // not in the output
	}{
		{
			name:   "all pass",
			events: join(passing("a", "TestA"), passing("a", "TestB"), pkgPass),
			ok:     true, counts: "2 0 0",
			want:  []string{"ok  \texample.com/m/a\t0.000s\n", "test: 2 passed, 0 failed, 0 skipped\n"},
			never: []string{"quiet log", "skipped ("},
		},
		{
			name:   "no test files",
			events: [][]string{{"start", "c", ""}, {"skip", "c", ""}},
			ok:     true, counts: "0 0 0",
			want: []string{"?   \texample.com/m/c\t[no test files]\n"},
		},
		{
			name:   "allowed skip",
			events: join(skipping("a", "TestChild", "only as a child"), passing("a", "TestParent"), pkgPass),
			allow:  []string{"a.TestChild"},
			ok:     true, counts: "1 0 1",
			want: []string{"test: 1 passed, 0 failed, 1 skipped\n", "skipped (allowed): a.TestChild: x_test.go:9: only as a child\n"},
		},
		{
			name:   "allowed by full package path",
			events: join(skipping("a", "TestChild", "only as a child"), pkgPass),
			allow:  []string{mod + "/a.TestChild"},
			ok:     true, counts: "0 0 1",
			want: []string{"skipped (allowed): a.TestChild"},
		},
		{
			name:   "a parent's entry allows its subtests",
			events: join([][]string{{"run", "a", "FuzzX"}}, skipping("a", "FuzzX/seed#0", "not a tar"), [][]string{{"pass", "a", "FuzzX"}}, pkgPass),
			allow:  []string{"a.FuzzX"},
			ok:     true, counts: "1 0 1",
			want: []string{"skipped (allowed): a.FuzzX/seed#0: x_test.go:9: not a tar\n"},
		},
		{
			name:   "a skip not allowed fails the run",
			events: join(skipping("a", "TestConformance", "transcript absent"), passing("a", "TestB"), pkgPass),
			ok:     false, counts: "1 0 1",
			want: []string{"ok  \texample.com/m/a", "test: 1 passed, 0 failed, 1 skipped\n",
				"skipped (NOT ALLOWED): a.TestConformance: x_test.go:9: transcript absent\n", "FAIL: 1 test(s) skipped"},
		},
		{
			name:   "the same name in another package is not allowed",
			events: join(skipping("b", "TestChild", "elsewhere"), [][]string{{"pass", "b", ""}}),
			allow:  []string{"a.TestChild"},
			ok:     false, counts: "0 0 1",
			want: []string{"skipped (NOT ALLOWED): b.TestChild"},
		},
		{
			name:   "an entry is not a name prefix",
			events: join(skipping("a", "TestChildren", "x"), pkgPass),
			allow:  []string{"a.TestChild"},
			ok:     false, counts: "0 0 1",
			want: []string{"skipped (NOT ALLOWED): a.TestChildren"},
		},
		{
			name: "a failing subtest prints its output and its parent's, not the passing ones'",
			events: join([][]string{
				{"run", "a", "TestSub"},
				{"output", "a", "TestSub", "=== RUN   TestSub\n"},
				{"output", "a", "TestSub", "    a_test.go:7: parent log\n"},
			}, passing("a", "TestSub/good"), [][]string{
				{"run", "a", "TestSub/bad"},
				{"output", "a", "TestSub/bad", "=== RUN   TestSub/bad\n"},
				{"output", "a", "TestSub/bad", "    a_test.go:9: bad thing\n"},
				{"output", "a", "TestSub/bad", "--- FAIL: TestSub/bad (0.00s)\n"},
				{"fail", "a", "TestSub/bad"},
				{"output", "a", "TestSub", "--- FAIL: TestSub (0.00s)\n"},
				{"fail", "a", "TestSub"},
			}, passing("a", "TestOther"), pkgFail),
			ok: false, counts: "2 2 0",
			want: []string{"    a_test.go:7: parent log\n--- FAIL: TestSub (0.00s)\n    a_test.go:9: bad thing\n--- FAIL: TestSub/bad (0.00s)\n",
				"FAIL\texample.com/m/a\t0.010s\n", "test: 2 passed, 2 failed, 0 skipped\n"},
			never: []string{"=== RUN", "quiet log", "ok  "},
		},
		{
			name: "a build failure prints the compiler's words and counts as a failure",
			events: [][]string{
				{"build-output", "b [example.com/m/b.test]", "# example.com/m/b [example.com/m/b.test]\n"},
				{"build-output", "b [example.com/m/b.test]", "b/b_test.go:5:28: undefined: undefined\n"},
				{"build-fail", "b [example.com/m/b.test]"},
				{"start", "b", ""},
				{"output", "b", "", "FAIL\texample.com/m/b [build failed]\n"},
				{"fail", "b", "", "b [example.com/m/b.test]"},
			},
			ok: false, counts: "0 1 0",
			want: []string{"b/b_test.go:5:28: undefined: undefined\nFAIL\texample.com/m/b [build failed]\n", "test: 0 passed, 1 failed, 0 skipped\n"},
		},
		{
			name: "a test still running when its package fails (a timeout) failed",
			events: [][]string{
				{"run", "a", "TestSlow"},
				{"output", "a", "TestSlow", "=== RUN   TestSlow\n"},
				{"output", "a", "TestSlow", "panic: test timed out after 1s\n"},
				{"output", "a", "", "FAIL\texample.com/m/a\t1.011s\n"},
				{"fail", "a", ""},
			},
			ok: false, counts: "0 1 0",
			want: []string{"panic: test timed out after 1s\n", "FAIL\texample.com/m/a\t1.011s\n", "test: 0 passed, 1 failed, 0 skipped\n"},
		},
		{
			name:   "a package failing outside any test (TestMain) counts once",
			events: join(passing("a", "TestA"), [][]string{{"output", "a", "", "main: setup failed\n"}}, pkgFail),
			ok:     false, counts: "1 1 0",
			want: []string{"main: setup failed\n", "FAIL\texample.com/m/a"},
		},
		{
			name:   "a stream cut off before the package's result fails",
			events: [][]string{{"run", "a", "TestA"}, {"output", "a", "TestA", "half a line\n"}},
			ok:     false, counts: "0 2 0",
			want: []string{"half a line\n", "FAIL\texample.com/m/a\t[no result: the stream ended]\n", "no package result"},
		},
		{
			name:   "an empty stream fails",
			events: nil,
			ok:     false, counts: "0 0 0",
			want: []string{"no package result"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out strings.Builder
			ok, err := Report(strings.NewReader(stream(t, c.events...)), &out, Options{Module: mod, Allow: c.allow})
			if err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if ok != c.ok {
				t.Errorf("ok = %v, want %v; output:\n%s", ok, c.ok, got)
			}
			m := countLine.FindAllStringSubmatch(got, -1)
			if len(m) != 1 {
				t.Fatalf("want exactly one count line alone on its line, got %d:\n%s", len(m), got)
			}
			if counts := strings.Join(m[0][1:], " "); counts != c.counts {
				t.Errorf("counts = %s, want %s:\n%s", counts, c.counts, got)
			}
			rest := got
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (after the earlier wants):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range c.never {
				if strings.Contains(got, n) {
					t.Errorf("output holds %q:\n%s", n, got)
				}
			}
		})
	}
}

// TestReportPassesOtherLines keeps what is not an event (a message of the
// go command) in the report.
func TestReportPassesOtherLines(t *testing.T) {
	in := "go: downloading example.com/x v1.0.0\n" + stream(t, join(passing("a", "TestA"), pkgPass)...)
	var out strings.Builder
	ok, err := Report(strings.NewReader(in), &out, Options{Module: mod})
	if err != nil || !ok {
		t.Fatalf("Report = %v, %v:\n%s", ok, err, out.String())
	}
	if !strings.HasPrefix(out.String(), "go: downloading example.com/x v1.0.0\nok  \texample.com/m/a") {
		t.Errorf("output:\n%s", out.String())
	}
}

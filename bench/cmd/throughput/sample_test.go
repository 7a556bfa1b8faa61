package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// wrkOutput is what wrk prints with wrkScript: its own report, then the
// script's lines, here with every quantile at q µs.
func wrkOutput(requests, us int, q func(i int) int) string {
	var b strings.Builder
	b.WriteString("Running 2s test @ http://127.0.0.1:1/\n  2 threads and 8 connections\nRequests/sec:  1000.00\n")
	fmt.Fprintf(&b, "throughput: summary %d %d 0 1 0 2 3\nthroughput: quantiles", requests, us)
	for i := range quantileSteps {
		fmt.Fprintf(&b, " %d", q(i))
	}
	b.WriteString("\n")
	return b.String()
}

func TestParseWrk(t *testing.T) {
	s, err := parseWrk([]byte(wrkOutput(2000, 2_000_000, func(i int) int { return 100 + i })))
	if err != nil {
		t.Fatal(err)
	}
	if s.requests != 2000 || s.elapsed != 2*time.Second || s.errors != 6 || s.rps() != 1000 {
		t.Errorf("got %d requests in %s (%v/s), %d errors; want 2000 in 2s, 6 errors", s.requests, s.elapsed, s.rps(), s.errors)
	}
	if got := s.percentile(50); got != 599*time.Microsecond {
		t.Errorf("p50 = %s, want 599µs", got)
	}
	if got := s.percentile(99); got != 1089*time.Microsecond {
		t.Errorf("p99 = %s, want 1089µs", got)
	}
}

func TestParseWrkErrors(t *testing.T) {
	for name, out := range map[string]string{
		"no script lines":   "Running 2s test\nRequests/sec: 1.00\n",
		"no quantiles":      "throughput: summary 1 1 0 0 0 0 0\n",
		"short summary":     "throughput: summary 1 1\n",
		"bad number":        "throughput: summary 1 x 0 0 0 0 0\n",
		"too few quantiles": "throughput: summary 1 1 0 0 0 0 0\nthroughput: quantiles 1 2 3\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseWrk([]byte(out)); err == nil {
				t.Error("no error")
			}
		})
	}
}

// Merging weighs each turn by its requests: a turn with 3× the requests
// moves the percentiles 3× as much.
func TestMerge(t *testing.T) {
	fast, err := parseWrk([]byte(wrkOutput(3000, 1_000_000, func(int) int { return 100 })))
	if err != nil {
		t.Fatal(err)
	}
	slow, err := parseWrk([]byte(wrkOutput(1000, 1_000_000, func(int) int { return 900 })))
	if err != nil {
		t.Fatal(err)
	}
	var m sample
	m.add(fast)
	m.add(slow)
	if m.requests != 4000 || m.rps() != 2000 {
		t.Errorf("merged: %d requests, %v/s; want 4000, 2000/s", m.requests, m.rps())
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 100 * time.Microsecond}, {74, 100 * time.Microsecond}, {76, 900 * time.Microsecond}, {99, 900 * time.Microsecond}} {
		if got := m.percentile(c.p); got != c.want {
			t.Errorf("p%v = %s, want %s", c.p, got, c.want)
		}
	}
}

func TestFromLatencies(t *testing.T) {
	lat := make([]time.Duration, 1000)
	for i := range lat {
		lat[i] = time.Duration(1000-i) * time.Microsecond // 1000µs … 1µs
	}
	s := fromLatencies(lat, time.Second, 0)
	if s.requests != 1000 || len(s.points) != quantileSteps {
		t.Fatalf("%d requests, %d points", s.requests, len(s.points))
	}
	if got := s.percentile(50); got != 500*time.Microsecond {
		t.Errorf("p50 = %s, want 500µs", got)
	}
	if got := s.percentile(99); got != 990*time.Microsecond {
		t.Errorf("p99 = %s, want 990µs", got)
	}
}

func TestParseProcStatCPU(t *testing.T) {
	for _, c := range []struct {
		name, line string
		want       time.Duration
		bad        bool
	}{
		{"berth", "4242 (berth) S 1 4242 4242 0 -1 4194560 9518 0 0 0 250 37 0 0 20 0 12 0 17311 2195052544 30429 18446744073709551615",
			2870 * time.Millisecond, false},
		{"spaces and parentheses in the name", "7 (a (b) c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1 1", 70 * time.Millisecond, false},
		{"no name", "7 a R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0", 0, true},
		{"cut short", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 3", 0, true},
		{"negative", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 -3 4 0 0", 0, true},
		{"not a number", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 x 4 0 0", 0, true},
	} {
		got, err := parseProcStatCPU([]byte(c.line))
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("%s: got %s, %v; want %s, error %v", c.name, got, err, c.want, c.bad)
		}
	}
}

func TestProcCPUSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Fatalf("the bench reads servers' CPU time from /proc: %v", err)
	}
	c0, ok := procCPU(os.Getpid())
	if !ok {
		t.Fatal("procCPU of this process: not known")
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	if c1, _ := procCPU(os.Getpid()); c1 <= c0 {
		t.Errorf("CPU time did not grow over 50 ms of work: %s then %s", c0, c1)
	}
	if _, ok := procCPU(0); ok {
		t.Error("procCPU(0) is known")
	}
}

func TestSampleCPU(t *testing.T) {
	var m sample
	m.add(sample{requests: 100, cpu: 200 * time.Millisecond})
	m.add(sample{requests: 300, cpu: 600 * time.Millisecond})
	if d, ok := m.cpuPerRequest(); !ok || d != 2*time.Millisecond {
		t.Errorf("cpuPerRequest = %s, %v; want 2ms", d, ok)
	}
	m.add(sample{requests: 1, cpuUnknown: true})
	if _, ok := m.cpuPerRequest(); ok {
		t.Error("a turn without CPU time left the cell's known")
	}
}

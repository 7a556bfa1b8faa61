package main

import (
	"fmt"
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

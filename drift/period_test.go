package drift_test

import (
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/drift"
)

func TestPeriodOf(t *testing.T) {
	for _, tc := range []struct {
		name       string
		t          time.Time
		d          time.Duration
		start, end string
	}{
		{"inside", time.Date(2026, 1, 1, 10, 7, 31, 5, time.UTC), 5 * time.Minute, "2026-01-01T10:05:00Z", "2026-01-01T10:10:00Z"},
		{"on the boundary starts the period", time.Date(2026, 1, 1, 10, 10, 0, 0, time.UTC), 5 * time.Minute, "2026-01-01T10:10:00Z", "2026-01-01T10:15:00Z"},
		{"just before the boundary", time.Date(2026, 1, 1, 10, 9, 59, 999999999, time.UTC), 5 * time.Minute, "2026-01-01T10:05:00Z", "2026-01-01T10:10:00Z"},
		{"other zone, same instant", time.Date(2026, 1, 1, 11, 7, 31, 0, time.FixedZone("CET", 3600)), 5 * time.Minute, "2026-01-01T10:05:00Z", "2026-01-01T10:10:00Z"},
		{"odd length aligned on the epoch", time.Unix(1000, 0), 7 * time.Second, "1970-01-01T00:16:34Z", "1970-01-01T00:16:41Z"},
		{"before the epoch", time.Unix(-1, 0), time.Minute, "1969-12-31T23:59:00Z", "1970-01-01T00:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, e := drift.PeriodOf(tc.t, tc.d)
			if got := s.Format(time.RFC3339); got != tc.start {
				t.Errorf("start = %s, want %s", got, tc.start)
			}
			if got := e.Format(time.RFC3339); got != tc.end {
				t.Errorf("end = %s, want %s", got, tc.end)
			}
		})
	}
}

// fakeClock is a settable clock for monitors.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func TestMonitorPeriods(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 1, 0, 0, time.UTC)
	clock := &fakeClock{t: t0}
	var periods []drift.PeriodResult
	var windows []drift.WindowResult
	m, err := drift.NewMonitor(drift.RefXC(t), drift.WithWindowRows(1000), drift.WithWindowTime(0), drift.WithClock(clock.now),
		drift.OnWindow(func(w drift.WindowResult) { windows = append(windows, w) }),
		drift.WithPeriod(5*time.Minute, func(p drift.PeriodResult) { periods = append(periods, p) }))
	if err != nil {
		t.Fatal(err)
	}
	observe(m, 0, 600, 1)
	clock.set(t0.Add(3 * time.Minute))
	observe(m, 600, 600, 1) // window 1 closes after this Record (1,200 rows), inside the period
	if len(windows) != 1 || len(periods) != 0 {
		t.Fatalf("before the period ends: %d windows, %d periods", len(windows), len(periods))
	}
	m.Tick()
	if len(periods) != 0 {
		t.Fatal("a period was handed on before its end")
	}
	clock.set(time.Date(2026, 1, 1, 10, 5, 0, 0, time.UTC)) // the boundary: the next period
	observe(m, 0, 100, 1)
	if len(periods) != 1 {
		t.Fatalf("after the boundary: %d periods, want 1", len(periods))
	}
	p := periods[0]
	if p.Start.Format(time.RFC3339) != "2026-01-01T10:00:00Z" || p.End.Format(time.RFC3339) != "2026-01-01T10:05:00Z" || p.Rows != 1200 || p.Partial {
		t.Fatalf("period = %v..%v rows %d partial %v", p.Start, p.End, p.Rows, p.Partial)
	}
	x := p.Counts.Feature("x")
	if x.Count != 1200 || sum(x.Numeric.Counts) != 1200 || p.Counts.Feature("c").Count != 1200 {
		t.Errorf("period counts: x %d (bins %d), c %d, want 1200", x.Count, sum(x.Numeric.Counts), p.Counts.Feature("c").Count)
	}
	if err := drift.CheckBins(p.Reference, p.Counts); err != nil {
		t.Errorf("period counts not on the reference's bins: %v", err)
	}
	if p.Persistence != drift.DefaultPersistence || p.Thresholds != drift.DefaultThresholds() {
		t.Errorf("period carries persistence %d, thresholds %+v", p.Persistence, p.Thresholds)
	}
	// A period with no rows is not handed on; the quiet one after the
	// 100 rows is closed by Tick.
	clock.set(time.Date(2026, 1, 1, 10, 20, 0, 0, time.UTC))
	m.Tick()
	clock.set(time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC))
	m.Tick()
	if len(periods) != 2 || periods[1].Rows != 100 || periods[1].Start.Format(time.RFC3339) != "2026-01-01T10:05:00Z" {
		t.Fatalf("periods after ticks: %+v", periods)
	}
	observe(m, 0, 7, 1)
	m.FlushPeriod()
	if len(periods) != 3 || !periods[2].Partial || periods[2].Rows != 7 || periods[2].Start.Format(time.RFC3339) != "2026-01-01T10:30:00Z" {
		t.Fatalf("flushed period: %+v", periods[2:])
	}
	m.FlushPeriod() // nothing left
	if len(periods) != 3 {
		t.Errorf("an empty flush handed on a period")
	}
	// Windows are what they were without periods.
	if len(windows) != 1 || windows[0].Rows != 1200 {
		t.Errorf("windows = %+v", windows)
	}
}

func sum(xs []int64) (n int64) {
	for _, x := range xs {
		n += x
	}
	return n
}

// periodCounts records the rows of fills, one Record each, into a fresh
// monitor and returns its one period's counts.
func periodCounts(t *testing.T, ref *drift.Profile, fills ...func(*drift.Monitor)) *drift.Profile {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 10, 1, 0, 0, time.UTC)}
	var got []drift.PeriodResult
	m, err := drift.NewMonitor(ref, drift.WithClock(clock.now), drift.WithPeriod(time.Minute, func(p drift.PeriodResult) { got = append(got, p) }))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fills {
		f(m)
	}
	m.FlushPeriod()
	if len(got) != 1 {
		t.Fatalf("%d periods", len(got))
	}
	return got[0].Counts
}

func TestMergePeriodsIsOneMonitorOfAllRows(t *testing.T) {
	ref := drift.RefXC(t)
	drifting := func(m *drift.Monitor) { observe(m, 0, 300, 1.5) }
	steady := func(m *drift.Monitor) { observe(m, 1, 900, 1) }
	a, b := periodCounts(t, ref, drifting), periodCounts(t, ref, steady)
	all := periodCounts(t, ref, drifting, steady)
	merged, used, refused := drift.MergePeriods(ref, []*drift.Profile{a, b})
	if refused != nil || used != 2 {
		t.Fatalf("used %d, refused %v", used, refused)
	}
	for _, name := range []string{"x", "c"} {
		g, w := merged.Feature(name), all.Feature(name)
		if g.Count != w.Count || g.Nulls != w.Nulls {
			t.Errorf("%s: count %d nulls %d, one monitor %d %d", name, g.Count, g.Nulls, w.Count, w.Nulls)
		}
		if g.Numeric != nil {
			if !slices.Equal(g.Numeric.Counts, w.Numeric.Counts) || g.Numeric.Min != w.Numeric.Min || g.Numeric.Max != w.Numeric.Max ||
				math.Abs(g.Numeric.Mean-w.Numeric.Mean) > 1e-9*math.Abs(w.Numeric.Mean) ||
				math.Abs(g.Numeric.Variance-w.Numeric.Variance) > 1e-9*w.Numeric.Variance {
				t.Errorf("%s: merged %+v, one monitor %+v", name, g.Numeric, w.Numeric)
			}
		} else if !slices.Equal(g.Categorical.Counts, w.Categorical.Counts) || g.Categorical.Other != w.Categorical.Other {
			t.Errorf("%s: merged %+v, one monitor %+v", name, g.Categorical, w.Categorical)
		}
	}
	// The verdicts: the drifting replica alone drifts, the merged
	// period of all rows is judged as one monitor would judge them.
	th := drift.DefaultThresholds()
	verdict := func(p *drift.Profile) drift.Status {
		r, err := drift.Compare(ref, p, th)
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	if verdict(a) != drift.StatusDrift || verdict(b) != drift.StatusOK || verdict(merged) != verdict(all) {
		t.Errorf("verdicts: drifting replica %s, steady %s, merged %s, one monitor %s", verdict(a), verdict(b), verdict(merged), verdict(all))
	}
}

func TestMergePeriods(t *testing.T) {
	ref := drift.RefXC(t)
	good := periodCounts(t, ref, func(m *drift.Monitor) { observe(m, 0, 100, 1) })
	edit := func(f func(p *drift.Profile)) *drift.Profile {
		p := periodCounts(t, ref, func(m *drift.Monitor) { observe(m, 0, 100, 1) })
		f(p)
		return p
	}
	otherEdges := edit(func(p *drift.Profile) {
		p.Features[0].Numeric.Edges = append([]float64{-1}, p.Features[0].Numeric.Edges[1:]...)
	})
	otherCats := edit(func(p *drift.Profile) { p.Features[1].Categorical.Categories = []string{"a", "b", "z"} })
	missing := edit(func(p *drift.Profile) { p.Features = p.Features[:1] })
	renamed := edit(func(p *drift.Profile) { p.Features[0].Name = "y" })
	negative := edit(func(p *drift.Profile) { p.Features[0].Numeric.Counts[3] = -5 })
	extraOutput := edit(func(p *drift.Profile) { p.Outputs = []drift.Feature{p.Features[1]} })
	for _, tc := range []struct {
		name    string
		parts   []*drift.Profile
		used    int
		refused int // parts refused
		rows    int64
	}{
		{"one part", []*drift.Profile{good}, 1, 0, 100},
		{"three parts", []*drift.Profile{good, good, good}, 3, 0, 300},
		{"no parts", nil, 0, 0, 0},
		{"other bin edges refused, not re-binned", []*drift.Profile{good, otherEdges}, 1, 1, 100},
		{"other categories refused", []*drift.Profile{otherCats, good}, 1, 1, 100},
		{"a missing feature refused", []*drift.Profile{good, missing}, 1, 1, 100},
		{"a renamed feature refused", []*drift.Profile{renamed, good}, 1, 1, 100},
		{"negative counts refused", []*drift.Profile{good, negative}, 1, 1, 100},
		{"outputs the reference lacks refused", []*drift.Profile{good, extraOutput}, 1, 1, 100},
		{"nil part refused", []*drift.Profile{nil, good}, 1, 1, 100},
		{"every part refused", []*drift.Profile{otherEdges, missing}, 0, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			merged, used, refused := drift.MergePeriods(ref, tc.parts)
			if used != tc.used {
				t.Errorf("used %d, want %d", used, tc.used)
			}
			nref := 0
			if refused != nil {
				if !errors.Is(refused, drift.ErrIncompatible) && tc.name != "negative counts refused" {
					t.Errorf("refused %v does not wrap ErrIncompatible", refused)
				}
				nref = len(refused.(interface{ Unwrap() []error }).Unwrap())
			}
			if nref != tc.refused {
				t.Errorf("%d refused (%v), want %d", nref, refused, tc.refused)
			}
			switch {
			case tc.used == 0 && merged != nil:
				t.Errorf("merged %+v from no usable part", merged)
			case tc.used > 0 && (merged == nil || merged.Feature("x").Count != tc.rows):
				t.Errorf("merged = %+v, want x count %d", merged, tc.rows)
			}
		})
	}
}

// BenchmarkRecordPeriods is the cost of counting periods beside windows:
// one Record of 100 rows of a numeric and a categorical feature into a
// window that never closes (recording alone), with and without
// WithPeriod (compare the two in one run).
func BenchmarkRecordPeriods(b *testing.B) {
	ref := drift.RefXC(&testing.T{})
	for _, tc := range []struct {
		name string
		opts []drift.MonitorOption
	}{
		{"windows", nil},
		{"windows+periods", []drift.MonitorOption{drift.WithPeriod(5*time.Minute, func(drift.PeriodResult) {})}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			m, err := drift.NewMonitor(ref, append(tc.opts, drift.WithWindowRows(1<<60), drift.WithWindowTime(0))...)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				observe(m, i, 100, 1)
			}
		})
	}
}

// TestWindowAcrossPeriods: a window that spans a period's end is judged
// on all its rows, exactly as without periods.
func TestWindowAcrossPeriods(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 4, 0, 0, time.UTC)
	run := func(periods bool) (drift.WindowResult, []drift.PeriodResult) {
		clock := &fakeClock{t: t0}
		var ws []drift.WindowResult
		var ps []drift.PeriodResult
		opts := []drift.MonitorOption{drift.WithClock(clock.now), drift.WithWindowRows(1000), drift.WithWindowTime(0),
			drift.OnWindow(func(w drift.WindowResult) { ws = append(ws, w) })}
		if periods {
			opts = append(opts, drift.WithPeriod(5*time.Minute, func(p drift.PeriodResult) { ps = append(ps, p) }))
		}
		m, err := drift.NewMonitor(drift.RefXC(t), opts...)
		if err != nil {
			t.Fatal(err)
		}
		observe(m, 0, 600, 1.2)
		clock.set(t0.Add(2 * time.Minute)) // the next period
		observe(m, 600, 400, 1.2)
		if len(ws) != 1 {
			t.Fatalf("%d windows, want 1", len(ws))
		}
		return ws[0], ps
	}
	plain, _ := run(false)
	cut, periods := run(true)
	if len(periods) != 1 || periods[0].Rows != 600 {
		t.Fatalf("periods %+v, want the first, of 600 rows", periods)
	}
	for i, f := range cut.Report.Features {
		g := plain.Report.Features[i]
		if !slices.Equal(f.Current, g.Current) || sum(f.Current) != 1000 || *f.PSI != *g.PSI || f.Status != g.Status {
			t.Errorf("%s: with periods %v (psi %v), without %v (psi %v)", f.Feature, f.Current, *f.PSI, g.Current, *g.PSI)
		}
	}
}

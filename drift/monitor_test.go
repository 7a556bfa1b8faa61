package drift_test

import (
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// observe records n rows with x = (start+i*stride) mod 1000, scaled.
func observe(m *drift.Monitor, start, n int, scale float64) {
	x, c := m.Feature("x"), m.Feature("c")
	m.Record(n, func(r drift.Recorder) {
		for i := range n {
			r.Float(x, float64((start+i*7)%1000)*scale)
			r.String(c, []string{"a", "b", "c"}[i%3])
		}
	})
}

func TestMonitorWindowByCount(t *testing.T) {
	var got []drift.WindowResult
	m, err := drift.NewMonitor(drift.RefXC(t), drift.WithWindowRows(1000), drift.WithWindowTime(0),
		drift.OnWindow(func(r drift.WindowResult) { got = append(got, r) }))
	if err != nil {
		t.Fatal(err)
	}
	if m.Last() != nil {
		t.Fatal("Last before any window closed is not nil")
	}
	observe(m, 0, 999, 1)
	if len(got) != 0 || m.Current().Rows != 999 {
		t.Fatalf("after 999 rows: %d windows, %d rows in the current one", len(got), m.Current().Rows)
	}
	observe(m, 999, 1, 1)
	if len(got) != 1 || got[0].Window != 1 || got[0].Rows != 1000 || got[0].Status != drift.StatusOK {
		t.Fatalf("first window = %+v", got)
	}
	if cur := m.Current(); cur.Rows != 0 || cur.Window != 2 {
		t.Errorf("current after a close = %+v", cur)
	}
	observe(m, 0, 1000, 1.5) // x stretched: drifts
	last := m.Last()
	if last == nil || last.Window != 2 || last.Report == nil {
		t.Fatalf("Last = %+v", last)
	}
	for _, f := range last.Features {
		want := f.Feature == "x"
		if f.Drifted != want {
			t.Errorf("window 2 feature %s drifted = %v, want %v (psi %v)", f.Feature, f.Drifted, want, *f.PSI)
		}
		if f.Feature == "c" && f.Chi2 == nil {
			t.Error("categorical feature has no chi2")
		}
	}
	if h := m.History(); len(h) != 2 || h[0].Window != 1 || h[1].Window != 2 {
		t.Errorf("history = %+v", h)
	}
	// the model drifts only from the second drifting window in a row
	// (DefaultPersistence), and recovers with the first window that does not
	observe(m, 0, 1000, 1.5)
	observe(m, 0, 1000, 1)
	want := []struct {
		verdict, status drift.Status
		run             int
	}{{"ok", "ok", 0}, {"drift", "warning", 1}, {"drift", "drift", 2}, {"ok", "ok", 0}}
	for i, w := range want {
		g := got[i]
		if g.Verdict != w.verdict || g.Status != w.status || g.Consecutive != w.run || g.Persistence != drift.DefaultPersistence {
			t.Errorf("window %d: verdict %s status %s after %d of %d, want %s %s after %d", g.Window, g.Verdict, g.Status,
				g.Consecutive, g.Persistence, w.verdict, w.status, w.run)
		}
	}
	if s, want := got[1].Summary(), "warning: 1 of 2 features after Benjamini–Hochberg at q=0.01, 1 consecutive drifting window (drift from 2)"; s != want {
		t.Errorf("summary %q, want %q", s, want)
	}
	if s, want := got[2].Summary(), "drift: 1 of 2 features after Benjamini–Hochberg at q=0.01, 2 consecutive drifting windows (drift from 2)"; s != want {
		t.Errorf("summary %q, want %q", s, want)
	}
}

func TestMonitorPersistenceOne(t *testing.T) {
	var got []drift.WindowResult
	m, err := drift.NewMonitor(drift.RefXC(t), drift.WithWindowRows(1000), drift.WithWindowTime(0), drift.WithPersistence(1),
		drift.OnWindow(func(r drift.WindowResult) { got = append(got, r) }))
	if err != nil {
		t.Fatal(err)
	}
	observe(m, 0, 1000, 1.5)
	if len(got) != 1 || got[0].Status != drift.StatusDrift || got[0].Persistence != 1 {
		t.Fatalf("window 1 = %+v, want drift at once", got)
	}
}

func TestMonitorWindowByTime(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	m, err := drift.NewMonitor(drift.RefXC(t), drift.WithWindowRows(1000), drift.WithWindowTime(time.Minute),
		drift.WithMinRows(10), drift.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	observe(m, 0, 5, 1)
	now = now.Add(2 * time.Minute)
	observe(m, 5, 1, 1)
	if m.Last() != nil {
		t.Fatal("a window of 6 rows closed with a minimum of 10")
	}
	observe(m, 6, 4, 1)
	last := m.Last()
	if last == nil || last.Rows != 10 || !last.End.Equal(now) || !last.Start.Equal(now.Add(-2*time.Minute)) {
		t.Fatalf("Last = %+v", last)
	}
	now = now.Add(30 * time.Second)
	observe(m, 0, 20, 1)
	m.Tick()
	if m.Last().Window != 1 {
		t.Fatal("a window younger than a minute closed")
	}
	now = now.Add(time.Minute)
	m.Tick()
	if l := m.Last(); l.Window != 2 || l.Rows != 20 {
		t.Fatalf("Tick did not close an old window: %+v", l)
	}
}

func TestMonitorConcurrent(t *testing.T) {
	var mu sync.Mutex
	var windows []int64
	m, err := drift.NewMonitor(drift.RefXC(t), drift.WithWindowRows(100), drift.WithHistory(5),
		drift.OnWindow(func(r drift.WindowResult) {
			mu.Lock()
			windows = append(windows, r.Window)
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				if i%2 == 0 {
					observe(m, g*1000+i, 1, 1)
				} else {
					m.Observe(1, map[string][]float64{"x": {float64(i)}}, map[string][]string{"c": {"a"}})
				}
				if i%100 == 0 {
					m.Last()
					m.History()
					m.Current()
				}
			}
		})
	}
	wg.Wait()
	if len(windows) != 80 {
		t.Fatalf("%d windows closed, want 80", len(windows))
	}
	for i, w := range windows {
		if w != int64(i+1) {
			t.Fatalf("callbacks out of order: %v", windows)
		}
	}
	h := m.History()
	if len(h) != 5 || h[0].Window != 76 || h[4].Window != 80 {
		t.Errorf("history holds windows %d..%d (%d), want 76..80", h[0].Window, h[len(h)-1].Window, len(h))
	}
}

func TestMonitorHistoryBound(t *testing.T) {
	m, err := drift.NewMonitor(drift.RefXC(t), drift.WithWindowRows(10), drift.WithHistory(3))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		observe(m, i*10, 10, 1)
	}
	h := m.History()
	if len(h) != 3 || h[0].Window != 3 || h[2].Window != 5 {
		t.Errorf("history = %d windows from %d, want 3 from 3", len(h), h[0].Window)
	}
}

func TestNewMonitorRefusesInvalidProfile(t *testing.T) {
	bad := &drift.Profile{Version: 1, Features: []drift.Feature{{Name: "x", Kind: drift.Numeric}}}
	if _, err := drift.NewMonitor(bad); err == nil {
		t.Error("NewMonitor accepted a numeric feature without statistics")
	}
	if _, err := drift.NewMonitor(nil); err == nil {
		t.Error("NewMonitor accepted nil")
	}
}

// A float32 input equal to a bin edge of float64 data lands in the bin
// the float64 value does, so the reference's own data read as float32
// does not drift.
func TestMonitorFloat32MatchesReference(t *testing.T) {
	xs := make([]float64, 300)
	for i := range xs {
		xs[i] = float64(i%30) / 10 // 0.0, 0.1, …, 2.9: edges fall on values
	}
	b := drift.NewBuilder([]drift.Column{{Name: "x", Type: flavors.ColFloat}})
	if err := b.AddFloats("x", xs); err != nil {
		t.Fatal(err)
	}
	ref, err := b.Profile()
	if err != nil {
		t.Fatal(err)
	}
	m, err := drift.NewMonitor(ref, drift.WithWindowRows(len(xs)))
	if err != nil {
		t.Fatal(err)
	}
	x := m.Feature("x")
	m.Record(len(xs), func(r drift.Recorder) {
		for _, v := range xs {
			r.Float32(x, float32(v))
		}
	})
	f := m.Last().Features[0]
	if f.Drifted || f.PSI == nil || *f.PSI > 1e-9 {
		t.Errorf("the reference data as float32: drifted %v, PSI %v", f.Drifted, *f.PSI)
	}
}

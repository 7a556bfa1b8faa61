package writeback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/drift/writeback"
	"github.com/berthml/berth/flavors"
)

// refXC is a reference of a numeric x (0..999) and a categorical c.
func refXC(t *testing.T) *drift.Profile {
	t.Helper()
	b := drift.NewBuilder([]drift.Column{{Name: "x", Type: flavors.ColDouble}, {Name: "c", Type: flavors.ColString}})
	xs, cs := make([]float64, 1000), make([]string, 1000)
	for i := range xs {
		xs[i], cs[i] = float64(i), []string{"a", "b", "c"}[i%3]
	}
	if err := b.AddFloats("x", xs); err != nil {
		t.Fatal(err)
	}
	if err := b.AddStrings("c", cs); err != nil {
		t.Fatal(err)
	}
	p, err := b.Profile()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// replicaPeriod is what a replica's monitor hands on for the period
// [start, start+length) after recording n rows of x scaled by scale.
func replicaPeriod(t *testing.T, ref *drift.Profile, start time.Time, length time.Duration, n int, scale float64) drift.PeriodResult {
	t.Helper()
	var mu sync.Mutex
	now := start.Add(length / 2)
	var got []drift.PeriodResult
	m, err := drift.NewMonitor(ref, drift.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }),
		drift.WithPeriod(length, func(p drift.PeriodResult) { got = append(got, p) }))
	if err != nil {
		t.Fatal(err)
	}
	x, c := m.Feature("x"), m.Feature("c")
	m.Record(n, func(r drift.Recorder) {
		for i := range n {
			r.Float(x, float64((i*7)%1000)*scale)
			r.String(c, []string{"a", "b", "c"}[i%3])
		}
	})
	mu.Lock()
	_, now = drift.PeriodOf(now, length)
	mu.Unlock()
	m.Tick()
	if len(got) != 1 {
		t.Fatalf("%d periods handed on, want 1", len(got))
	}
	return got[0]
}

func runTags(r mlflowrest.Run) map[string]string {
	tags := map[string]string{}
	for _, tg := range r.Data.Tags {
		tags[tg.Key] = tg.Value
	}
	return tags
}

// TestMergeReplicas: two replicas of iris v1, one seeing a little
// drifting traffic (100 rows of x ×1.5: its own windows drift), one much
// steady traffic (5,000 rows): the version's verdict is that of the sum
// (ok), the drifting replica's own status stays on its own run, and the
// merged run holds the merged window.
func TestMergeReplicas(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	ref := refXC(t)
	p1 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	const length = time.Minute
	var (
		hookMu sync.Mutex
		events []writeback.Event
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev writeback.Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		hookMu.Lock()
		events = append(events, ev)
		hookMu.Unlock()
	}))
	defer hook.Close()
	// A's webhook hears of changes of the merged status, not of its own.
	a := writeback.New(c, writeback.WithInstance("host-a:8080"), writeback.WithMerge(time.Hour), writeback.WithWebhook(hook.URL))
	b := writeback.New(c, writeback.WithInstance("host-b:8080"), writeback.WithMerge(time.Hour))

	pa := replicaPeriod(t, ref, p1, length, 100, 1.5)
	pb := replicaPeriod(t, ref, p1, length, 5000, 1)
	// A's own window over its traffic drifts.
	own, err := drift.Judge(ref, pa.Counts, pa.Thresholds, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	own.Window, own.Start, own.End, own.Rows = 1, p1, p1.Add(length), 100
	if own.Status != drift.StatusDrift {
		t.Fatalf("the drifting replica's own verdict is %s, want drift", own.Status)
	}
	if err := a.Window(ctx, "iris", "1", own); err != nil {
		t.Fatal(err)
	}
	if got := versionTags(t, c)[writeback.TagStatus]; got != "" {
		t.Fatalf("a replica's own window tagged the version %q under WithMerge", got)
	}
	for _, w := range []struct {
		wr *writeback.Writer
		p  drift.PeriodResult
	}{{a, pa}, {b, pb}} {
		if err := w.wr.Period(ctx, "iris", "1", w.p); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Merge(ctx, "iris", "1", p1, p1.Add(length), ref, pb.Thresholds, pb.Persistence); err != nil {
		t.Fatal(err)
	}
	tags := versionTags(t, c)
	if tags[writeback.TagStatus] != "ok" || tags[writeback.TagReplicas] != "2" ||
		tags[writeback.TagPeriod] != "2026-01-01T10:00:00Z/2026-01-01T10:01:00Z" || tags[writeback.TagLastWindow] != "2026-01-01T10:01:00Z" ||
		!strings.HasPrefix(tags[writeback.TagRule], "ok: 0 of 2 features") {
		t.Fatalf("version tags after the merge: %v", tags)
	}
	var merged, replicaA *mlflowrest.Run
	for _, r := range monitoringRuns(t, c) {
		tg := runTags(r)
		switch {
		case tg["mlflow.source.name"] == writeback.MergedSourceName:
			merged = &r
		case tg[writeback.TagInstance] == "host-a:8080":
			replicaA = &r
		}
	}
	if merged == nil || replicaA == nil {
		t.Fatal("no merged run, or no run of replica A")
	}
	if got := runTags(*replicaA)[writeback.TagStatus]; got != "drift" {
		t.Errorf("replica A's run tag %s = %q, want its own drift", writeback.TagStatus, got)
	}
	var wf writeback.WindowFile
	if err := json.Unmarshal(readArtifact(t, c, *merged, writeback.WindowArtifact), &wf); err != nil {
		t.Fatal(err)
	}
	if wf.Rows != 5100 || wf.Status != drift.StatusOK || len(wf.Features) != 2 || sumInts(wf.Features[0].Current) != 5100 {
		t.Errorf("merged window file: rows %d status %s features %d", wf.Rows, wf.Status, len(wf.Features))
	}
	pf, err := writeback.ReadPeriodFile(bytes.NewReader(readArtifact(t, c, *replicaA, writeback.PeriodArtifact(p1))))
	if err != nil || pf.Rows != 100 || pf.Instance != "host-a:8080" {
		t.Errorf("replica A's period file: %+v, %v", pf, err)
	}

	// Merging again from the same counts writes nothing new.
	if err := a.Merge(ctx, "iris", "1", p1, p1.Add(length), ref, pa.Thresholds, pa.Persistence); err != nil {
		t.Fatal(err)
	}
	if got := metricPoints(t, c, merged.Info.RunID, "drift.rows"); got != 1 {
		t.Errorf("drift.rows of the merged run has %d points after a repeated merge, want 1", got)
	}

	// Period 2: both replicas drift; a third replica's counts on other
	// bins are refused, and one of another period length left out. With
	// persistence 2 the version warns, then drifts in period 3.
	p2, p3 := p1.Add(length), p1.Add(2*length)
	for _, p := range []time.Time{p2, p3} {
		for _, w := range []*writeback.Writer{a, b} {
			if err := w.Period(ctx, "iris", "1", replicaPeriod(t, ref, p, length, 400, 1.5)); err != nil {
				t.Fatal(err)
			}
		}
		odd := replicaPeriod(t, ref, p, length, 400, 1)
		edges := slices.Clone(odd.Counts.Features[0].Numeric.Edges) // shared with the reference
		edges[1] += 0.5
		odd.Counts.Features[0].Numeric.Edges = edges
		if err := writeback.New(c, writeback.WithInstance("host-c:8080"), writeback.WithMerge(time.Hour)).Period(ctx, "iris", "1", odd); err != nil {
			t.Fatal(err)
		}
		long := replicaPeriod(t, ref, p, 2*length, 400, 1)
		if err := writeback.New(c, writeback.WithInstance("host-d:8080"), writeback.WithMerge(time.Hour)).Period(ctx, "iris", "1", long); err != nil {
			t.Fatal(err)
		}
		if err := a.Merge(ctx, "iris", "1", p, p.Add(length), ref, pa.Thresholds, 2); err != nil {
			t.Fatal(err)
		}
		tags := versionTags(t, c)
		want := map[time.Time]string{p2: "warning", p3: "drift"}[p]
		if tags[writeback.TagStatus] != want || tags[writeback.TagReplicas] != "2" {
			t.Errorf("period %s: status %q replicas %q, want %s from 2 replicas", p.Format(time.TimeOnly), tags[writeback.TagStatus], tags[writeback.TagReplicas], want)
		}
	}
	if got := versionTags(t, c)[writeback.TagRule]; !strings.HasSuffix(got, ", 2 consecutive drifting windows (drift from 2)") {
		t.Errorf("rule after two drifting periods: %q", got)
	}
	hookMu.Lock()
	if len(events) != 2 || events[0].Status != drift.StatusWarning || events[0].PreviousStatus != drift.StatusOK ||
		events[1].Status != drift.StatusDrift || events[1].PreviousStatus != drift.StatusWarning || !events[1].Time.Equal(p3.Add(length)) {
		t.Errorf("webhook events %+v, want ok→warning then warning→drift at the period's end (none for A's own drift)", events)
	}
	hookMu.Unlock()

	// A late replica's counts of period 3 update its verdict from the
	// same starting streak; a merge of an older period changes nothing.
	late := writeback.New(c, writeback.WithInstance("host-e:8080"), writeback.WithMerge(time.Hour))
	if err := late.Period(ctx, "iris", "1", replicaPeriod(t, ref, p3, length, 400, 1.5)); err != nil {
		t.Fatal(err)
	}
	if err := late.Merge(ctx, "iris", "1", p3, p3.Add(length), ref, pa.Thresholds, 2); err != nil {
		t.Fatal(err)
	}
	tags = versionTags(t, c)
	if tags[writeback.TagReplicas] != "3" || tags[writeback.TagStatus] != "drift" ||
		!strings.HasSuffix(tags[writeback.TagRule], ", 2 consecutive drifting windows (drift from 2)") {
		t.Errorf("after the late replica: replicas %q status %q rule %q", tags[writeback.TagReplicas], tags[writeback.TagStatus], tags[writeback.TagRule])
	}
	if err := late.Merge(ctx, "iris", "1", p1, p1.Add(length), ref, pa.Thresholds, 2); err != nil {
		t.Fatal(err)
	}
	if got := versionTags(t, c)[writeback.TagPeriod]; !strings.HasPrefix(got, p3.Format(time.RFC3339)) {
		t.Errorf("merging an older period moved the version's period to %q", got)
	}
}

func sumInts(xs []int64) (n int64) {
	for _, x := range xs {
		n += x
	}
	return n
}

func metricPoints(t *testing.T, c *mlflowrest.Client, runID, key string) int {
	t.Helper()
	var hist mlflowrest.GetMetricHistoryResponse
	if err := c.Get(context.Background(), "metrics/get-history", map[string][]string{"run_id": {runID}, "metric_key": {key}}, &hist); err != nil {
		t.Fatal(err)
	}
	return len(hist.Metrics)
}

func TestReadPeriodFile(t *testing.T) {
	good := `{"model":"m","version":"1","start":"2026-01-01T10:00:00.000Z","end":"2026-01-01T10:05:00.000Z","rows":3,"process":"p",
		"counts":{"version":1,"features":[{"name":"x","kind":"numeric","count":3,"nulls":0,"numeric":{"min":0,"max":1,"mean":0.5,"variance":0.1,"edges":[0,1],"counts":[0,3,0]}}]}}`
	for _, tc := range []struct {
		name, in, err string
	}{
		{"good", good, ""},
		{"not json", `{"model":`, "decoding"},
		{"no model", strings.Replace(good, `"model":"m"`, `"model":""`, 1), "without its model"},
		{"bad start", strings.Replace(good, `2026-01-01T10:00:00.000Z`, `yesterday`, 1), "start"},
		{"end before start", strings.Replace(good, `10:05:00`, `09:05:00`, 1), "not before its end"},
		{"negative rows", strings.Replace(good, `"rows":3`, `"rows":-3`, 1), "rows"},
		{"no counts", strings.Replace(good, `"counts":{`, `"other":{`, 1), "without counts"},
		{"counts that do not fit the edges", strings.Replace(good, `"counts":[0,3,0]`, `"counts":[3]`, 1), "counts"},
		{"too large", good + strings.Repeat(" ", 32<<20), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := writeback.ReadPeriodFile(strings.NewReader(tc.in))
			if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("error %v, want one saying %q", err, tc.err)
			}
		})
	}
}

func FuzzReadPeriodFile(f *testing.F) {
	f.Add([]byte(`{"model":"m","version":"1","start":"2026-01-01T10:00:00.000Z","end":"2026-01-01T10:05:00.000Z","rows":3,"process":"p","counts":{"version":1,"features":[{"name":"x","kind":"numeric","count":3,"nulls":0,"numeric":{"edges":[0,1],"counts":[0,3,0]}}]}}`))
	f.Add([]byte(`{"counts":{"features":[{"kind":"categorical","categorical":{"categories":["a"],"counts":[1,2]}}]}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pf, err := writeback.ReadPeriodFile(bytes.NewReader(b))
		if err != nil {
			return
		}
		s, e, err := pf.Bounds()
		if err != nil || !s.Before(e) || pf.Counts == nil || pf.Counts.Validate() != nil || pf.Rows < 0 {
			t.Fatalf("accepted a period file that does not hold: %+v", pf)
		}
	})
}

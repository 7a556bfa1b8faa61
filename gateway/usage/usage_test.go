package usage_test

import (
	"context"
	"errors"
	"math"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/keys"
	"github.com/berthml/berth/gateway/usage"
	"github.com/berthml/berth/server/servertest"
	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

const pricesYAML = `
prices:
  - endpoint: chat
    input: 1
    output: 2
`

func prices(t *testing.T) keys.PriceTable {
	t.Helper()
	p, err := keys.ParsePrices([]byte(pricesYAML))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReporter drives a counter and reporter by hand: the endpoint's and
// each key's requests, errors, tokens, cost and latency quantiles per
// interval; an idle interval reported as zeros; the keys past the cap
// counted as "other"; steps from 1 per endpoint.
func TestReporter(t *testing.T) {
	c := usage.NewCounter(prices(t), 2)
	var got []usage.Report
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := usage.NewReporter(c, func(rep usage.Report) bool { got = append(got, rep); return true }, start)
	q := func(endpoint, key string, status, in, out int, d time.Duration) {
		c.Observe(gateway.Usage{Endpoint: endpoint, Key: key, Status: status, InputTokens: in, OutputTokens: out, Duration: d, Model: "m"})
	}
	r.Report(start.Add(time.Minute)) // nothing served yet: nothing to report
	if len(got) != 0 {
		t.Fatalf("reports before any query: %+v", got)
	}
	for range 9 {
		q("chat", "alice", 200, 1_000, 500, 100*time.Millisecond)
	}
	q("chat", "bob", 502, 0, 0, 3*time.Second)
	q("chat", "carol", 429, 0, 0, time.Millisecond) // past the cap of 2 keys
	q("chat", "", 401, 0, 0, time.Millisecond)      // no key
	q("embed", "alice", 200, 7, 0, 20*time.Millisecond)
	r.Report(start.Add(2 * time.Minute))
	if len(got) != 2 || got[0].Endpoint != "chat" || got[1].Endpoint != "embed" {
		t.Fatalf("reports %+v, want chat then embed", got)
	}
	chat := got[0]
	if chat.Step != 1 || !chat.Start.Equal(start.Add(time.Minute)) || chat.Requests != 12 || chat.ClientErrors != 2 ||
		chat.ServerErrors != 1 || chat.InputTokens != 9_000 || chat.OutputTokens != 4_500 {
		t.Errorf("chat's first report %+v", chat)
	}
	// $1 per million input tokens, $2 per million output: 9000 + 9000 µ$.
	if want := keys.Spend(18_000_000); chat.Cost != want {
		t.Errorf("chat's cost %v, want %v", chat.Cost, want)
	}
	// 9 of 12 took 100 ms (bucket 80–160 ms); the p95 is in the 3 s one.
	if chat.LatencyP50 < 0.08 || chat.LatencyP50 > 0.16 || chat.LatencyP95 < 2.56 || chat.LatencyP95 > 5.12 {
		t.Errorf("chat's latency p50 %v p95 %v", chat.LatencyP50, chat.LatencyP95)
	}
	if len(chat.Keys) != 3 || chat.Keys["alice"].Requests != 9 || chat.Keys["bob"].ServerErrors != 1 ||
		chat.Keys[usage.OtherKey].ClientErrors != 1 || chat.Keys["alice"].Cost != 18_000_000 {
		t.Errorf("chat's keys %+v, want alice, bob and other", chat.Keys)
	}
	if got[1].Keys["alice"].InputTokens != 7 || got[1].Cost != 0 {
		t.Errorf("embed's report %+v (no price for it)", got[1])
	}
	q("chat", "alice", 200, 1, 1, time.Second)
	r.Report(start.Add(3 * time.Minute))
	if len(got) != 4 || got[2].Step != 2 || got[2].Requests != 1 || got[2].Keys["bob"].Requests != 0 ||
		got[3].Endpoint != "embed" || got[3].Requests != 0 || !math.IsNaN(got[3].LatencyP95) {
		t.Errorf("second reports %+v, want chat step 2 with one query and bob idle, embed idle", got[2:])
	}
	ms := usage.Metrics(got[3])
	for _, m := range ms {
		if m.Key == "gateway.latency_p95_ms" || m.Key == "gateway.error_rate" {
			t.Errorf("an idle interval logs %s", m.Key)
		}
	}
}

// TestMetrics checks the metric keys and values of a report.
func TestMetrics(t *testing.T) {
	end := time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)
	r := usage.Report{Endpoint: "chat", Step: 3, Start: end.Add(-30 * time.Second), End: end,
		Window: usage.Window{Requests: 60, ServerErrors: 6, InputTokens: 100, OutputTokens: 50, Cost: 1_500_000_000,
			LatencyMean: 0.2, LatencyP50: 0.1, LatencyP95: 0.5},
		Keys: map[string]usage.Window{"team-a": {Requests: 60, ServerErrors: 6, InputTokens: 100, LatencyP50: 0.1, LatencyP95: 0.5}}}
	got := map[string]float64{}
	for _, m := range usage.Metrics(r) {
		if m.Step != 3 || m.Timestamp != end.UnixMilli() {
			t.Errorf("%s at step %d time %d", m.Key, m.Step, m.Timestamp)
		}
		got[m.Key] = m.Value
	}
	for k, want := range map[string]float64{
		"gateway.requests": 60, "gateway.request_rate": 2, "gateway.interval_s": 30, "gateway.server_errors": 6,
		"gateway.error_rate": 0.1, "gateway.input_tokens": 100, "gateway.output_tokens": 50, "gateway.cost_usd": 1.5,
		"gateway.latency_p50_ms": 100, "gateway.latency_p95_ms": 500, "gateway.latency_mean_ms": 200,
		"gateway.key.team-a.requests": 60, "gateway.key.team-a.errors": 6, "gateway.key.team-a.input_tokens": 100,
		"gateway.key.team-a.latency_p95_ms": 500,
	} {
		if v, ok := got[k]; !ok || math.Abs(v-want) > 1e-9 {
			t.Errorf("%s = %v (logged %v), want %v", k, v, ok, want)
		}
	}
}

// blockingSink blocks every write until released.
type blockingSink struct {
	usage.Sink
	release chan struct{}
}

func (b blockingSink) EnsureExperiment(ctx context.Context, _ string) (string, error) {
	select {
	case <-b.release:
		return "", errors.New("released")
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// TestQueueDrops: with the tracking server stuck, Enqueue neither blocks
// nor grows the queue past its bound; what does not fit is counted.
func TestQueueDrops(t *testing.T) {
	sink := blockingSink{release: make(chan struct{})}
	defer close(sink.release)
	w := usage.NewWriter(sink, usage.WithQueueSize(2))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10 {
			w.Enqueue(usage.Report{Endpoint: "chat", Step: int64(i + 1)})
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Enqueue blocked on a stuck tracking server")
	}
	// One report is being written (stuck), two wait: seven dropped, or
	// eight if Run had not taken the first yet.
	if d := w.Dropped(); d != 7 && d != 8 {
		t.Errorf("dropped %d of 10 with a queue of 2, want 7 or 8", d)
	}
}

// TestWriteBack writes reports through both sinks, to a real berth
// tracking server over REST and to a SQLite tracking store directly: a
// run per endpoint named <endpoint>-gateway-usage in berth-gateway, tagged
// with the endpoint, instance and process, metrics at steps 1 and 2, and
// FINISHED after Finish.
func TestWriteBack(t *testing.T) {
	ts := servertest.New(t)
	c := &mlflowrest.Client{BaseURL: ts.URL}
	st, err := sqlstore.Open(context.Background(), "sqlite:///"+filepath.Join(t.TempDir(), "t.db"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, sink := range map[string]usage.Sink{"rest": usage.RESTSink{C: c}, "store": usage.StoreSink{S: st}} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			w := usage.NewWriter(sink, usage.WithInstance("127.0.0.1:5001"))
			end := time.Now()
			for step := int64(1); step <= 2; step++ {
				r := usage.Report{Endpoint: "chat", Step: step, Start: end.Add(-time.Minute), End: end,
					Window: usage.Window{Requests: 10 * step, LatencyP50: 0.1, LatencyP95: 0.2},
					Keys:   map[string]usage.Window{"team-a": {Requests: step}}}
				if err := w.Write(ctx, r); err != nil {
					t.Fatal(err)
				}
				end = end.Add(time.Minute)
			}
			if err := w.Finish(ctx); err != nil {
				t.Fatal(err)
			}
			runs := searchRuns(t, sink, st, c)
			if len(runs) != 1 {
				t.Fatalf("%d usage runs, want 1", len(runs))
			}
			run := runs[0]
			tags := map[string]string{}
			for _, tg := range run.Data.Tags {
				tags[tg.Key] = tg.Value
			}
			if run.Info.RunName != "chat-gateway-usage" || run.Info.Status != tracking.RunFinished || tags[usage.TagEndpoint] != "chat" ||
				tags[usage.TagInstance] != "127.0.0.1:5001" || tags[usage.TagProcess] == "" || tags[usage.TagSourceName] != "berth gateway" {
				t.Errorf("run %+v tags %v", run.Info, tags)
			}
			hist, err := st.GetMetricHistory(ctx, run.Info.RunID, "gateway.requests")
			if name == "rest" {
				hist, err = restHistory(t, c, run.Info.RunID, "gateway.requests")
			}
			if err != nil || len(hist) != 2 || hist[0].Value != 10 || hist[1].Value != 20 || hist[1].Step != 2 {
				t.Errorf("gateway.requests history %+v %v, want 10 at step 1, 20 at step 2", hist, err)
			}
		})
	}
}

var restMu sync.Mutex

func searchRuns(t *testing.T, sink usage.Sink, st *sqlstore.Store, c *mlflowrest.Client) []tracking.Run {
	t.Helper()
	ctx := context.Background()
	if _, ok := sink.(usage.RESTSink); ok {
		restMu.Lock()
		defer restMu.Unlock()
		var exp mlflowrest.GetExperimentResponse
		if err := c.Get(ctx, "experiments/get-by-name", url.Values{"experiment_name": {usage.DefaultExperiment}}, &exp); err != nil {
			t.Fatal(err)
		}
		var found mlflowrest.SearchRunsResponse
		if err := c.Post(ctx, "runs/search", mlflowrest.SearchRunsRequest{ExperimentIDs: []string{exp.Experiment.ExperimentID}}, &found); err != nil {
			t.Fatal(err)
		}
		var out []tracking.Run
		for _, r := range found.Runs {
			run := tracking.Run{Info: tracking.RunInfo{RunID: r.Info.RunID, RunName: r.Info.RunName, Status: tracking.RunStatus(r.Info.Status)}}
			for _, tg := range r.Data.Tags {
				run.Data.Tags = append(run.Data.Tags, tracking.Tag{Key: tg.Key, Value: tg.Value})
			}
			out = append(out, run)
		}
		return out
	}
	exp, err := st.GetExperimentByName(ctx, usage.DefaultExperiment)
	if err != nil {
		t.Fatal(err)
	}
	page, err := st.SearchRuns(ctx, tracking.RunQuery{ExperimentIDs: []string{exp.ID}, MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Runs
}

func restHistory(t *testing.T, c *mlflowrest.Client, runID, key string) ([]tracking.Metric, error) {
	t.Helper()
	var hist mlflowrest.GetMetricHistoryResponse
	err := c.Get(context.Background(), "metrics/get-history", url.Values{"run_id": {runID}, "metric_key": {key}}, &hist)
	var out []tracking.Metric
	for _, m := range hist.Metrics {
		out = append(out, tracking.Metric{Key: m.Key, Value: float64(m.Value), Step: int64(m.Step), Timestamp: int64(m.Timestamp)})
	}
	if len(out) == 2 && out[0].Step > out[1].Step {
		out[0], out[1] = out[1], out[0]
	}
	return out, err
}

// BenchmarkObserve is the cost a query pays for usage reports: one
// Observe of a keyed query, from many goroutines at once.
func BenchmarkObserve(b *testing.B) {
	p, err := keys.ParsePrices([]byte(pricesYAML))
	if err != nil {
		b.Fatal(err)
	}
	c := usage.NewCounter(p, 0)
	u := gateway.Usage{Endpoint: "chat", Key: "team-a", Model: "m", Status: 200, InputTokens: 12, OutputTokens: 30, Duration: 20 * time.Millisecond}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Observe(u)
		}
	})
}

package servingreport_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift/writeback"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/serve"
	"github.com/berthml/berth/serve/servingreport"
	"github.com/berthml/berth/server/servertest"
)

func TestWindow(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := serve.Usage{Requests: 4, ClientErrors: 1, Bounds: []float64{0.001, 0.01}, Counts: []int64{2, 4}, Count: 4, Sum: 0.02}
	w := servingreport.Window(d, 3, start, start.Add(2*time.Second))
	if w.Step != 3 || w.Requests != 4 || w.ClientErrors != 1 || w.LatencyMean != 0.005 ||
		w.LatencyP50 != 0.001 || math.Abs(w.LatencyP95-0.0091) > 1e-12 || !w.End.Equal(start.Add(2*time.Second)) {
		t.Errorf("Window = %+v", w)
	}
	idle := servingreport.Window(serve.Usage{Bounds: d.Bounds, Counts: []int64{0, 0}}, 4, start, start.Add(time.Second))
	if idle.Requests != 0 || !math.IsNaN(idle.LatencyMean) || !math.IsNaN(idle.LatencyP50) || !math.IsNaN(idle.LatencyP99) {
		t.Errorf("idle Window = %+v, want NaN latencies", idle)
	}
}

// TestReportServing runs the report loop on a server with two registered
// models, only one of which answers requests: that one is reported every
// interval, steps counting from 1; the other never is.
func TestReportServing(t *testing.T) {
	ortest.Init(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts := servertest.New(t)
	c := &mlflowrest.Client{BaseURL: ts.URL}
	if _, err := modeluri.Register(ctx, c, modeluri.Registration{
		Dir: filepath.Join("..", "..", "testdata", "models", "iris_logreg"), Name: "iris"}); err != nil {
		t.Fatal(err)
	}
	s, hs := serveModels(t, map[string]string{"flowers": "iris_logreg", "diabetes": "diabetes_linreg"})
	for _, body := range []string{
		`{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2]]}}`,
		`{"dataframe_split": {"columns": ["sepal_length"], "data": [[1]]}}`,
	} {
		resp, err := http.Post(hs.URL+"/models/flowers/invocations", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	wr := writeback.New(c)
	go wr.Run(ctx)
	go servingreport.NewReporter(s, wr.EnqueueServing, map[string]string{"flowers": "iris", "diabetes": "diabetes"}, time.Now()).Run(ctx, 50*time.Millisecond)

	var runs []mlflowrest.Run
	var requests []float64
	deadline := time.Now().Add(10 * time.Second)
	for len(requests) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("serving reports not written: serving.requests %v", requests)
		}
		time.Sleep(50 * time.Millisecond)
		if runs = servertest.MonitoringRuns(t, c); len(runs) > 0 {
			requests = servertest.MetricHistory(t, c, runs[0].Info.RunID, "serving.requests")
		}
	}
	cancel()
	if len(runs) != 1 || runs[0].Info.RunName != "iris-v1-monitoring" {
		t.Fatalf("monitoring runs %+v, want iris's alone (diabetes answered no request)", runs)
	}
	if requests[0] != 2 {
		t.Errorf("serving.requests at step 1 = %v, want 2", requests[0])
	}
	for i, v := range requests[1:] {
		if v != 0 {
			t.Errorf("serving.requests at step %d = %v, want an idle 0", i+2, v)
		}
	}
}

// TestServingReporter drives the reporter by hand: a version that starts
// answering late gets an interval from the previous report, not from the
// server's start; two served names of one registered version are one
// report; and a report at shutdown covers the last partial interval.
func TestReporter(t *testing.T) {
	ortest.Init(t)
	s, hs := serveModels(t, map[string]string{"a": "iris_logreg", "b": "iris_logreg"})
	score := func(name string, n int) {
		t.Helper()
		for range n {
			scoreIris(t, hs.URL+"/models/"+name)
		}
	}
	type sent struct {
		model, version string
		w              writeback.ServingWindow
	}
	var got []sent
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := servingreport.NewReporter(s, func(model, version string, w writeback.ServingWindow) bool {
		got = append(got, sent{model, version, w})
		return true
	}, map[string]string{"a": "iris", "b": "iris"}, start)

	at := func(min int) time.Time { return start.Add(time.Duration(min) * time.Minute) }
	r.Report(at(60)) // an hour with no request: nothing to report
	if len(got) != 0 {
		t.Fatalf("reports before any request: %+v", got)
	}
	score("a", 3)
	score("b", 2)
	r.Report(at(61))
	if len(got) != 1 {
		t.Fatalf("%d reports, want one for iris v1 (a and b summed): %+v", len(got), got)
	}
	w := got[0]
	if w.model != "iris" || w.version != "1" || w.w.Step != 1 || w.w.Requests != 5 || !w.w.Start.Equal(at(60)) ||
		!w.w.End.Equal(at(61)) || math.IsNaN(w.w.LatencyP95) {
		t.Errorf("first report %+v, want iris v1 step 1: 5 requests from minute 60 to 61 with a p95", w)
	}
	score("b", 1)
	r.Report(at(61).Add(20 * time.Second)) // at shutdown: the partial interval
	if len(got) != 2 || got[1].w.Step != 2 || got[1].w.Requests != 1 || !got[1].w.Start.Equal(at(61)) {
		t.Errorf("shutdown report %+v, want step 2: 1 request since minute 61", got[len(got)-1])
	}
}

// serveModels serves testdata models (served name -> directory under
// testdata/models) until the test ends.
func serveModels(t *testing.T, models map[string]string) (*serve.Server, *httptest.Server) {
	t.Helper()
	s := serve.New()
	t.Cleanup(func() { s.Close() })
	for name, dir := range models {
		m, err := serve.LoadModel(t.Context(), name, "1", filepath.Join("..", "..", "testdata", "models", dir), nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Add(m)
	}
	s.MarkReady()
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return s, hs
}

// scoreIris scores one iris row at url's /invocations.
func scoreIris(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Post(url+"/invocations", "application/json", strings.NewReader(
		`{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2]]}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scoring: %s", resp.Status)
	}
}

package main

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/internal/browsertest"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/server/servertest"
)

// sweepC and sweepAcc are the seeded sweep: a logistic regression trained
// with four values of C. C=1 scores best, and its run holds the model.
var (
	sweepC   = []string{"0.01", "0.1", "1", "10"}
	sweepAcc = []float64{0.80, 0.933, 0.973, 0.96}
)

const bestRun = 2

// TestUIWalk is the web UI's "done when", on the real binaries: a sweep
// logged as an MLflow client logs it, its best run's model registered as
// iris v1 @champion, `berth serve models:/iris@champion` reporting serving
// metrics every second and drift windows of 150 rows, then in headless
// Chromium, from the home page only by clicking: the sweep's runs sorted
// by accuracy, the best two compared, the best run's page, the version it
// was registered as, and that version's production panel — serving charts,
// drift status and per-feature histograms — and the production overview.
func TestUIWalk(t *testing.T) {
	lib := ortest.Init(t)
	// Skips early when there is no Chromium. The browser's time runs from
	// here and covers the build, the servers and the traffic before the
	// first page: 75 s under make check's load, past the 1 min default.
	b := browsertest.New(t, browsertest.WithTimeout(4*time.Minute))
	bin := buildBerth(t)
	data := t.TempDir()
	registry := startSQLiteServer(t, bin, data)
	c := &mlflowrest.Client{BaseURL: registry}

	model := filepath.Join(data, "iris")
	if err := os.CopyFS(model, os.DirFS("../../testdata/models/iris_logreg")); err != nil {
		t.Fatal(err)
	}
	runBerth(t, bin, "drift", "profile", model, "--data", "../../testdata/data/iris.csv")
	runIDs := logSweep(t, c, model)
	runBerth(t, bin, "models", "alias", "iris", "champion", "1", "--registry-uri", registry)

	serving := startBerth(t, bin, "serve", "models:/iris@champion", "--registry-uri", registry,
		"--port", "0", "--ort-lib", lib, "--cache-dir", filepath.Join(data, "cache"),
		"--drift-window-rows", "150", "--drift-period", "0", "--report-interval", "1s") // --drift-period 0: the version tagged by each window, not merged periods
	sendTraffic(t, serving)
	waitVersionTags(t, c, func(tags map[string]string) bool {
		return tags["berth.drift.status"] == "drift" && tags["berth.serving.last_report"] != ""
	})
	// Three serving reports, so that the charts have lines.
	waitMetricSteps(t, c, "serving.request_rate", 3)
	// The iris window was ok; the first shifted one warns, the second drifts.
	if got := metricValues(t, c, "drift.status"); !slices.Equal(got, []float64{0, 1, 2}) {
		t.Fatalf("drift.status by window: %v, want ok, warning, drift", got)
	}
	// A second replica of the same alias: its own monitoring run.
	replica := startBerth(t, bin, "serve", "models:/iris@champion", "--registry-uri", registry,
		"--port", "0", "--ort-lib", lib, "--cache-dir", filepath.Join(data, "cache"),
		"--drift-window-rows", "150", "--drift-period", "0", "--report-interval", "1s") // --drift-period 0: the version tagged by each window, not merged periods
	for range 5 {
		scoreIris(t, replica)
	}
	waitReportingRuns(t, c, 2)

	home := registry + "/"
	t.Run("find the best run", func(t *testing.T) {
		p := b.For(t).Open(home)
		waitUIReady(p)
		afterUIRender(p, func() { p.Click(`table.list a[href^="#/experiments/"][href$="` + experimentOf(t, c, runIDs[0]) + `"]`) })
		if n := p.Count("table.runs tbody tr"); n != len(sweepC) {
			t.Fatalf("%d runs listed, want %d", n, len(sweepC))
		}
		afterUIRender(p, func() { p.Click(`th[title="metrics.accuracy"] button`) })
		names := uiTexts(p, "table.runs tbody td:nth-child(2)")
		if len(names) == 0 || names[0] != "C="+sweepC[bestRun] {
			t.Fatalf("sorted by accuracy the runs are %q, want C=%s first", names, sweepC[bestRun])
		}
		p.Screenshot("1-runs-by-accuracy")
		// Select all runs and compare: the parallel coordinates show the
		// sweep; the best run's line is the darkest.
		p.Click(`input[aria-label="Select all runs"]`)
		afterUIRender(p, func() { p.Click(".toolbar button") })
		if n := p.Count("svg.parallel polyline"); n != len(sweepC) {
			t.Errorf("%d lines in the parallel coordinates, want %d", n, len(sweepC))
		}
		if n := p.Count("svg.scatter circle"); n != len(sweepC) {
			t.Errorf("%d points in the scatter, want %d", n, len(sweepC))
		}
		// C is swept over decades: the scatter's x axis is logarithmic, as
		// the parallel coordinates' is, so the points spread evenly.
		var xs []float64
		p.Eval(`[...document.querySelectorAll("svg.scatter circle")].map((c) => Number(c.getAttribute("cx"))).sort((a, b) => a - b)`, &xs)
		var got []string
		p.Eval(`[...document.querySelectorAll("svg.scatter text.axis-label")].map((e) => e.textContent)`, &got)
		if len(got) == 0 || got[0] != "C (log)" {
			t.Errorf("the scatter's axis labels are %q, want C (log) first", got)
		}
		for i := 2; i < len(xs); i++ {
			if d0, d1 := xs[i-1]-xs[i-2], xs[i]-xs[i-1]; math.Abs(d1-d0) > 1 {
				t.Errorf("the scatter's points are at x %v: not evenly spread on a log axis", xs)
				break
			}
		}
		var darkest string
		p.Eval(`[...document.querySelectorAll("svg.parallel polyline")].pop().querySelector("title").textContent.split("\n")[0]`, &darkest)
		if darkest != "C="+sweepC[bestRun] {
			t.Errorf("the line drawn last (darkest) is %q, want the best run", darkest)
		}
		p.Screenshot("2-compare")
		p.AssertNoConsoleErrors()
	})

	t.Run("see what serves and whether it drifts", func(t *testing.T) {
		p := b.For(t).Open(home + "#/runs/" + runIDs[bestRun])
		waitUIReady(p)
		p.WaitVisible(".registered a.chip")
		if got := p.Text(".registered"); !strings.Contains(got, "iris v1") || !strings.Contains(got, "drifting") {
			t.Errorf("the best run's page says it was registered as %q, want iris v1 drifting", got)
		}
		p.Screenshot("3-best-run")
		afterUIRender(p, func() { p.Click(".registered a.chip") })
		p.WaitVisible("section.production svg.histogram")
		p.WaitVisible("section.production .serving canvas")
		text := p.Text("section.production")
		for _, want := range []string{"Replica", "Drift status\tdrift", "requests per second", "latency p95 (ms)",
			"errors per second", "PSI per feature, by window", "KS p-value (Benjamini–Hochberg adjusted) per feature, by window",
			"reference against current", "Rule\tdrift: 2 of 4 features after Benjamini–Hochberg at q=0.01;",
			"2 consecutive drifting windows (drift from 2)"} {
			if !strings.Contains(text, want) {
				t.Errorf("the production section lacks %q:\n%s", want, text)
			}
		}
		if n := p.Count("table.replicas tbody tr"); n != 2 {
			t.Errorf("%d replicas listed, want 2", n)
		}
		if n := p.Count("section.production canvas"); n != 6 {
			t.Errorf("%d charts in the production section, want 6 (rate, latency, errors, PSI, KS, rows)", n)
		}
		// iris's four inputs and its outputs (label and three probabilities).
		if n := p.Count("section.production svg.histogram"); n != 8 {
			t.Errorf("%d histograms, want 8", n)
		}
		// A timeline of PSI and JS by window for each (package chart's, as
		// on berth serve's drift page).
		p.WaitVisible("section.production svg.timeline")
		if n := p.Count("section.production svg.timeline"); n != 8 {
			t.Errorf("%d timelines, want 8", n)
		}
		p.Settle()
		shot := p.Screenshot("4-version-production")
		// chart.ColorReference, ColorCurrent and ColorPSI.
		for _, col := range []string{"#4c78a8", "#f58518", "#6a3d9a"} {
			if n := browsertest.CountColor(t, shot, browsertest.Hex(col), 8); n < 500 {
				t.Errorf("%d pixels of %s (histogram bars, PSI lines) in the screenshot", n, col)
			}
		}
		afterUIRender(p, func() { p.Click(`nav a[data-nav="production"]`) })
		cells := uiTexts(p, "table.production-list tbody td")
		if want := []string{"iris v1", "@champion", "drift", "petal_length", "2"}; len(cells) < len(want) || !slices.Equal(cells[:len(want)], want) {
			t.Errorf("production overview cells %q, want %q first", cells, want)
		}
		p.Screenshot("5-production")
		p.AssertNoConsoleErrors()
	})
}

// logSweep logs the sweep as MLflow's client would — a run per C with
// its param, a loss history and the accuracy — and the model (with its
// drift reference) under the best run's artifacts/model, registered from
// that run as iris v1. It returns the runs' ids.
func logSweep(t *testing.T, c *mlflowrest.Client, model string) []string {
	t.Helper()
	ctx := context.Background()
	expID, err := c.EnsureExperiment(ctx, "iris-sweep")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Hour).UnixMilli()
	var ids []string
	for i, cv := range sweepC {
		var run mlflowrest.RunResponse
		if err := c.Post(ctx, "runs/create", mlflowrest.CreateRunRequest{ExperimentID: expID, RunName: "C=" + cv,
			StartTime: mlflowrest.Int64(start + int64(i)*60_000)}, &run); err != nil {
			t.Fatal(err)
		}
		id := run.Run.Info.RunID
		batch := mlflowrest.LogBatchRequest{RunID: id, Params: []mlflowrest.Param{{Key: "C", Value: cv}, {Key: "penalty", Value: "l2"}}}
		for step := range 10 {
			loss := 1.1*math.Exp(-0.3*float64(step)) + (1 - sweepAcc[i])
			batch.Metrics = append(batch.Metrics, mlflowrest.Metric{Key: "loss", Value: mlflowrest.Float64(loss),
				Timestamp: mlflowrest.Int64(start + int64(i)*60_000 + int64(step)*1000), Step: mlflowrest.Int64(step)})
		}
		batch.Metrics = append(batch.Metrics, mlflowrest.Metric{Key: "accuracy", Value: mlflowrest.Float64(sweepAcc[i]),
			Timestamp: mlflowrest.Int64(start + int64(i)*60_000 + 10_000), Step: mlflowrest.Int64(9)})
		if err := c.Post(ctx, "runs/log-batch", batch, nil); err != nil {
			t.Fatal(err)
		}
		if i == bestRun {
			root := strings.TrimLeft(strings.TrimPrefix(run.Run.Info.ArtifactURI, "mlflow-artifacts:/"), "/")
			err := filepath.WalkDir(model, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				f, err := os.Open(p)
				if err != nil {
					return err
				}
				defer f.Close()
				rel, _ := filepath.Rel(model, p)
				return c.PutArtifact(ctx, root+"/model/"+filepath.ToSlash(rel), f)
			})
			if err != nil {
				t.Fatalf("logging the model: %v", err)
			}
			if err := c.Post(ctx, "registered-models/create", mlflowrest.CreateRegisteredModelRequest{Name: "iris"}, nil); err != nil {
				t.Fatal(err)
			}
			if err := c.Post(ctx, "model-versions/create", mlflowrest.CreateModelVersionRequest{Name: "iris",
				Source: strings.TrimRight(run.Run.Info.ArtifactURI, "/") + "/model", RunID: id}, nil); err != nil {
				t.Fatal(err)
			}
		}
		end := mlflowrest.Int64(start + int64(i)*60_000 + 30_000)
		if err := c.Post(ctx, "runs/update", mlflowrest.UpdateRunRequest{RunID: id, Status: "FINISHED", EndTime: &end}, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// sendTraffic scores iris as it is, 10 rows a request over about three
// seconds (one window of 150 rows, the reference itself), sends two
// malformed requests, then iris with the petals ×1.5 twice: two features
// of four drift in both windows, so the model warns after the first and
// drifts after the second (--drift-persistence 2).
func sendTraffic(t *testing.T, url string) {
	t.Helper()
	recs := readCSV(t, "../../testdata/data/iris.csv")
	rows := recs[1:]
	post := func(body string, want int) {
		t.Helper()
		resp, err := http.Post(url+"/invocations", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("scoring: %s, want %d", resp.Status, want)
		}
	}
	frame := func(rs [][]string, scale float64) string {
		var b strings.Builder
		b.WriteString(`{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [`)
		for i, r := range rs {
			if i > 0 {
				b.WriteByte(',')
			}
			pl, _ := strconv.ParseFloat(r[2], 64)
			pw, _ := strconv.ParseFloat(r[3], 64)
			fmt.Fprintf(&b, "[%s,%s,%g,%g]", r[0], r[1], pl*scale, pw*scale)
		}
		b.WriteString("]}}")
		return b.String()
	}
	for i := 0; i < len(rows); i += 10 {
		post(frame(rows[i:i+10], 1), http.StatusOK)
		time.Sleep(200 * time.Millisecond)
	}
	post(`{"dataframe_split": {"columns": ["sepal_length"], "data": [["x"]]}}`, http.StatusBadRequest)
	post(`not json`, http.StatusBadRequest)
	post(frame(rows, 1.5), http.StatusOK)
	post(frame(rows, 1.5), http.StatusOK)
}

// waitReportingRuns waits until n monitoring runs have a serving report.
func waitReportingRuns(t *testing.T, c *mlflowrest.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := 0
		for _, r := range servertest.MonitoringRuns(t, c) {
			if slices.ContainsFunc(r.Data.Metrics, func(m mlflowrest.Metric) bool { return m.Key == "serving.requests" }) {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d monitoring runs have serving reports, want %d", got, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitVersionTags waits until iris v1's tags satisfy ok.
func waitVersionTags(t *testing.T, c *mlflowrest.Client, ok func(map[string]string) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got mlflowrest.ModelVersionResponse
		if err := c.Get(context.Background(), "model-versions/get", map[string][]string{"name": {"iris"}, "version": {"1"}}, &got); err != nil {
			t.Fatal(err)
		}
		tags := map[string]string{}
		for _, tag := range got.ModelVersion.Tags {
			tags[tag.Key] = tag.Value
		}
		if ok(tags) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("iris v1's tags never got there: %v", tags)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// metricValues returns the values of key in the one monitoring run, by
// step; nil when there is no such run yet.
func metricValues(t *testing.T, c *mlflowrest.Client, key string) []float64 {
	t.Helper()
	runs := servertest.MonitoringRuns(t, c)
	if len(runs) != 1 {
		return nil
	}
	return servertest.MetricHistory(t, c, runs[0].Info.RunID, key)
}

// waitMetricSteps waits until the monitoring run has n values of key.
func waitMetricSteps(t *testing.T, c *mlflowrest.Client, key string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(metricValues(t, c, key)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the monitoring run has %d values of %s, want %d", len(metricValues(t, c, key)), key, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func experimentOf(t *testing.T, c *mlflowrest.Client, runID string) string {
	t.Helper()
	var run mlflowrest.RunResponse
	if err := c.Get(context.Background(), "runs/get", map[string][]string{"run_id": {runID}}, &run); err != nil {
		t.Fatal(err)
	}
	return run.Run.Info.ExperimentID
}

// waitUIReady waits for the first page of a load to be rendered.
func waitUIReady(p *browsertest.Page) { p.WaitVisible(`#app[data-state="ready"]`) }

// afterUIRender does action and waits until the page it leads to is
// rendered (#app's data-state turns to ready again).
func afterUIRender(p *browsertest.Page, action func()) {
	p.AfterAttr("#app", "data-state", "ready", action)
}

func uiTexts(p *browsertest.Page, selector string) []string {
	var out []string
	p.Eval(fmt.Sprintf(`[...document.querySelectorAll(%q)].map((e) => e.innerText.trim())`, selector), &out)
	return slices.Clip(out)
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/internal/browsertest"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/server/servertest"
)

// TestMergedDriftTwoReplicas: two `berth serve` replicas of iris v1 with
// 10-second merge periods. Within one period replica A scores iris with
// the petals ×3 (its own window drifts) and then replica B scores iris as
// it is (its own window is ok, and closes last, so the old "last writer
// wins" tag would read ok). The version's drift tags carry one verdict,
// judged on the sum of both replicas' counts of the period (300 rows):
// drift, merged from 2 replicas; each replica's own status stays on its
// own monitoring run; the merged run holds the merged window; and the web
// UI's production panel shows the merged verdict and the replicas' own.
func TestMergedDriftTwoReplicas(t *testing.T) {
	lib := ortest.Init(t)
	// Early, to skip before the binaries are built when there is no Chromium
	// (a failure under BERTH_REQUIRE_TOOLS=1); its time covers the waits below.
	b := browsertest.New(t, browsertest.WithTimeout(3*time.Minute))
	bin := buildBerth(t)
	data := t.TempDir()
	registry := startSQLiteServer(t, bin, data)
	c := &mlflowrest.Client{BaseURL: registry}

	model := filepath.Join(data, "iris")
	if err := os.CopyFS(model, os.DirFS("../../testdata/models/iris_logreg")); err != nil {
		t.Fatal(err)
	}
	runBerth(t, bin, "drift", "profile", model, "--data", "../../testdata/data/iris.csv")
	runBerth(t, bin, "models", "register", model, "--name", "iris", "--alias", "champion", "--registry-uri", registry)

	const period = 10 * time.Second
	replica := func(name string) string {
		return startBerth(t, bin, "serve", "models:/iris@champion", "--registry-uri", registry,
			"--port", "0", "--ort-lib", lib, "--cache-dir", filepath.Join(data, "cache-"+name),
			"--drift-window-rows", "150", "--drift-persistence", "1", "--report-interval", "1s",
			"--drift-period", period.String(), "--drift-merge-grace", "2s")
	}
	a, bURL := replica("a"), replica("b")

	rows := readCSV(t, "../../testdata/data/iris.csv")[1:]
	frame := func(scale float64) string {
		var sb strings.Builder
		sb.WriteString(`{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [`)
		for i, r := range rows {
			if i > 0 {
				sb.WriteByte(',')
			}
			pl, _ := strconv.ParseFloat(r[2], 64)
			pw, _ := strconv.ParseFloat(r[3], 64)
			fmt.Fprintf(&sb, "[%s,%s,%g,%g]", r[0], r[1], pl*scale, pw*scale)
		}
		sb.WriteString("]}}")
		return sb.String()
	}
	score := func(url, body string) {
		t.Helper()
		resp, err := http.Post(url+"/invocations", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("scoring on %s: %s", url, resp.Status)
		}
	}
	// Both replicas' rows in one period: start just after a boundary.
	now := time.Now()
	next := now.Truncate(period).Add(period)
	time.Sleep(time.Until(next) + 300*time.Millisecond)
	sent := time.Now()
	score(a, frame(3))
	score(bURL, frame(1))
	if el := time.Since(sent); el > period/2 {
		t.Fatalf("scoring took %s: the rows may fall in two periods", el)
	}
	start := next.UTC().Format(time.RFC3339)
	end := next.Add(period).UTC().Format(time.RFC3339)

	waitVersionTags(t, c, func(tags map[string]string) bool { return tags["berth.drift.period"] == start+"/"+end })
	waitVersionTags(t, c, func(tags map[string]string) bool { return tags["berth.drift.replicas"] == "2" })
	var mv mlflowrest.ModelVersionResponse
	if err := c.Get(context.Background(), "model-versions/get", map[string][]string{"name": {"iris"}, "version": {"1"}}, &mv); err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tg := range mv.ModelVersion.Tags {
		tags[tg.Key] = tg.Value
	}
	if tags["berth.drift.status"] != "drift" || tags["berth.drift.last_window"] != end ||
		!strings.HasPrefix(tags["berth.drift.rule"], "drift: ") || !strings.HasSuffix(tags["berth.drift.merge_state"], " 2 300") {
		t.Errorf("iris v1's tags: %v; want drift merged from both replicas' 300 rows", tags)
	}

	// Each replica's own status, on its own run; the merged run's window.
	own := map[string]string{}
	var merged *mlflowrest.Run
	for _, r := range servertest.MonitoringRuns(t, c) {
		rt := map[string]string{}
		for _, tg := range r.Data.Tags {
			rt[tg.Key] = tg.Value
		}
		if rt["mlflow.source.name"] == "berth serve (merged drift)" {
			if merged != nil {
				t.Errorf("two merged runs: %s and %s", merged.Info.RunID, r.Info.RunID)
			}
			merged = &r
			continue
		}
		own[rt["berth.instance"]] = rt["berth.drift.status"]
	}
	// berth.instance is host:port (serve.InstanceName): the port tells them apart.
	hostOf := func(u string) string {
		_, port, _ := strings.Cut(strings.TrimPrefix(u, "http://"), ":")
		host, _ := os.Hostname()
		return host + ":" + port
	}
	if own[hostOf(a)] != "drift" || own[hostOf(bURL)] != "ok" {
		t.Errorf("the replicas' own statuses %v, want %s drift and %s ok", own, hostOf(a), hostOf(bURL))
	}
	if merged == nil {
		t.Fatal("no merged drift run")
	}
	root := strings.Trim(strings.TrimPrefix(merged.Info.ArtifactURI, "mlflow-artifacts:"), "/")
	rc, err := c.GetArtifact(context.Background(), root+"/drift/window.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	var wf struct {
		Rows   int64  `json:"rows"`
		Status string `json:"status"`
		Start  string `json:"start"`
	}
	if err := json.Unmarshal(body, &wf); err != nil || wf.Rows != 300 || wf.Status != "drift" || wf.Start != start {
		t.Errorf("merged window file: %+v (%v), want 300 rows, drift, from %s", wf, err, start)
	}

	// The web UI: the version's production panel shows the merged verdict
	// and each replica's own.
	waitReportingRuns(t, c, 2)
	p := b.For(t).Open(registry + "/#/models/iris?version=1")
	waitUIReady(p)
	p.WaitVisible("section.production .merged-drift")
	text := p.Text("section.production")
	for _, want := range []string{"Drift status\tdrift", "Merged from\t2 replicas", "Period\t" + start + "/" + end, "Own drift"} {
		if !strings.Contains(text, want) {
			t.Errorf("the production section lacks %q:\n%s", want, text)
		}
	}
	if got := uiTexts(p, "table.replicas td.own-drift"); len(got) != 2 || !(got[0] == "drift" && got[1] == "ok" || got[0] == "ok" && got[1] == "drift") {
		t.Errorf("the replicas' own drift cells: %q, want drift and ok", got)
	}
	p.Screenshot("merged-drift")
	p.AssertNoConsoleErrors()
}

package serve_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/internal/iristest"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/serve"
)

// newDriftServer serves iris (with a reference) and plain (the committed
// fixture, without one).
func newDriftServer(t testing.TB, irisDir string, opts ...serve.Option) *testServer {
	t.Helper()
	return serveDirs(t, []namedModel{{"iris", irisDir}, {"plain", fixture("iris_logreg")}}, opts...)
}

// gauge returns the value of the series of name with the given labels,
// and whether it exists.
func gauge(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			if m.Gauge != nil {
				return m.GetGauge().GetValue(), true
			}
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

type driftAnswer struct {
	Model  string `json:"model"`
	Window struct {
		Rows int64 `json:"rows"`
	} `json:"window"`
	Reference struct {
		Features []struct {
			Name string `json:"name"`
		} `json:"features"`
	} `json:"reference"`
	Last *struct {
		Window   int64        `json:"window"`
		Rows     int64        `json:"rows"`
		Status   drift.Status `json:"status"`
		Verdict  drift.Status `json:"verdict"`
		Summary  string       `json:"summary"`
		Features []struct {
			Feature string   `json:"feature"`
			PSI     *float64 `json:"psi"`
			Drifted bool     `json:"drifted"`
		} `json:"features"`
	} `json:"last"`
	History []drift.WindowResult `json:"history"`
}

func getDrift(t *testing.T, url string) driftAnswer {
	t.Helper()
	r := do(t, http.MethodGet, url, "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", url, r.status, r.body)
	}
	var a driftAnswer
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDriftMonitoring(t *testing.T) {
	rows := iristest.Rows(t)
	// Windows of the whole data set: the first is the reference itself,
	// so sampling noise cannot make it drift.
	ts := newDriftServer(t, iristest.ModelWithReference(t),
		serve.WithDriftOptions(drift.WithWindowRows(len(rows)), drift.WithWindowTime(0)))

	// An interleaved order, over MLflow's protocol in batches.
	var batch [][]float64
	for i := range rows {
		batch = append(batch, rows[(i*7)%len(rows)])
		if len(batch) == 50 || i == len(rows)-1 {
			data, _ := json.Marshal(batch)
			r := post(t, ts.URL+"/models/iris/invocations", fmt.Sprintf(`{"dataframe_split": {"columns": %s, "data": %s}}`, irisColumns, data))
			if r.status != 200 {
				t.Fatalf("invocations = %d: %s", r.status, r.body)
			}
			batch = batch[:0]
		}
	}
	a := getDrift(t, ts.URL+"/v2/models/iris/drift")
	if a.Last == nil || a.Last.Window != 1 || a.Last.Rows != int64(len(rows)) || a.Last.Status != drift.StatusOK {
		t.Fatalf("after the reference data, last = %+v, window = %+v, history %d", a.Last, a.Window, len(a.History))
	}
	if len(a.Reference.Features) != 4 || a.Window.Rows != 0 || len(a.History) != 1 {
		t.Errorf("drift answer = %+v", a)
	}
	for _, f := range iristest.Features {
		v, ok := gauge(t, ts.reg, "berth_drift_detected", map[string]string{"model": "iris", "feature": f})
		if !ok || v != 0 {
			t.Errorf("berth_drift_detected{feature=%q} = %v (present %v), want 0", f, v, ok)
		}
	}

	// petal_length × 1.3, over the Open Inference Protocol in one tensor.
	data := make([]string, 0, 4*len(rows))
	for _, row := range rows {
		for j, v := range row {
			if j == 2 {
				v *= 1.3
			}
			data = append(data, strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	r := post(t, ts.URL+"/v2/models/iris/infer", fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 4], "datatype": "FP32", "data": [%s]}]}`,
		len(rows), strings.Join(data, ",")))
	if r.status != 200 {
		t.Fatalf("infer = %d: %s", r.status, r.body)
	}
	a = getDrift(t, ts.URL+"/v2/models/iris/versions/1/drift")
	if a.Last == nil || a.Last.Window != 2 || len(a.History) != 2 {
		t.Fatalf("after the shifted data, last = %+v", a.Last)
	}
	for _, f := range a.Last.Features {
		want := f.Feature == "petal_length"
		if f.Drifted != want {
			t.Errorf("%s drifted = %v, want %v", f.Feature, f.Drifted, want)
		}
		if want && (f.PSI == nil || *f.PSI <= 0.25) {
			t.Errorf("petal_length PSI = %v, want > 0.25", f.PSI)
		}
		v, _ := gauge(t, ts.reg, "berth_drift_detected", map[string]string{"model": "iris", "feature": f.Feature})
		if (v == 1) != want {
			t.Errorf("berth_drift_detected{feature=%q} = %v", f.Feature, v)
		}
	}
	if v, _ := gauge(t, ts.reg, "berth_drift_windows_total", map[string]string{"model": "iris"}); v != 2 {
		t.Errorf("berth_drift_windows_total = %v, want 2", v)
	}
	if v, ok := gauge(t, ts.reg, "berth_drift_score", map[string]string{"model": "iris", "feature": "petal_length", "method": "psi"}); !ok || v <= 0.25 {
		t.Errorf("berth_drift_score{petal_length,psi} = %v", v)
	}
	// the first drifting window only warns (drift.DefaultPersistence is 2)
	if a.Last.Status != drift.StatusWarning {
		t.Errorf("status after one drifting window = %s, want warning", a.Last.Status)
	}
	if v, ok := gauge(t, ts.reg, "berth_drift_model_detected", map[string]string{"model": "iris"}); !ok || v != 0 {
		t.Errorf("berth_drift_model_detected after one drifting window = %v (present %v), want 0", v, ok)
	}
	r = post(t, ts.URL+"/v2/models/iris/infer", fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 4], "datatype": "FP32", "data": [%s]}]}`,
		len(rows), strings.Join(data, ",")))
	if r.status != 200 {
		t.Fatalf("infer = %d: %s", r.status, r.body)
	}
	if a = getDrift(t, ts.URL+"/v2/models/iris/drift"); a.Last == nil || a.Last.Window != 3 || a.Last.Status != drift.StatusDrift {
		t.Errorf("after the second drifting window, last = %+v, want window 3 drifting", a.Last)
	} else if want := "drift: 1 of 4 features after Benjamini–Hochberg at q=0.01, 2 consecutive drifting windows (drift from 2)"; a.Last.Summary != want || a.Last.Verdict != drift.StatusDrift {
		t.Errorf("last summary %q verdict %s, want %q drift", a.Last.Summary, a.Last.Verdict, want)
	}
	if v, _ := gauge(t, ts.reg, "berth_drift_model_detected", map[string]string{"model": "iris"}); v != 1 {
		t.Errorf("berth_drift_model_detected after two drifting windows = %v, want 1", v)
	}
	if v, _ := gauge(t, ts.reg, "berth_drift_consecutive_windows", map[string]string{"model": "iris"}); v != 2 {
		t.Errorf("berth_drift_consecutive_windows = %v, want 2", v)
	}
	if v, ok := gauge(t, ts.reg, "berth_drift_score", map[string]string{"model": "iris", "feature": "petal_length", "method": "ks_p_adjusted"}); !ok || v >= 0.01 {
		t.Errorf("berth_drift_score{petal_length,ks_p_adjusted} = %v (present %v), want < 0.01", v, ok)
	}

	// The model without a reference: no series, 404.
	post(t, ts.URL+"/models/plain/invocations", `{"dataframe_split": {"columns": `+irisColumns+`, "data": [[5.1, 3.5, 1.4, 0.2]]}}`)
	for _, name := range []string{"berth_drift_score", "berth_drift_detected", "berth_drift_model_detected", "berth_drift_consecutive_windows", "berth_drift_windows_total"} {
		if _, ok := gauge(t, ts.reg, name, map[string]string{"model": "plain"}); ok {
			t.Errorf("plain has a %s series", name)
		}
	}
	nf := do(t, http.MethodGet, ts.URL+"/v2/models/plain/drift", "", nil)
	if nf.status != http.StatusNotFound || nf.json(t)["error"] == nil {
		t.Errorf("GET plain's drift = %d: %s", nf.status, nf.body)
	}
	if r := do(t, http.MethodGet, ts.URL+"/v2/models/iris/versions/9/drift", "", nil); r.status != http.StatusNotFound {
		t.Errorf("GET drift of an unknown version = %d", r.status)
	}

	problems, err := testutil.GatherAndLint(ts.reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			t.Fatal("promtool not found (apt-get install prometheus)")
		}
		t.Log("promtool not found")
		return
	}
	m := do(t, http.MethodGet, ts.URL+"/metrics", "", nil)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(m.body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestDriftOffAndAuth(t *testing.T) {
	ts := newDriftServer(t, iristest.ModelWithReference(t), serve.WithDrift(false), serve.WithToken("s3cret"))
	if r := do(t, http.MethodGet, ts.URL+"/v2/models/iris/drift", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("GET drift without the token = %d", r.status)
	}
	r := do(t, http.MethodGet, ts.URL+"/v2/models/iris/drift", "", nil, "Authorization", "Bearer s3cret")
	if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "--drift") {
		t.Errorf("GET drift with monitoring off = %d: %s", r.status, r.body)
	}
	if n := testutil.CollectAndCount(ts.reg, "berth_drift_windows_total"); n != 0 {
		t.Errorf("%d windows series with monitoring off", n)
	}
}

// BenchmarkInvocationsDrift is BenchmarkInvocations for a model without
// and with a drift reference (windows of the default 1000 rows).
func BenchmarkInvocationsDrift(b *testing.B) {
	body := []byte(`{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2]]}}`)
	dir := iristest.ModelWithReference(b)
	for _, bc := range []struct{ name, model string }{{"reference=none", "plain"}, {"reference=iris", "iris"}} {
		b.Run(bc.name, func(b *testing.B) {
			ts := newDriftServer(b, dir, serve.WithDriftOptions(drift.WithWindowTime(time.Minute)))
			benchPost(b, ts.URL+"/models/"+bc.model+"/invocations", body)
		})
	}
}

// TestDriftMonitorsOutputs serves iris with a reference that profiles its
// outputs too: the first window replays the reference data, so every
// output column matches it exactly (PSI 0), which it can only do if each
// row's outputs were recorded; a v2 request that asks for the label only
// records the label only.
func TestDriftMonitorsOutputs(t *testing.T) {
	rows := iristest.Rows(t)
	ortest.Init(t)
	dir := iristest.ModelWithReference(t)
	iristest.WithOutputs(t, dir)
	ts := newDriftServer(t, dir, serve.WithDriftOptions(drift.WithWindowRows(len(rows)), drift.WithWindowTime(0)))

	data, _ := json.Marshal(rows)
	if r := post(t, ts.URL+"/models/iris/invocations", fmt.Sprintf(`{"dataframe_split": {"columns": %s, "data": %s}}`, irisColumns, data)); r.status != 200 {
		t.Fatalf("invocations = %d: %s", r.status, r.body)
	}
	outputs := []string{"label", "probabilities.0", "probabilities.1", "probabilities.2"}
	a := getDrift(t, ts.URL+"/v2/models/iris/drift")
	if a.Last == nil || len(a.History) != 1 {
		t.Fatalf("no window closed: %+v", a)
	}
	w := a.History[0]
	if len(w.Features) != 8 || w.Status != drift.StatusOK {
		t.Fatalf("window 1: %d features, status %s; want 4 inputs and 4 outputs, ok", len(w.Features), w.Status)
	}
	for i, f := range w.Features[4:] {
		if f.Feature != outputs[i] || !f.Output || f.PSI == nil || *f.PSI != 0 || f.Drifted {
			t.Errorf("output %d = %+v (psi %v), want %s, output, psi 0", i, f, f.PSI, outputs[i])
		}
	}
	if v, ok := gauge(t, ts.reg, "berth_drift_score", map[string]string{"model": "iris", "feature": "probabilities.1", "method": "psi"}); !ok || v != 0 {
		t.Errorf("berth_drift_score{probabilities.1,psi} = %v (present %v), want 0", v, ok)
	}

	flat := make([]string, 0, 4*len(rows))
	for _, row := range rows {
		for _, v := range row {
			flat = append(flat, strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	r := post(t, ts.URL+"/v2/models/iris/infer", fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 4], "datatype": "FP32", "data": [%s]}], "outputs": [{"name": "label"}]}`,
		len(rows), strings.Join(flat, ",")))
	if r.status != 200 {
		t.Fatalf("infer = %d: %s", r.status, r.body)
	}
	a = getDrift(t, ts.URL+"/v2/models/iris/drift")
	if len(a.History) != 2 {
		t.Fatalf("%d windows, want 2", len(a.History))
	}
	for _, f := range a.History[1].Features[4:] {
		if recorded := f.PSI != nil; recorded != (f.Feature == "label") {
			t.Errorf("window 2, %s: psi %v; only the requested label should be recorded", f.Feature, f.PSI)
		}
	}
}

package serve_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/iristest"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/serve"
)

type logLine struct {
	Time      string                     `json:"time"`
	Model     string                     `json:"model"`
	Version   string                     `json:"version"`
	RequestID string                     `json:"request_id"`
	Row       int                        `json:"row"`
	Inputs    map[string]json.RawMessage `json:"inputs"`
	Outputs   map[string]json.RawMessage `json:"outputs"`
}

func readLogLines(t *testing.T, path string) []logLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []logLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l logLine
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %d %q: %v", len(lines)+1, sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

// TestRequestLog logs every request of both protocols and reads the log
// back the way berth drift report does: the rows logged profile exactly
// like the reference data they were, inputs and outputs.
func TestRequestLog(t *testing.T) {
	ortest.Init(t)
	dir := iristest.ModelWithReference(t)
	iristest.WithOutputs(t, dir)
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	rl, err := serve.OpenRequestLog(path, serve.DefaultRequestLogOptions())
	if err != nil {
		t.Fatal(err)
	}
	ts := newDriftServer(t, dir, serve.WithRequestLog(rl))
	rows := iristest.Rows(t)
	half := len(rows) / 2
	data, _ := json.Marshal(rows[:half])
	r := do(t, http.MethodPost, ts.URL+"/models/iris/invocations", "application/json",
		[]byte(fmt.Sprintf(`{"dataframe_split": {"columns": %s, "data": %s}}`, irisColumns, data)), "X-Request-ID", "req-1")
	if r.status != 200 {
		t.Fatalf("invocations = %d: %s", r.status, r.body)
	}
	var flat []string
	for _, row := range rows[half:] {
		for _, v := range row {
			flat = append(flat, strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	if r := post(t, ts.URL+"/v2/models/iris/infer", fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 4], "datatype": "FP32", "data": [%s]}]}`,
		len(rows)-half, strings.Join(flat, ","))); r.status != 200 {
		t.Fatalf("infer = %d: %s", r.status, r.body)
	}
	// A refused request is not logged.
	if r := post(t, ts.URL+"/models/iris/invocations", `{"dataframe_split": {"columns": ["x"], "data": [[1]]}}`); r.status != 400 {
		t.Fatalf("bad request = %d", r.status)
	}
	if err := rl.Close(); err != nil {
		t.Fatal(err)
	}

	lines := readLogLines(t, path)
	if len(lines) != len(rows) {
		t.Fatalf("%d lines logged, want one per row (%d)", len(lines), len(rows))
	}
	first := lines[0]
	if first.Model != "iris" || first.Version != "1" || first.RequestID != "req-1" || first.Row != 0 || first.Time == "" {
		t.Errorf("first line %+v", first)
	}
	if got := string(first.Inputs["sepal_length"]); got != "5.1" {
		t.Errorf("first row's sepal_length logged as %s, want 5.1", got)
	}
	if got := string(first.Outputs["label"]); got != "0" || !strings.HasPrefix(string(first.Outputs["probabilities"]), "[0.98") {
		t.Errorf("first row's outputs %s", first.Outputs)
	}
	if l := lines[half]; l.RequestID == "" || l.RequestID == "req-1" || l.Row != 0 || len(l.Inputs) != 4 {
		t.Errorf("first line of the v2 request: %+v", l)
	}

	// Read back as berth drift report does: identical to the reference.
	ref, err := drift.ReadProfile(mustOpen(t, filepath.Join(dir, drift.FileName)))
	if err != nil {
		t.Fatal(err)
	}
	cols := make([]drift.Column, len(ref.Features))
	for i, f := range ref.Features {
		cols[i] = drift.Column{Name: f.Name, Type: flavors.ColType(f.Type)}
	}
	outCols := make([]drift.Column, len(ref.Outputs))
	for i, f := range ref.Outputs {
		outCols[i] = drift.Column{Name: f.Name, Type: flavors.ColType(f.Type)}
	}
	in := drift.NewBuilder(cols, drift.WithReference(ref))
	out := drift.NewBuilder(outCols, drift.WithReference(&drift.Profile{Version: ref.Version, Features: ref.Outputs}))
	if err := drift.ReadLog(mustOpen(t, path), in, out); err != nil {
		t.Fatal(err)
	}
	cur, err := in.Profile()
	if err != nil {
		t.Fatal(err)
	}
	op, err := out.Profile()
	if err != nil {
		t.Fatal(err)
	}
	cur.Outputs = op.Features
	rep, err := drift.Compare(ref, cur, drift.DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Features) != 8 {
		t.Fatalf("%d features compared, want 4 inputs and 4 outputs", len(rep.Features))
	}
	for _, f := range rep.Features {
		if f.PSI == nil || *f.PSI != 0 {
			t.Errorf("%s: PSI %v, want 0 (the logged rows are the reference data)", f.Feature, f.PSI)
		}
	}

	if problems, err := testutil.GatherAndLint(ts.reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
	if v, _ := gauge(t, ts.reg, "berth_request_log_rows_total", nil); v != float64(len(rows)) {
		t.Errorf("berth_request_log_rows_total = %v, want %d", v, len(rows))
	}
}

// TestRequestLogSampleAndRotate logs with sampling and a small size limit:
// about the sampled share of requests is written, split over the file and
// its rotated predecessor, and a rate of 0 writes nothing.
func TestRequestLogSampleAndRotate(t *testing.T) {
	ortest.Init(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "requests.jsonl")
	rl, err := serve.OpenRequestLog(path, serve.RequestLogOptions{SampleRate: 0.5, MaxBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}}, serve.WithRequestLog(rl))
	const requests = 200
	for range requests {
		if r := post(t, ts.URL+"/invocations", `{"dataframe_split": {"columns": `+irisColumns+`, "data": [[5.1, 3.5, 1.4, 0.2]]}}`); r.status != 200 {
			t.Fatalf("invocations = %d", r.status)
		}
	}
	if err := rl.Close(); err != nil {
		t.Fatal(err)
	}
	n := len(readLogLines(t, path))
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 4096 {
		t.Errorf("log is %d bytes, over the 4096 limit", st.Size())
	}
	if _, err := os.Stat(path + ".1"); err != nil {
		t.Fatalf("no rotated log: %v", err)
	}
	n += len(readLogLines(t, path+".1"))
	// Binomial(200, 0.5) is outside [50, 150] with probability < 1e-12.
	written, _ := gauge(t, ts.reg, "berth_request_log_rows_total", nil)
	if written < 50 || written > 150 {
		t.Errorf("%v of %d requests logged at rate 0.5", written, requests)
	}
	// Rotation keeps one old file: the two hold the last lines written.
	if n == 0 || float64(n) > written {
		t.Errorf("%d lines in the log and its rotated predecessor, %v written", n, written)
	}

	off := filepath.Join(dir, "off.jsonl")
	rl0, err := serve.OpenRequestLog(off, serve.RequestLogOptions{SampleRate: 0, MaxBytes: 100 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ts0 := newTestServer(t, []namedModel{{"iris", "iris_logreg"}}, serve.WithRequestLog(rl0))
	post(t, ts0.URL+"/invocations", `{"dataframe_split": {"columns": `+irisColumns+`, "data": [[5.1, 3.5, 1.4, 0.2]]}}`)
	rl0.Close()
	if st, err := os.Stat(off); err != nil || st.Size() != 0 {
		t.Errorf("rate 0 wrote %v bytes (%v)", st.Size(), err)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

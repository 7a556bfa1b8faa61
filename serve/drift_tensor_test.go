package serve_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/serve"
)

// serveDir serves the model in dir as name.
func serveDir(t *testing.T, name, dir string, opts ...serve.Option) *testServer {
	t.Helper()
	return serveDirs(t, []namedModel{{name, dir}}, opts...)
}

// copyFixture copies a committed model directory into a temporary one.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(fixture(name))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeTensorReference profiles data (a CSV file or JSON Lines) for the
// tensor-input model in dir, as berth drift profile does with --target
// target and --outputs=false, and writes the profile into dir.
func writeTensorReference(t *testing.T, dir string, head drift.DataHead, data []byte, drop ...string) *drift.Profile {
	t.Helper()
	m, err := flavors.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := drift.TensorInputs(m.MLmodel.Signature.Inputs, nil)
	if err != nil {
		t.Fatal(err)
	}
	cols, _, err := drift.TensorColumns(ins, head, drop)
	if err != nil {
		t.Fatal(err)
	}
	b := drift.NewBuilder(cols)
	if head.Header != nil {
		err = drift.ReadCSV(bytes.NewReader(data), b)
	} else {
		err = drift.ReadJSONL(bytes.NewReader(data), b)
	}
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Profile()
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, drift.FileName), out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lastWindow returns the drifted features and status of the last closed
// window of model, which must be window n.
func lastWindow(t *testing.T, ts *testServer, model string, n int64) (drifted []string, status drift.Status) {
	t.Helper()
	a := getDrift(t, ts.URL+"/v2/models/"+model+"/drift")
	if a.Last == nil || a.Last.Window != n {
		t.Fatalf("last window = %+v, want window %d", a.Last, n)
	}
	for _, f := range a.Last.Features {
		if f.Drifted {
			drifted = append(drifted, f.Feature)
		}
	}
	return drifted, a.Last.Status
}

// TestDriftTensorSignatureLive serves breast_cancer_tensor (tensor float64
// [-1, 30], logged from numpy) with a reference of half the data, named
// by the CSV header: the other half as it is does not drift, then with
// mean_radius ×1.5 exactly mean_radius drifts. Column j of the input
// tensor feeds feature j.
func TestDriftTensorSignatureLive(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "testdata", "data", "breast_cancer.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ref bytes.Buffer
	w := csv.NewWriter(&ref)
	var cur [][]string
	for i, r := range recs {
		if i == 0 || i%2 == 1 {
			_ = w.Write(r)
		} else {
			cur = append(cur, r[:30])
		}
	}
	w.Flush()
	dir := copyFixture(t, "breast_cancer_tensor")
	p := writeTensorReference(t, dir, drift.DataHead{Header: recs[0]}, ref.Bytes(), "target")
	if p.Features[0].Name != "mean_radius" || len(p.Features) != 30 {
		t.Fatalf("reference features %d, first %s", len(p.Features), p.Features[0].Name)
	}
	ts := serveDir(t, "bc", dir, serve.WithDriftOptions(drift.WithWindowRows(len(cur)), drift.WithWindowTime(0)))

	send := func(scale float64) {
		for start := 0; start < len(cur); start += 50 {
			var rows []string
			for _, r := range cur[start:min(start+50, len(cur))] {
				r = slices.Clone(r)
				v, _ := strconv.ParseFloat(r[0], 64)
				r[0] = strconv.FormatFloat(v*scale, 'g', -1, 64)
				rows = append(rows, "["+strings.Join(r, ",")+"]")
			}
			if r := post(t, ts.URL+"/models/bc/invocations", `{"inputs": [`+strings.Join(rows, ",")+`]}`); r.status != 200 {
				t.Fatalf("invocations = %d: %s", r.status, r.body)
			}
		}
	}
	send(1)
	if drifted, _ := lastWindow(t, ts, "bc", 1); len(drifted) != 0 {
		t.Errorf("the other half as it is: drifted %v, want none", drifted)
	}
	send(1.5)
	if drifted, _ := lastWindow(t, ts, "bc", 2); !slices.Equal(drifted, []string{"mean_radius"}) {
		t.Errorf("mean_radius ×1.5: drifted %v, want [mean_radius]", drifted)
	}
	if v, ok := gauge(t, ts.reg, "berth_drift_detected", map[string]string{"model": "bc", "feature": "mean_radius"}); !ok || v != 1 {
		t.Errorf("berth_drift_detected{feature=mean_radius} = %v (present %v), want 1", v, ok)
	}
}

// images returns n synthetic 3×64×64 images, channel first, flat: per
// channel a random base colour, a random gradient and pixel noise,
// clipped to [0, 1], plus bright. The same seed gives the same images.
func images(seed uint64, n int, bright float32) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 64))
	out := make([][]float32, n)
	for i := range out {
		img := make([]float32, 0, 3*64*64)
		for range 3 {
			base, gx, gy := 0.2+0.4*rng.Float64(), 0.3*rng.Float64()-0.15, 0.3*rng.Float64()-0.15
			for y := range 64 {
				for x := range 64 {
					v := min(max(base+gx*float64(x)/63+gy*float64(y)/63+0.1*rng.NormFloat64(), 0), 1)
					img = append(img, float32(v)+bright)
				}
			}
		}
		out[i] = img
	}
	return out
}

// TestDriftImagesLive serves the CNN cnn64 with a reference of 300
// synthetic images summarised per channel: 300 fresh images of the same
// distribution do not drift; brightened by 0.3 they do, on each channel's
// mean, min and max. The requests go over the Open Inference Protocol,
// 25 images each.
func TestDriftImagesLive(t *testing.T) {
	var ref bytes.Buffer
	for _, img := range images(1, 300, 0) {
		data, _ := json.Marshal(img) // flat: the reference knows the shape
		ref.Write(data)
		ref.WriteByte('\n')
	}
	dir := copyFixture(t, "cnn64")
	p := writeTensorReference(t, dir, drift.DataHead{First: bytes.Clone(ref.Bytes()[:bytes.IndexByte(ref.Bytes(), '\n')])}, ref.Bytes())
	if len(p.Features) != 15 || p.Features[0].Count != 300 {
		t.Fatalf("reference: %d features, %d samples", len(p.Features), p.Features[0].Count)
	}
	ts := serveDir(t, "cnn", dir, serve.WithDriftOptions(drift.WithWindowRows(300), drift.WithWindowTime(0)))

	send := func(imgs [][]float32) { sendImages(t, ts, "cnn", imgs) }
	send(images(2, 300, 0))
	if drifted, status := lastWindow(t, ts, "cnn", 1); len(drifted) != 0 || status == drift.StatusDrift {
		t.Errorf("fresh images: drifted %v, status %s; want none", drifted, status)
	}
	send(images(2, 300, 0.3))
	// Feature by feature: the model's status may wait for the drift to
	// persist over windows.
	drifted, _ := lastWindow(t, ts, "cnn", 2)
	for c := range 3 {
		for _, s := range []drift.Stat{drift.StatMean, drift.StatMin, drift.StatMax} {
			if name := drift.SummaryName("input", c, s); !slices.Contains(drifted, name) {
				t.Errorf("brightened images: %s did not drift (drifted: %v)", name, drifted)
			}
		}
	}
}

// sendImages posts images to model over the Open Inference Protocol, 25
// a request.
func sendImages(t *testing.T, ts *testServer, model string, imgs [][]float32) {
	t.Helper()
	for start := 0; start < len(imgs); start += 25 {
		batch := imgs[start:min(start+25, len(imgs))]
		var flat []float32
		for _, img := range batch {
			flat = append(flat, img...)
		}
		data, _ := json.Marshal(flat)
		body := fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 3, 64, 64], "datatype": "FP32", "data": %s}]}`, len(batch), data)
		if r := post(t, ts.URL+"/v2/models/"+model+"/infer", body); r.status != 200 {
			t.Fatalf("infer = %d: %s", r.status, r.body)
		}
	}
}

// TestDriftImagesRequestLog serves cnn64 with a request log: the images
// logged (one flat float32 sample per line, under the input's name) read
// back, as berth drift report reads a log, to the summaries of the images
// themselves, bin for bin.
func TestDriftImagesRequestLog(t *testing.T) {
	var ref bytes.Buffer
	for _, img := range images(1, 100, 0) {
		data, _ := json.Marshal(img)
		ref.Write(data)
		ref.WriteByte('\n')
	}
	dir := copyFixture(t, "cnn64")
	p := writeTensorReference(t, dir, drift.DataHead{First: bytes.Clone(ref.Bytes()[:bytes.IndexByte(ref.Bytes(), '\n')])}, ref.Bytes())
	logPath := filepath.Join(t.TempDir(), "requests.jsonl")
	rl, err := serve.OpenRequestLog(logPath, serve.DefaultRequestLogOptions())
	if err != nil {
		t.Fatal(err)
	}
	ts := serveDir(t, "cnn", dir, serve.WithRequestLog(rl))
	sent := append(images(3, 25, 0), images(4, 25, 0.3)...)
	sendImages(t, ts, "cnn", sent)
	requestLogMatches(t, p, rl, logPath, sent)
}

// requestLogMatches checks that the request log of the images sent (one
// flat float32 sample per line, under the input's name) reads back, as
// berth drift report reads it, to the summaries of the images themselves,
// bin for bin.
func requestLogMatches(t *testing.T, ref *drift.Profile, rl *serve.RequestLog, logPath string, sent [][]float32) {
	t.Helper()
	if err := rl.Close(); err != nil {
		t.Fatal(err)
	}
	cols := make([]drift.Column, len(ref.Features))
	for i, f := range ref.Features {
		cols[i] = drift.Column{Name: f.Name, Type: flavors.ColType(f.Type), Kind: f.Kind, Source: f.Source}
	}
	fromLog := drift.NewBuilder(cols, drift.WithReference(ref))
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := drift.ReadLog(f, fromLog, nil); err != nil {
		t.Fatal(err)
	}
	var data bytes.Buffer
	for _, img := range sent {
		b, _ := json.Marshal(img)
		data.Write(b)
		data.WriteByte('\n')
	}
	direct := drift.NewBuilder(cols, drift.WithReference(ref))
	if err := drift.ReadJSONL(&data, direct); err != nil {
		t.Fatal(err)
	}
	a, err := fromLog.Profile()
	if err != nil {
		t.Fatal(err)
	}
	b, err := direct.Profile()
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Features {
		fa, fb := a.Features[i], b.Features[i]
		if fa.Count != int64(len(sent)) || fa.Count != fb.Count || !slices.Equal(fa.Numeric.Counts, fb.Numeric.Counts) {
			t.Errorf("%s: from the log %d values %v, from the images %d %v", fa.Name, fa.Count, fa.Numeric.Counts, fb.Count, fb.Numeric.Counts)
		}
	}
}

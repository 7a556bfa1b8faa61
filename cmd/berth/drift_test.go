package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/berthml/berth/batchscore"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/internal/ortest"
)

// runBerth runs the real command tree with args and returns stdout.
func runDriftCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// irisModel copies the iris model into a temporary directory, so that the
// profile lands there and not in testdata.
func irisModel(t *testing.T) string {
	t.Helper()
	ortest.Init(t)
	dir := filepath.Join(t.TempDir(), "iris")
	if err := os.CopyFS(dir, os.DirFS("../../testdata/models/iris_logreg")); err != nil {
		t.Fatal(err)
	}
	return dir
}

const (
	irisCSV     = "../../testdata/data/iris.csv"
	irisShifted = "../../testdata/drift/iris_shifted.csv"
	irisJSONL   = "../../testdata/drift/iris.jsonl"
)

func TestDriftProfileAndReport(t *testing.T) {
	model := irisModel(t)
	out, err := runDriftCmd(t, "drift", "profile", model, "--data", irisCSV)
	if err != nil {
		t.Fatal(err)
	}
	refPath := filepath.Join(model, drift.FileName)
	if !strings.Contains(out, refPath) {
		t.Errorf("profile output %q does not name %s", out, refPath)
	}
	if _, err := os.Stat(refPath); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		current     string
		wantDrifted []string
		wantStatus  drift.Status
	}{
		{"iris vs iris", irisCSV, nil, drift.StatusOK},
		{"iris vs iris jsonl", irisJSONL, nil, drift.StatusOK},
		// one feature of four drifting drifts the model (--drift-share 0)
		{"iris vs shifted", irisShifted, []string{"petal_length"}, drift.StatusDrift},
	}
	wantKeys := []string{"chi2", "chi2_pvalue", "chi2_pvalue_adjusted", "drifted", "feature", "js_distance", "kind", "ks_pvalue",
		"ks_pvalue_adjusted", "ks_statistic", "large_sample", "psi", "psi_bins", "significant", "status", "wasserstein"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runDriftCmd(t, "drift", "report", "--reference", refPath, "--current", tt.current, "--output", "json")
			if err != nil {
				t.Fatal(err)
			}
			var rep struct {
				Status   drift.Status
				Features []map[string]any
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%v in %s", err, out)
			}
			var drifted []string
			for _, f := range rep.Features {
				keys := make([]string, 0, len(f))
				for k := range f {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				if !slices.Equal(keys, wantKeys) {
					t.Errorf("entry fields %q, want %q", keys, wantKeys)
				}
				if f["drifted"] == true {
					drifted = append(drifted, f["feature"].(string))
				}
				if _, ok := f["psi"].(float64); !ok {
					t.Errorf("%v: psi is %v", f["feature"], f["psi"])
				}
			}
			if len(rep.Features) != 4 || !slices.Equal(drifted, tt.wantDrifted) || rep.Status != tt.wantStatus {
				t.Errorf("%d features, drifted %q status %s; want 4, %q, %s", len(rep.Features), drifted, rep.Status, tt.wantDrifted, tt.wantStatus)
			}
		})
	}

	t.Run("outputs", func(t *testing.T) {
		ref, err := os.ReadFile(refPath)
		if err != nil {
			t.Fatal(err)
		}
		var p drift.Profile
		if err := json.Unmarshal(ref, &p); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range p.Outputs {
			names = append(names, o.Name+":"+string(o.Kind))
		}
		want := []string{"label:categorical", "probabilities.0:numeric", "probabilities.1:numeric", "probabilities.2:numeric"}
		if !slices.Equal(names, want) || p.Outputs[0].Count != 150 {
			t.Fatalf("reference outputs %q (label count %d), want %q of 150 rows", names, p.Outputs[0].Count, want)
		}
		// With the model directory as the reference, the current data is
		// scored and the outputs compared: the shifted petal length moves
		// the predicted labels.
		out, err := runDriftCmd(t, "drift", "report", "--reference", model, "--current", irisShifted, "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Status         drift.Status
			DriftedOutputs int `json:"drifted_outputs"`
			Features       []drift.FeatureResult
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		var outputs []string
		for _, f := range rep.Features {
			if f.Output {
				outputs = append(outputs, f.Feature)
				if f.Feature == "label" && !f.Drifted {
					t.Errorf("label did not drift: %+v", f)
				}
			}
		}
		if !slices.Equal(outputs, []string{"label", "probabilities.0", "probabilities.1", "probabilities.2"}) || rep.DriftedOutputs == 0 || rep.Status != drift.StatusDrift {
			t.Errorf("outputs %q, %d drifted, status %s", outputs, rep.DriftedOutputs, rep.Status)
		}
		out, err = runDriftCmd(t, "drift", "report", "--reference", model, "--current", irisCSV, "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Features) != 8 || rep.DriftedOutputs != 0 || rep.Status != drift.StatusOK {
			t.Errorf("iris against itself: %d entries, %d outputs drifted, status %s", len(rep.Features), rep.DriftedOutputs, rep.Status)
		}
		out, err = runDriftCmd(t, "drift", "report", "--reference", model, "--current", irisShifted, "-o", "json", "--outputs=false")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Features) != 4 {
			t.Errorf("--outputs=false: %d entries, want the 4 inputs", len(rep.Features))
		}
	})
	t.Run("table", func(t *testing.T) {
		out, err := runDriftCmd(t, "drift", "report", "--reference", model, "--current", irisShifted)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"FEATURE", "petal_length", "drift", "\ndrift: 1 of 4 features after Benjamini–Hochberg at q=0.01; "} {
			if !strings.Contains(out, want) {
				t.Errorf("table %q lacks %q", out, want)
			}
		}
	})
	t.Run("html", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "report.html")
		if _, err := runDriftCmd(t, "drift", "report", "--reference", refPath, "--current", irisShifted, "-o", "html", "--out", path); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		html := string(data)
		if n := strings.Count(html, "<svg"); n != 4 || !strings.Contains(html, "petal_length") {
			t.Errorf("html report has %d <svg>, want one per feature", n)
		}
		for _, external := range []string{"src=", "<link", "<script", "@import"} {
			if strings.Contains(html, external) {
				t.Errorf("html report loads external assets (%s)", external)
			}
		}
	})
	t.Run("fail on drift", func(t *testing.T) {
		_, err := runDriftCmd(t, "drift", "report", "--reference", refPath, "--current", irisShifted, "--fail-on-drift", "--drift-share", "0.5")
		if err != nil {
			t.Errorf("one of four features drifting, with --drift-share 0.5, failed the command: %v", err)
		}
		_, err = runDriftCmd(t, "drift", "report", "--reference", refPath, "--current", irisShifted, "--fail-on-drift")
		if !errors.Is(err, errDrift) {
			t.Errorf("err = %v, want errDrift", err)
		}
	})
}

func TestDriftErrors(t *testing.T) {
	model := irisModel(t)
	short := filepath.Join(t.TempDir(), "short.csv")
	if err := os.WriteFile(short, []byte("sepal_length,petal_length\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no data", []string{"drift", "profile", model}, "--data is required"},
		{"missing columns", []string{"drift", "profile", model, "--data", short}, `no column "sepal_width", "petal_width"`},
		{"not a model", []string{"drift", "profile", t.TempDir(), "--data", irisCSV}, "opening model"},
		{"no reference", []string{"drift", "report", "--reference", filepath.Join(model, "none.json"), "--current", irisCSV}, "reading reference profile"},
		{"bad output", []string{"drift", "report", "--reference", model, "--current", irisCSV, "-o", "xml"}, "--output must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runDriftCmd(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// copyModel copies a committed model directory into a temporary one.
func copyModel(t *testing.T, name string) string {
	t.Helper()
	ortest.Init(t)
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("../../testdata/models", name))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// splitCSV writes the even and the odd data rows of a CSV file to two
// files, the odd ones with column col multiplied by scale.
func splitCSV(t *testing.T, path, col string, scale float64) (even, odd string) {
	t.Helper()
	recs := readCSV(t, path)
	j := slices.Index(recs[0], col)
	if j < 0 {
		t.Fatalf("%s has no column %q", path, col)
	}
	halves := [2][][]string{{recs[0]}, {recs[0]}}
	for i, r := range recs[1:] {
		if i%2 == 1 {
			r = slices.Clone(r)
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				t.Fatal(err)
			}
			r[j] = strconv.FormatFloat(v*scale, 'g', -1, 64)
		}
		halves[i%2] = append(halves[i%2], r)
	}
	dir := t.TempDir()
	var paths [2]string
	for h, recs := range halves {
		paths[h] = filepath.Join(dir, []string{"even.csv", "odd.csv"}[h])
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.WriteAll(recs); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(paths[h], buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths[0], paths[1]
}

// driftedInputs runs drift report and returns the input features that
// drifted and the report's input feature count.
func driftedInputs(t *testing.T, args ...string) (drifted []string, inputs int, status drift.Status) {
	t.Helper()
	out, err := runDriftCmd(t, append([]string{"drift", "report", "-o", "json"}, args...)...)
	if err != nil {
		t.Fatalf("drift report %v: %v\n%s", args, err, out)
	}
	var rep drift.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, f := range rep.Features {
		if f.Output {
			continue
		}
		inputs++
		if f.Drifted {
			drifted = append(drifted, f.Feature)
		}
	}
	return drifted, inputs, rep.Status
}

// TestDriftTensorSignature profiles a model logged from numpy arrays
// (tensor float64 [-1, 30], no column names) on half of the breast cancer
// data, its features named by the CSV header less --target, and reports
// on the other half with mean_radius ×1.5: exactly that input drifts.
func TestDriftTensorSignature(t *testing.T) {
	model := copyModel(t, "breast_cancer_tensor")
	ref, cur := splitCSV(t, "../../testdata/data/breast_cancer.csv", "mean_radius", 1.5)
	_, same := splitCSV(t, "../../testdata/data/breast_cancer.csv", "mean_radius", 1)
	out, err := runDriftCmd(t, "drift", "profile", model, "--data", ref, "--target", "target")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, `leaving out "target"`) {
		t.Errorf("profile printed %q, want a note on the target column", out)
	}
	p, err := batchscore.ReadReference(model)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Features) != 30 || p.Features[0].Name != "mean_radius" || p.Features[29].Name != "worst_fractal_dimension" {
		t.Fatalf("features %d: %s … want the 30 CSV columns", len(p.Features), p.Features[0].Name)
	}
	if s := p.Features[3].Source; s == nil || s.Tensor != "input" || s.Rank != 2 || s.Column != 3 || s.Width != 30 {
		t.Errorf("mean_area's source = %+v, want column 3 of input", s)
	}
	if len(p.Outputs) != 3 || p.Outputs[0].Count != p.Features[0].Count {
		t.Errorf("outputs = %d (count %d), want label and two probabilities of every row", len(p.Outputs), p.Outputs[0].Count)
	}

	drifted, n, _ := driftedInputs(t, "--reference", model, "--current", cur)
	if n != 30 || !slices.Equal(drifted, []string{"mean_radius"}) {
		t.Errorf("with mean_radius ×1.5, drifted inputs = %v of %d, want [mean_radius]", drifted, n)
	}
	if drifted, _, _ := driftedInputs(t, "--reference", model, "--current", same); len(drifted) != 0 {
		t.Errorf("the other half as it is: drifted inputs = %v, want none", drifted)
	}
}

// TestDriftNoSignature profiles iris_logreg_tensor without its signature:
// the input comes from ONNX Runtime. JSON Lines arrays name the columns
// input[j]; the CSV header names them otherwise.
func TestDriftNoSignature(t *testing.T) {
	model := copyModel(t, "iris_logreg_tensor")
	mlmodel := filepath.Join(model, "MLmodel")
	data, err := os.ReadFile(mlmodel)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("\nsignature:"))
	j := bytes.Index(data, []byte("\nutc_time_created:"))
	if i < 0 || j < i {
		t.Fatalf("no signature block in %s", data)
	}
	if err := os.WriteFile(mlmodel, append(data[:i:i], data[j:]...), 0o644); err != nil {
		t.Fatal(err)
	}

	arrays := filepath.Join(t.TempDir(), "iris.jsonl")
	var buf bytes.Buffer
	recs := readCSV(t, irisCSV)
	for _, r := range recs[1:] {
		buf.WriteString("[" + strings.Join(r[:4], ",") + "]\n")
	}
	if err := os.WriteFile(arrays, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	refPath := filepath.Join(t.TempDir(), "ref.json")
	if out, err := runDriftCmd(t, "drift", "profile", model, "--data", arrays, "--out", refPath); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	p, err := batchscore.ReadReference(refPath)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range p.Features {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, []string{"input[0]", "input[1]", "input[2]", "input[3]"}) || len(p.Outputs) != 4 {
		t.Errorf("features = %v, %d outputs; want input[0..3] and 4 outputs", names, len(p.Outputs))
	}
	if drifted, _, status := driftedInputs(t, "--reference", refPath, "--current", arrays, "--model", model); len(drifted) != 0 || status != drift.StatusOK {
		t.Errorf("the reference data: drifted = %v, status %s", drifted, status)
	}

	// From the CSV: named by its header; the shifted copy drifts on petal_length.
	if out, err := runDriftCmd(t, "drift", "profile", model, "--data", irisCSV, "--target", "target"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if drifted, n, _ := driftedInputs(t, "--reference", model, "--current", irisShifted); n != 4 || !slices.Equal(drifted, []string{"petal_length"}) {
		t.Errorf("iris_shifted: drifted = %v of %d, want [petal_length]", drifted, n)
	}
}

// writeImages writes n synthetic 3×64×64 images as JSON Lines, one per
// line, nested [3][64][64] (flat when flat is set): per channel a random
// base colour, a random gradient and pixel noise, clipped to [0, 1], plus
// bright. The same seed gives the same images.
func writeImages(t *testing.T, path string, seed uint64, n int, bright float64, flat bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 64))
	var buf bytes.Buffer
	for range n {
		buf.WriteByte('[')
		for c := range 3 {
			if c > 0 {
				buf.WriteByte(',')
			}
			if !flat {
				buf.WriteByte('[')
			}
			base, gx, gy := 0.2+0.4*rng.Float64(), 0.3*rng.Float64()-0.15, 0.3*rng.Float64()-0.15
			for y := range 64 {
				if y > 0 {
					buf.WriteByte(',')
				}
				if !flat {
					buf.WriteByte('[')
				}
				for x := range 64 {
					if x > 0 {
						buf.WriteByte(',')
					}
					v := min(max(base+gx*float64(x)/63+gy*float64(y)/63+0.1*rng.NormFloat64(), 0), 1) + bright
					buf.WriteString(strconv.FormatFloat(v, 'f', 4, 64))
				}
				if !flat {
					buf.WriteByte(']')
				}
			}
			if !flat {
				buf.WriteByte(']')
			}
		}
		buf.WriteString("]\n")
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDriftImages profiles the CNN cnn64 (tensor float32 [-1, 3, 64, 64])
// on 300 synthetic images by per-channel summaries; 300 fresh images of
// the same distribution do not drift, the same images brightened by 0.3
// do, on each channel's mean, min and max.
func TestDriftImages(t *testing.T) {
	model := copyModel(t, "cnn64")
	dir := t.TempDir()
	ref, fresh, bright := filepath.Join(dir, "ref.jsonl"), filepath.Join(dir, "fresh.jsonl"), filepath.Join(dir, "bright.jsonl")
	writeImages(t, ref, 1, 300, 0, false)
	writeImages(t, fresh, 2, 300, 0, false)
	writeImages(t, bright, 2, 300, 0.3, true)

	if out, err := runDriftCmd(t, "drift", "profile", model, "--data", ref); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	p, err := batchscore.ReadReference(model)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Features) != 15 || p.Features[0].Name != "input.c0.mean" || p.Features[14].Name != "input.c2.zeros" {
		t.Fatalf("%d features, %s … %s; want input.c0.mean … input.c2.zeros", len(p.Features), p.Features[0].Name, p.Features[len(p.Features)-1].Name)
	}
	if s := p.Features[5].Source; s == nil || s.Axis != 1 || s.Channels != 3 || s.Column != 1 || s.Stat != drift.StatMean {
		t.Errorf("input.c1.mean's source = %+v", s)
	}
	if p.Features[0].Count != 300 || len(p.Outputs) != 10 || p.Outputs[0].Count != 300 {
		t.Errorf("count %d, %d outputs; want 300 samples and the 10 logits", p.Features[0].Count, len(p.Outputs))
	}

	if drifted, _, status := driftedInputs(t, "--reference", model, "--current", fresh); len(drifted) != 0 || status == drift.StatusDrift {
		t.Errorf("fresh images of the same distribution: drifted %v, status %s", drifted, status)
	}
	drifted, _, status := driftedInputs(t, "--reference", model, "--current", bright)
	if status != drift.StatusDrift {
		t.Errorf("brightened images: status %s, want drift", status)
	}
	for c := range 3 {
		for _, s := range []drift.Stat{drift.StatMean, drift.StatMin, drift.StatMax} {
			if name := drift.SummaryName("input", c, s); !slices.Contains(drifted, name) {
				t.Errorf("brightened images: %s did not drift (drifted: %v)", name, drifted)
			}
		}
	}
}

// TestDriftTensorErrors: what a tensor model's profile refuses, and the
// tensor-signature model MLflow logged from sklearn (a pickle berth cannot
// run), whose inputs alone profile by its signature.
func TestDriftTensorErrors(t *testing.T) {
	pickled := filepath.Join(t.TempDir(), "f")
	if err := os.CopyFS(pickled, os.DirFS("../../testdata/conformance/models/f_sklearn_tensor_logged")); err != nil {
		t.Fatal(err)
	}
	iris := copyModel(t, "iris_logreg_tensor")
	cnn := copyModel(t, "cnn64")
	short := filepath.Join(t.TempDir(), "short.csv")
	if err := os.WriteFile(short, []byte("a,b,c\n1,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	multi := copyModel(t, "multi_input") // tensors sepal [-1, 2] and petal [-1, 2]
	objects := filepath.Join(t.TempDir(), "multi.jsonl")
	if err := os.WriteFile(objects, []byte(`{"sepal": [5.1, 3.5], "petal": [1.4, 0.2]}`+"\n"+`{"sepal": [7.0, 3.2], "petal": [4.7, 1.4]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string // "" for success
	}{
		{"pickled model, inputs only", []string{"drift", "profile", pickled, "--data", irisCSV, "--target", "target", "--outputs=false"}, ""},
		{"two inputs from JSON objects", []string{"drift", "profile", multi, "--data", objects}, ""},
		{"two inputs from a CSV", []string{"drift", "profile", multi, "--data", irisCSV, "--outputs=false"}, "give JSON Lines objects keyed by input name"},
		{"two inputs from arrays", []string{"drift", "profile", multi, "--data", irisJSONLArrays(t), "--outputs=false"}, "a JSON array is a row of a model with one input"},
		{"pickled model with outputs", []string{"drift", "profile", pickled, "--data", irisCSV, "--target", "target"}, "--outputs=false profiles the inputs only"},
		{"unknown target", []string{"drift", "profile", iris, "--data", irisCSV, "--target", "species"}, `no column "species"`},
		{"too few columns", []string{"drift", "profile", iris, "--data", short, "--outputs=false"}, "input \"input\" takes 4"},
		{"images in a CSV", []string{"drift", "profile", cnn, "--data", short, "--outputs=false"}, "give its samples as JSON Lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runDriftCmd(t, tt.args...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// irisJSONLArrays writes two iris rows as JSON arrays.
func irisJSONLArrays(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "arrays.jsonl")
	if err := os.WriteFile(path, []byte("[5.1, 3.5, 1.4, 0.2]\n[7.0, 3.2, 4.7, 1.4]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

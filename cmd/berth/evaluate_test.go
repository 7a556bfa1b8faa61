package main

import (
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/server/servertest"
)

// goldenFixture is a fixture case of testdata/evaluate/golden.json:
// sklearn's metrics on the fixture model's predictions (made with numpy
// from the ONNX graph in float32).
type goldenFixture struct {
	Name      string             `json:"name"`
	ModelType string             `json:"model_type"`
	Fixture   string             `json:"fixture"`
	Data      string             `json:"data"`
	Target    string             `json:"target"`
	Metrics   map[string]float64 `json:"metrics"`
}

func goldenFixtures(t *testing.T) []goldenFixture {
	t.Helper()
	b, err := os.ReadFile("../../testdata/evaluate/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Cases []goldenFixture }
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	var out []goldenFixture
	for _, c := range g.Cases {
		if c.Fixture != "" {
			out = append(out, c)
		}
	}
	if len(out) != 3 {
		t.Fatalf("%d fixture cases in golden.json, want iris, breast cancer and diabetes", len(out))
	}
	return out
}

// probabilityMetrics are computed from float probabilities (or float
// predictions), where ONNX Runtime's float32 arithmetic may differ from
// numpy's in the last bit; every other metric must match exactly.
var probabilityMetrics = map[string]bool{"log_loss": true, "mean_absolute_error": true, "mean_squared_error": true,
	"root_mean_squared_error": true, "r2_score": true, "max_error": true, "mean_absolute_percentage_error": true}

// TestEvaluateFixtures runs berth evaluate on the iris, breast cancer and
// diabetes fixtures through real ONNX Runtime and compares every metric
// with sklearn's: label metrics and AUCs exactly, metrics of float outputs
// to 1e-7 relative (float32 rounding in the runtime, measured ≤ 9e-9).
func TestEvaluateFixtures(t *testing.T) {
	ortest.Init(t)
	for _, g := range goldenFixtures(t) {
		t.Run(g.Name, func(t *testing.T) {
			dir := t.TempDir()
			out, err := runDriftCmd(t, "evaluate", "../../"+g.Fixture, "--data", "../../"+g.Data, "--target", g.Target,
				"--model-type", g.ModelType, "-o", "json", "--artifacts-dir", dir)
			if err != nil {
				t.Fatal(err)
			}
			var rec struct {
				Metrics   map[string]float64 `json:"metrics"`
				Artifacts []string           `json:"artifacts"`
			}
			if err := json.Unmarshal([]byte(out), &rec); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if len(rec.Metrics) != len(g.Metrics) {
				t.Errorf("metrics %v, want the %d of %v", rec.Metrics, len(g.Metrics), g.Metrics)
			}
			for k, want := range g.Metrics {
				got, ok := rec.Metrics[k]
				tol := 1e-9 * math.Max(1, math.Abs(want))
				if probabilityMetrics[k] {
					tol = 1e-7 * math.Max(1, math.Abs(want))
				}
				if !ok || math.Abs(got-want) > tol {
					t.Errorf("%s = %v (present %v), sklearn %v", k, got, ok, want)
				}
			}
			if g.ModelType == "classifier" && len(rec.Artifacts) < 3 {
				t.Errorf("artifacts %v, want the confusion matrix and both curves", rec.Artifacts)
			}
			for _, a := range rec.Artifacts {
				if filepath.Ext(a) != ".png" {
					continue
				}
				f, err := os.Open(filepath.Join(dir, a))
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(f)
				f.Close()
				if err != nil || img.Bounds().Dx() < 400 {
					t.Errorf("%s: %v %v", a, err, img)
				}
			}
		})
	}
}

func TestEvaluateErrors(t *testing.T) {
	ortest.Init(t)
	tmp := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "sepal_length,sepal_width,petal_length,petal_width,target\n"
	iris, diabetes := "../../testdata/models/iris_logreg", "../../testdata/models/diabetes_linreg"
	irisCSV := "../../testdata/data/iris.csv"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no data", []string{"evaluate", iris, "--target", "target", "--model-type", "classifier"}, "--data and --target are required"},
		{"no model type", []string{"evaluate", iris, "--data", irisCSV, "--target", "target"}, "--model-type is required"},
		{"bad model type", []string{"evaluate", iris, "--data", irisCSV, "--target", "target", "--model-type", "ranker"}, "classifier or regressor"},
		{"missing target column", []string{"evaluate", iris, "--data", irisCSV, "--target", "species", "--model-type", "classifier"}, `has no column "species"`},
		{"empty data", []string{"evaluate", iris, "--data", write("empty.csv", header), "--target", "target", "--model-type", "classifier"}, "no data rows"},
		{"non-numeric regressor target", []string{"evaluate", iris, "--data", write("text.csv", header+"5.1,3.5,1.4,0.2,setosa\n"), "--target", "target", "--model-type", "regressor"}, "do not fit a regressor"},
		{"regressor with a text target", []string{"evaluate", diabetes, "--data", write("d.csv", "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,target\n0,0,0,0,0,0,0,0,0,0,high\n"), "--target", "target", "--model-type", "regressor"}, `"high" is not a number`},
		{"regressor as classifier", []string{"evaluate", diabetes, "--data", "../../testdata/data/diabetes.csv", "--target", "target", "--model-type", "classifier"}, "do not fit a classifier"},
		{"bad row", []string{"evaluate", iris, "--data", write("bad.csv", header+"5.1,x,1.4,0.2,0\n"), "--target", "target", "--model-type", "classifier"}, "rows 1 to 1"},
		{"change without baseline", []string{"evaluate", iris, "--data", irisCSV, "--target", "target", "--model-type", "classifier", "--min-relative-change", "f1_score=0.1"}, "give --baseline"},
		{"bad requirement", []string{"evaluate", iris, "--data", irisCSV, "--target", "target", "--model-type", "classifier", "--require", "accuracy_score>0.9"}, "inclusive"},
		{"run id without registry", []string{"evaluate", iris, "--data", irisCSV, "--target", "target", "--model-type", "classifier", "--run-id", "abc"}, "--run-id needs --registry-uri"},
		{"promote without checks", []string{"promote", "models:/iris/1", "--alias", "champion", "--data", irisCSV, "--target", "target", "--model-type", "classifier"}, "at least one check"},
		{"promote a directory", []string{"promote", iris, "--alias", "champion", "--data", irisCSV, "--target", "target", "--model-type", "classifier", "--require", "accuracy_score>=0.9"}, "must be a registered version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runDriftCmd(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestEvaluateThresholdsAndLogging evaluates iris_logreg against the tree
// as baseline with checks that pass and checks that fail, logs to a real
// tracking server, and saves the evaluation data as the drift reference.
func TestEvaluateThresholdsAndLogging(t *testing.T) {
	ortest.Init(t)
	ts := servertest.New(t)
	ref := filepath.Join(t.TempDir(), "ref.json")
	base := []string{"evaluate", "../../testdata/models/iris_logreg", "--data", "../../testdata/data/iris.csv", "--target", "target",
		"--model-type", "classifier", "--baseline", "../../testdata/models/iris_tree"}
	out, err := runDriftCmd(t, append(base, "--require", "accuracy_score>=0.95", "--min-absolute-change", "accuracy_score=0.01",
		"--registry-uri", ts.URL, "--save-reference", ref)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"METRIC", "CANDIDATE", "BASELINE", "accuracy_score   0.973333   0.96", "validation passed: 1 threshold(s)", "logged to run "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	p, err := os.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := drift.ReadProfile(p)
	p.Close()
	if err != nil || len(prof.Features) != 4 || len(prof.Outputs) != 4 {
		t.Errorf("saved reference: %v, %+v", err, prof)
	}

	// The run on the tracking server: metrics, params, tags, artifacts.
	c := &mlflowrest.Client{BaseURL: ts.URL}
	var runs mlflowrest.SearchRunsResponse
	var exp mlflowrest.GetExperimentResponse
	if err := c.Get(t.Context(), "experiments/get-by-name", url.Values{"experiment_name": {"berth-evaluation"}}, &exp); err != nil {
		t.Fatal(err)
	}
	if err := c.Post(t.Context(), "runs/search", mlflowrest.SearchRunsRequest{ExperimentIDs: []string{exp.Experiment.ExperimentID}}, &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs.Runs) != 1 {
		t.Fatalf("%d runs", len(runs.Runs))
	}
	run := runs.Runs[0]
	metrics := map[string]float64{}
	for _, m := range run.Data.Metrics {
		metrics[m.Key] = float64(m.Value)
	}
	tags := map[string]string{}
	for _, tg := range run.Data.Tags {
		tags[tg.Key] = tg.Value
	}
	if math.Abs(metrics["accuracy_score"]-0.9733333333333334) > 1e-12 || tags["berth.evaluation.validation"] != "passed" || run.Info.Status != "FINISHED" {
		t.Errorf("run: metrics %v tags %v status %s", metrics, tags, run.Info.Status)
	}
	files, err := c.ListArtifacts(t.Context(), strings.TrimPrefix(run.Info.ArtifactURI, "mlflow-artifacts:/"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f.Path))
	}
	for _, want := range []string{"confusion_matrix.png", "roc_curve_plot.png", "precision_recall_curve_plot.png", "per_class_metrics.csv"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("run artifacts %v lack %s", names, want)
		}
	}

	// --run-id logs into that run instead of a new one.
	if out, err := runDriftCmd(t, "evaluate", "../../testdata/models/iris_tree", "--data", "../../testdata/data/iris.csv", "--target", "target",
		"--model-type", "classifier", "--registry-uri", ts.URL, "--run-id", run.Info.RunID); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var hist mlflowrest.GetMetricHistoryResponse
	if err := c.Get(t.Context(), "metrics/get-history", url.Values{"run_id": {run.Info.RunID}, "metric_key": {"accuracy_score"}}, &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist.Metrics) != 2 {
		t.Errorf("accuracy_score history of the run: %d values, want 2", len(hist.Metrics))
	}
	if err := c.Post(t.Context(), "runs/search", mlflowrest.SearchRunsRequest{ExperimentIDs: []string{exp.Experiment.ExperimentID}}, &runs); err != nil || len(runs.Runs) != 1 {
		t.Errorf("after --run-id: %d runs (%v), want still 1", len(runs.Runs), err)
	}

	// Checks that fail: all reported, exit error.
	out, err = runDriftCmd(t, append(base, "--require", "accuracy_score>=0.99", "--require", "log_loss<=0.01",
		"--min-relative-change", "f1_score=0.5")...)
	if !errors.Is(err, errValidation) {
		t.Fatalf("err = %v, want a validation failure\n%s", err, out)
	}
	for _, want := range []string{"validation failed:", "Metric accuracy_score value threshold check failed", "Metric log_loss value threshold check failed",
		"Metric f1_score minimum relative change check failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

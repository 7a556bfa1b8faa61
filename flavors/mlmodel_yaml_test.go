package flavors_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/flavors"
)

// conformanceModels holds the model directories MLflow 2.17.2 wrote,
// committed with the repository (testdata/conformance/README.md).
const conformanceModels = "../testdata/conformance/models"

// conformanceMLmodels returns the MLmodel files written by MLflow 2.17.2,
// keyed by directory name.
func conformanceMLmodels(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(conformanceModels, "*", "MLmodel"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no MLmodel files in %s: the conformance models are committed there (git checkout -- testdata/conformance)", conformanceModels)
	}
	files := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(filepath.Dir(p))] = data
	}
	return files
}

// TestMarshalRoundTripsMLflowFiles reads each MLmodel MLflow wrote,
// writes it, and reads it again: the same MLmodel, and writing that gives
// the same bytes.
func TestMarshalRoundTripsMLflowFiles(t *testing.T) {
	for name, data := range conformanceMLmodels(t) {
		t.Run(name, func(t *testing.T) {
			m, err := flavors.ParseMLmodel(data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			again, err := flavors.ParseMLmodel(out)
			if err != nil {
				t.Fatalf("parsing Marshal's output: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(again, m) {
				t.Errorf("parse(marshal(m)) = %+v, want %+v\nYAML:\n%s", again, m, out)
			}
			if out2, err := again.Marshal(); err != nil || string(out2) != string(out) {
				t.Errorf("Marshal is not stable (%v):\n%s\n---\n%s", err, out, out2)
			}
		})
	}
}

func TestParseMLmodelReadsTypedFields(t *testing.T) {
	m, err := flavors.ReadMLmodelFile(filepath.Join(conformanceModels, "b_logreg_colspec", "MLmodel"))
	if err != nil {
		t.Fatal(err)
	}
	size := int64(1064)
	want := &flavors.MLmodel{
		Flavors: map[string]map[string]any{
			"onnx": {"code": nil, "data": "model.onnx", "onnx_session_options": nil, "onnx_version": "1.12.0",
				"providers": []any{"CUDAExecutionProvider", "CPUExecutionProvider"}},
			"python_function": {"data": "model.onnx", "env": map[string]any{"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
				"loader_module": "mlflow.onnx", "python_version": "3.11.2"},
		},
		ModelUUID:      "1b63fb62a2e8484b85ec0e8cbd393850",
		UTCTimeCreated: "2026-11-28 04:21:00.940511",
		MLflowVersion:  "2.17.2",
		Signature: &flavors.Signature{
			Inputs: &flavors.Schema{Columns: []flavors.ColSpec{
				{Name: "sepal_length", Type: flavors.ColFloat, Required: true, Raw: []byte(`{"type": "float", "name": "sepal_length", "required": true}`)},
				{Name: "sepal_width", Type: flavors.ColFloat, Required: true, Raw: []byte(`{"type": "float", "name": "sepal_width", "required": true}`)},
				{Name: "petal_length", Type: flavors.ColFloat, Required: true, Raw: []byte(`{"type": "float", "name": "petal_length", "required": true}`)},
				{Name: "petal_width", Type: flavors.ColFloat, Required: true, Raw: []byte(`{"type": "float", "name": "petal_width", "required": true}`)},
			}},
			Outputs: &flavors.Schema{Tensors: []flavors.TensorSpec{
				{Name: "label", DType: flavors.Int64, Shape: []int64{-1}},
				{Name: "probabilities", DType: flavors.Float32, Shape: []int64{-1, 3}},
			}},
		},
		SavedInputExampleInfo: &flavors.InputExampleInfo{
			ArtifactPath: "input_example.json", ServingInputPath: "serving_input_example.json",
			Type: "dataframe", PandasOrient: "split",
		},
		ModelSizeBytes: &size,
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got  %#v\nwant %#v", m, want)
	}
}

func TestUnknownKeysSurviveRoundTrip(t *testing.T) {
	// Laid out as PyYAML lays it out.
	in := `artifact_path: model
databricks_runtime: 15.4.x-cpu-ml-scala2.12
flavors:
  custom:
    nested:
      deep:
      - 1
      - 2.5
      - null
      - true
    weights: []
metadata:
  owner: team-a
resources:
  api_version: '1'
  databricks:
    serving_endpoint:
    - name: embeddings
saved_input_example_info:
  artifact_path: input_example.json
  format: tf-serving
  future_key:
    x: 1
  type: ndarray
signature:
  inputs: '[{"type": "array", "items": {"type": "double"}, "name": "xs", "required":
    false}]'
  outputs: null
  params: '[{"name": "temperature", "type": "float", "default": 0.5, "shape": null},
    {"name": "ids", "type": "long", "default": [1, 2], "shape": [-1]}]'
  source: future
unknown_top: value
`
	m, err := flavors.ParseMLmodel([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Extra["unknown_top"]; got != "value" {
		t.Errorf("Extra[unknown_top] = %v", got)
	}
	if got := m.SavedInputExampleInfo.Extra["future_key"]; !reflect.DeepEqual(got, map[string]any{"x": 1}) {
		t.Errorf("SavedInputExampleInfo.Extra[future_key] = %#v", got)
	}
	if got := m.Signature.Extra["source"]; got != "future" {
		t.Errorf("Signature.Extra[source] = %v", got)
	}
	col := m.Signature.Inputs.Columns[0]
	if col.Type != "array" || col.Required || col.Name != "xs" {
		t.Errorf("composite column = %+v", col)
	}
	wantParams := []flavors.ParamSpec{
		{Name: "temperature", Type: "float", Default: 0.5},
		{Name: "ids", Type: "long", Default: []any{int64(1), int64(2)}, Shape: []int64{-1}},
	}
	if !reflect.DeepEqual(m.Signature.Params, wantParams) {
		t.Errorf("Params = %#v, want %#v", m.Signature.Params, wantParams)
	}
	out, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := flavors.ParseMLmodel(out)
	if err != nil {
		t.Fatalf("parsing Marshal's output: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(again, m) {
		t.Errorf("round trip changed the model.\ngot:\n%#v\nwant:\n%#v\nYAML:\n%s", again, m, out)
	}
}

func TestMarshalNewModel(t *testing.T) {
	m := &flavors.MLmodel{
		Flavors: map[string]map[string]any{"onnx": {"data": "model.onnx", "providers": []string{"CPUExecutionProvider"}}},
		Signature: &flavors.Signature{
			Inputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{Name: "text", DType: flavors.String, Shape: []int64{-1}}}},
		},
		// Floats as PyYAML writes them, so that MLflow reads floats back.
		Metadata: map[string]any{"scale": 2.0, "tiny": 1e-7, "unknown": math.NaN()},
	}
	out, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `flavors:
  onnx:
    data: model.onnx
    providers:
      - CPUExecutionProvider
metadata:
  scale: 2.0
  tiny: 1.0e-07
  unknown: .nan
signature:
  inputs: '[{"name": "text", "type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1]}}]'
  outputs: null
  params: null
`
	if string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestWriteFileThenRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "MLmodel")
	m := &flavors.MLmodel{MLflowVersion: "2.17.2", Flavors: map[string]map[string]any{"onnx": {"data": "model.onnx"}}}
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := flavors.ReadMLmodelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("read back %+v, want %+v", got, m)
	}
}

func TestReadMLmodelFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "MLmodel")
	_, err := flavors.ReadMLmodelFile(path)
	if !errors.Is(err, flavors.ErrNoMLmodel) {
		t.Fatalf("err = %v, want ErrNoMLmodel", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}

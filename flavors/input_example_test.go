package flavors_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/flavors"
)

func TestInputExamplesOfConformanceModels(t *testing.T) {
	for name := range conformanceMLmodels(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(conformanceModels, name)
			m, err := flavors.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			wantExample, err := os.ReadFile(filepath.Join(dir, "input_example.json"))
			if errors.Is(err, os.ErrNotExist) {
				if _, err := m.InputExample(); !errors.Is(err, flavors.ErrNoInputExample) {
					t.Errorf("InputExample err = %v, want ErrNoInputExample", err)
				}
				if _, err := m.ServingInputExample(); !errors.Is(err, flavors.ErrNoInputExample) {
					t.Errorf("ServingInputExample err = %v, want ErrNoInputExample", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantServing, err := os.ReadFile(filepath.Join(dir, "serving_input_example.json"))
			if err != nil {
				t.Fatal(err)
			}
			example, err := m.InputExample()
			if err != nil {
				t.Fatal(err)
			}
			if string(example) != string(wantExample) {
				t.Errorf("InputExample = %s, want %s", example, wantExample)
			}
			serving, err := m.ServingInputExample()
			if err != nil {
				t.Fatal(err)
			}
			if string(serving) != string(wantServing) {
				t.Errorf("ServingInputExample = %s, want %s", serving, wantServing)
			}

			// Without serving_input_example.json, the body built from the
			// input example is the one MLflow wrote.
			tmp := t.TempDir()
			if err := os.WriteFile(filepath.Join(tmp, "input_example.json"), wantExample, 0o644); err != nil {
				t.Fatal(err)
			}
			info := *m.MLmodel.SavedInputExampleInfo
			info.ServingInputPath = ""
			built := &flavors.Model{Dir: tmp, MLmodel: &flavors.MLmodel{SavedInputExampleInfo: &info}}
			serving, err = built.ServingInputExample()
			if err != nil {
				t.Fatal(err)
			}
			if string(serving) != string(wantServing) {
				t.Errorf("built ServingInputExample =\n%s\nwant MLflow's\n%s", serving, wantServing)
			}
		})
	}
}

func TestServingInputExampleBuilds(t *testing.T) {
	tests := []struct {
		name    string
		info    flavors.InputExampleInfo
		example string // input_example.json; "" for none
		want    string // the body, or part of the error
		wantErr bool
	}{
		{name: "ndarray list", info: flavors.InputExampleInfo{Type: "ndarray"}, example: "[[1, 2]]\n",
			want: "{\n  \"inputs\": [\n    [\n      1,\n      2\n    ]\n  ]\n}"},
		{name: "dict of arrays", info: flavors.InputExampleInfo{Type: "ndarray", Format: "tf-serving"}, example: `{"a": [1], "b": ["x"]}`,
			want: "{\n  \"inputs\": {\n    \"a\": [\n      1\n    ],\n    \"b\": [\n      \"x\"\n    ]\n  }\n}"},
		{name: "dataframe records", info: flavors.InputExampleInfo{Type: "dataframe", PandasOrient: "records"}, example: `[{"a": 1}]`,
			want: "{\n  \"dataframe_records\": [\n    {\n      \"a\": 1\n    }\n  ]\n}"},
		{name: "json object", info: flavors.InputExampleInfo{Type: "json_object"}, example: `{"messages": []}`,
			want: "{\n  \"messages\": []\n}"},
		{name: "json list", info: flavors.InputExampleInfo{Type: "json_object"}, example: `["a"]`,
			want: "{\n  \"inputs\": [\n    \"a\"\n  ]\n}"},
		{name: "unknown type", info: flavors.InputExampleInfo{Type: "sparse_matrix_csc"}, example: `{}`,
			want: "saved_input_example_info.type", wantErr: true},
		{name: "unknown orient", info: flavors.InputExampleInfo{Type: "dataframe", PandasOrient: "index"}, example: `{}`,
			want: "saved_input_example_info.pandas_orient", wantErr: true},
		{name: "not JSON", info: flavors.InputExampleInfo{Type: "ndarray"}, example: `[1,`,
			want: "not valid JSON", wantErr: true},
		{name: "missing file", info: flavors.InputExampleInfo{Type: "ndarray"},
			want: "no such file", wantErr: true},
		{name: "path outside the model", info: flavors.InputExampleInfo{Type: "ndarray", ArtifactPath: "../input_example.json"},
			example: `[1]`, want: "leaves the model directory", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.example != "" {
				if err := os.WriteFile(filepath.Join(dir, "input_example.json"), []byte(tt.example), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			info := tt.info
			if info.ArtifactPath == "" {
				info.ArtifactPath = "input_example.json"
			}
			m := &flavors.Model{Dir: dir, MLmodel: &flavors.MLmodel{SavedInputExampleInfo: &info}}
			got, err := m.ServingInputExample()
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestNoInputExample(t *testing.T) {
	for _, m := range []*flavors.Model{
		{Dir: "x", MLmodel: &flavors.MLmodel{}},
		{Dir: "x"},
		{Dir: "x", MLmodel: &flavors.MLmodel{SavedInputExampleInfo: &flavors.InputExampleInfo{Type: "ndarray"}}},
	} {
		if _, err := m.InputExample(); !errors.Is(err, flavors.ErrNoInputExample) {
			t.Errorf("InputExample err = %v, want ErrNoInputExample", err)
		}
		if _, err := m.ServingInputExample(); !errors.Is(err, flavors.ErrNoInputExample) {
			t.Errorf("ServingInputExample err = %v, want ErrNoInputExample", err)
		}
	}
}

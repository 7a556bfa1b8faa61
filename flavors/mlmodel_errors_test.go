package flavors_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/berthml/berth/flavors"
)

func TestParseMLmodelRejectsMalformedFiles(t *testing.T) {
	const tensorIn = "signature:\n  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 4]}}]'\n"
	tests := []struct {
		name      string
		in        string
		wantField string // FieldError.Field
		wantMsg   string // part of the message
	}{
		{"empty file", "", "", "empty"},
		{"only a comment", "# nothing\n", "", "empty"},
		{"not YAML", "flavors: [unclosed\n", "", "invalid YAML"},
		{"tab indentation", "flavors:\n\tonnx: {}\n", "", "invalid YAML"},
		{"list at top level", "- flavors\n- onnx\n", "", "want a mapping"},
		{"scalar at top level", "just text\n", "", "want a mapping"},
		{"null document", "null\n", "", "want a mapping"},
		{"flavors not a mapping", "flavors: [onnx]\n", "flavors", "want a mapping"},
		{"flavor config not a mapping", "flavors:\n  onnx: model.onnx\n", "flavors.onnx", "want a mapping"},
		{"duplicate top-level key", "run_id: a\nrun_id: b\n", "", `"run_id" appears twice`},
		{"duplicate flavor key", "flavors:\n  onnx:\n    data: a\n    data: b\n", "flavors.onnx", `"data" appears twice`},
		{"non-scalar key", "flavors:\n  ? [a, b]\n  : {}\n", "flavors", "not a plain string"},
		{"model_size_bytes not a number", "model_size_bytes: abc\n", "model_size_bytes", `"abc", want a whole number`},
		{"model_size_bytes a float", "model_size_bytes: 1.5\n", "model_size_bytes", "want a whole number"},
		{"model_size_bytes negative", "model_size_bytes: -3\n", "model_size_bytes", "want a size ≥ 0"},
		{"model_size_bytes too big", "model_size_bytes: 99999999999999999999\n", "model_size_bytes", "want a whole number"},
		{"run_id a mapping", "run_id: {a: 1}\n", "run_id", "want a string"},
		{"mlflow_version a list", "mlflow_version: [2, 17]\n", "mlflow_version", "want a string"},
		{"metadata a string", "metadata: hello\n", "metadata", "want a mapping"},
		{"signature a list", "signature: [a]\n", "signature", "want a mapping"},
		{"signature inputs a YAML list", "signature:\n  inputs: [a]\n", "signature.inputs", "want a JSON string"},
		{"signature inputs a number", "signature:\n  inputs: 5\n", "signature.inputs", "want a JSON string"},
		{"bad signature JSON", "signature:\n  inputs: '[{\"type\": '\n", "signature.inputs", "invalid schema JSON"},
		{"trailing JSON", "signature:\n  inputs: '[] []'\n", "signature.inputs", "invalid schema JSON"},
		{"schema an object", "signature:\n  outputs: '{\"type\": \"double\"}'\n", "signature.outputs", "want a list"},
		{"empty schema", "signature:\n  inputs: '[]'\n", "signature.inputs", "empty"},
		{"spec not an object", "signature:\n  inputs: '[1]'\n", "signature.inputs[0]", "want an object"},
		{"spec without type", "signature:\n  inputs: '[{\"name\": \"x\"}]'\n", "signature.inputs[0].type", "missing"},
		{"column name a number", "signature:\n  inputs: '[{\"type\": \"double\", \"name\": 3}]'\n", "signature.inputs[0].name", "want a string"},
		{"required not a bool", "signature:\n  inputs: '[{\"type\": \"double\", \"required\": \"yes\"}]'\n", "signature.inputs[0].required", "want true or false"},
		{"bad dtype", strings.Replace(tensorIn, "float32", "float128", 1), "signature.inputs[0].tensor-spec.dtype", `unknown numpy dtype "float128"`},
		{"bad shape", strings.Replace(tensorIn, "[-1, 4]", "[-1, -2]", 1), "signature.inputs[0].tensor-spec.shape[1]", "dimension -2"},
		{"fractional shape", strings.Replace(tensorIn, "[-1, 4]", "[4.5]", 1), "signature.inputs[0].tensor-spec.shape[0]", "want an integer"},
		{"shape a string", strings.Replace(tensorIn, "[-1, 4]", "\"4\"", 1), "signature.inputs[0].tensor-spec.shape", "want a list"},
		{"shape missing", strings.Replace(tensorIn, ", \"shape\": [-1, 4]", "", 1), "signature.inputs[0].tensor-spec.shape", "missing"},
		{"tensor-spec missing", "signature:\n  inputs: '[{\"type\": \"tensor\"}]'\n", "signature.inputs[0].tensor-spec", "want an object"},
		{"mixed schema", "signature:\n  inputs: '[{\"type\": \"double\"}, {\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"int64\", \"shape\": [-1]}}]'\n",
			"signature.inputs[1]", "mixes column and tensor specs"},
		{"params not a list", "signature:\n  params: '{}'\n", "signature.params", "want a list"},
		{"param without name", "signature:\n  params: '[{\"type\": \"float\", \"default\": 1}]'\n", "signature.params[0].name", "missing"},
		{"huge JSON number", "signature:\n  params: '[{\"name\": \"a\", \"type\": \"double\", \"default\": 1e999}]'\n", "signature.params", "out of range"},
		{"example info a list", "saved_input_example_info: [a]\n", "saved_input_example_info", "want a mapping"},
		{"example path a mapping", "saved_input_example_info:\n  artifact_path: {a: 1}\n", "saved_input_example_info.artifact_path", "want a string"},
		{"unknown alias", "run_id: *nowhere\n", "", "invalid YAML"},
		{"alias cycle", "extra: &a [*a]\n", "extra[0][0]", "contains itself"},
		{"alias bomb", aliasBomb(), "l4[9][6][1][9][4]", "aliases expand to more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := flavors.ParseMLmodel([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseMLmodel succeeded with %+v, want an error", m)
			}
			var fe *flavors.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want a *FieldError", err, err)
			}
			if fe.Field != tt.wantField {
				t.Errorf("Field = %q, want %q (err: %v)", fe.Field, tt.wantField, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

// aliasBomb is a "billion laughs" YAML document: ten levels of ten aliases.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		prev := "*l" + string(rune('0'+i-1))
		b.WriteString("l" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [")
		b.WriteString(strings.TrimSuffix(strings.Repeat(prev+", ", 10), ", "))
		b.WriteString("]\n")
	}
	return b.String()
}

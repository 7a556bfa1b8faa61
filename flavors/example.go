package flavors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// ErrNoInputExample is returned by [Model.InputExample] and
// [Model.ServingInputExample] when the MLmodel file records no input
// example (no saved_input_example_info, or one without artifact_path).
var ErrNoInputExample = errors.New("model has no input example")

// InputExample returns the model's input example as MLflow saved it: the
// JSON text of the file named by saved_input_example_info.artifact_path.
// For an ndarray example that is a bare nested list (or an object of
// name → list for a dict of arrays); for a DataFrame it is pandas' split
// orient, {"columns": [...], "data": [[...]]}. A model without an example
// gives an error wrapping [ErrNoInputExample].
func (m *Model) InputExample() (json.RawMessage, error) {
	info := m.inputExampleInfo()
	if info == nil || info.ArtifactPath == "" {
		return nil, fmt.Errorf("reading input example of %s: %w", m.Dir, ErrNoInputExample)
	}
	return m.readJSONFile(info.ArtifactPath, "saved_input_example_info.artifact_path")
}

// ServingInputExample returns a request body for the model's /invocations
// endpoint built from its input example: the file named by
// saved_input_example_info.serving_input_path when the MLmodel names one,
// else the input example wrapped as MLflow does, pretty-printed with a
// 2-space indent:
//
//   - ndarray (a list, or an object of name → list): {"inputs": example}
//   - dataframe in split orient: {"dataframe_split": example}
//   - dataframe in records orient: {"dataframe_records": example}
//   - json_object: the example itself when it is a JSON object, else
//     {"inputs": example}
//
// Other example types give an error. A model without an example gives an
// error wrapping [ErrNoInputExample].
func (m *Model) ServingInputExample() ([]byte, error) {
	info := m.inputExampleInfo()
	if info == nil || (info.ServingInputPath == "" && info.ArtifactPath == "") {
		return nil, fmt.Errorf("reading serving input example of %s: %w", m.Dir, ErrNoInputExample)
	}
	if info.ServingInputPath != "" {
		return m.readJSONFile(info.ServingInputPath, "saved_input_example_info.serving_input_path")
	}
	example, err := m.InputExample()
	if err != nil {
		return nil, err
	}
	body, err := servingBody(info, example)
	if err != nil {
		return nil, fmt.Errorf("building serving input example of %s: %w", m.Dir, err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		return nil, fmt.Errorf("building serving input example of %s: %w", m.Dir, err)
	}
	return buf.Bytes(), nil
}

// servingBody wraps an input example in the scoring protocol's envelope
// for its type.
func servingBody(info *InputExampleInfo, example json.RawMessage) ([]byte, error) {
	example = bytes.TrimSpace(example)
	var key string
	switch info.Type {
	case "ndarray":
		key = "inputs"
	case "dataframe":
		switch info.PandasOrient {
		case "", "split":
			key = "dataframe_split"
		case "records":
			key = "dataframe_records"
		default:
			return nil, &FieldError{
				Field: "saved_input_example_info.pandas_orient",
				Msg:   fmt.Sprintf("%q is not split or records", info.PandasOrient),
			}
		}
	case "json_object":
		if len(example) > 0 && example[0] == '{' {
			return example, nil
		}
		key = "inputs"
	default:
		return nil, &FieldError{
			Field: "saved_input_example_info.type",
			Msg:   fmt.Sprintf("no request body can be built from an input example of type %q", info.Type),
		}
	}
	body := make([]byte, 0, len(example)+len(key)+8)
	body = append(body, `{"`...)
	body = append(body, key...)
	body = append(body, `": `...)
	body = append(body, example...)
	return append(body, '}'), nil
}

func (m *Model) inputExampleInfo() *InputExampleInfo {
	if m.MLmodel == nil {
		return nil
	}
	return m.MLmodel.SavedInputExampleInfo
}

// readJSONFile reads the model file rel, named by the MLmodel field, and
// checks that it holds JSON.
func (m *Model) readJSONFile(rel, field string) ([]byte, error) {
	path, err := m.Path(rel)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", field, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", field, err)
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("reading %s: %s is not valid JSON", field, path)
	}
	return data, nil
}

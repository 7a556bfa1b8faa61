package prompt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"
)

// Param is a key and a string value, in the order given.
type Param struct {
	Key   string
	Value string
}

// The promptlab model directory's files, as MLflow 2.17.2 names them.
const (
	MLmodelFile        = "MLmodel"
	ParametersFile     = "parameters.yaml"
	CondaFile          = "conda.yaml"
	PythonEnvFile      = "python_env.yaml"
	RequirementsFile   = "requirements.txt"
	InputExampleFile   = "input_example.json"
	ServingExampleFile = "serving_input_example.json"
	// LoaderModule is the python_function loader of a promptlab model.
	LoaderModule = "mlflow.promptlab"
	// EvalTableFile is the run artifact holding the prompt lab's table.
	EvalTableFile = "eval_results_table.json"
	// ModelArtifactPath is where a prompt lab run keeps its model.
	ModelArtifactPath = "model"
)

// PythonVersion is the python_version berth writes where MLflow writes the
// tracking server's own Python version (it varies between servers; berth
// has no Python, so it names the one MLflow 2.17.2's recordings used).
const PythonVersion = "3.11.2"

// buildDependencies are python_env.yaml's pins, as recorded.
var buildDependencies = []any{"pip==23.0.1", "setuptools==66.1.1", "wheel==0.38.4"}

// Model is a promptlab model: what MLflow's prompt engineering UI saves
// with each run.
type Model struct {
	Template         string
	PromptParameters []Param // the template's inputs and their example values, in order
	ModelParameters  []Param // the endpoint's parameters (temperature, ...), values as Python's str()
	Route            string  // the gateway endpoint
	MLflowVersion    string  // pinned in requirements.txt and conda.yaml
	RunID            string
	ModelUUID        string
	Created          time.Time // utc_time_created
}

// CreatedText is utc_time_created as MLflow writes it.
func (m *Model) CreatedText() string { return m.Created.UTC().Format("2006-01-02 15:04:05.000000") }

// Files returns the model directory's files by name, byte for byte as
// MLflow 2.17.2's create-promptlab-run writes them.
func (m *Model) Files() map[string][]byte {
	keys := make([]string, len(m.PromptParameters))
	values := make([]any, len(m.PromptParameters))
	inputs := make([]any, len(m.PromptParameters))
	for i, p := range m.PromptParameters {
		keys[i] = p.Key
		values[i] = p.Value
		inputs[i] = ordered{{"type", "string"}, {"name", p.Key}, {"required", true}}
	}
	outputs := []any{ordered{{"type", "string"}, {"name", "output"}, {"required", true}}}
	mlmodel := []kv{
		{"artifact_path", ModelArtifactPath},
		{"flavors", []kv{{"python_function", []kv{
			{"env", []kv{{"conda", CondaFile}, {"virtualenv", PythonEnvFile}}},
			{"loader_module", LoaderModule},
			{"parameters_path", ParametersFile},
			{"python_version", PythonVersion},
		}}}},
		{"mlflow_version", m.MLflowVersion},
		{"model_uuid", m.ModelUUID},
		{"run_id", m.RunID},
		{"saved_input_example_info", []kv{
			{"artifact_path", InputExampleFile},
			{"serving_input_path", ServingExampleFile},
			{"type", "json_object"},
		}},
		{"signature", []kv{
			{"inputs", pyJSON(inputs, -1)},
			{"outputs", pyJSON(outputs, -1)},
			{"params", nil},
		}},
		{"utc_time_created", m.CreatedText()},
	}
	req := "mlflow[gateway]==" + m.MLflowVersion
	conda := []kv{
		{"channels", []any{"conda-forge"}},
		{"dependencies", []any{"python=" + PythonVersion, "pip<=23.0.1", []kv{{"pip", []any{req}}}}},
		{"name", "mlflow-env"},
	}
	pyenv := []kv{
		{"python", PythonVersion},
		{"build_dependencies", buildDependencies},
		{"dependencies", []any{"-r " + RequirementsFile}},
	}
	return map[string][]byte{
		MLmodelFile:        []byte(dumpYAML(mlmodel)),
		ParametersFile:     []byte(m.parametersYAML()),
		CondaFile:          []byte(dumpYAML(conda)),
		PythonEnvFile:      []byte(dumpYAML(pyenv)),
		RequirementsFile:   []byte(req),
		InputExampleFile:   []byte(pyJSON(ordered{{"inputs", values}}, -1)),
		ServingExampleFile: []byte(pyJSON(ordered{{"inputs", ordered{{"inputs", values}}}}, 2)),
	}
}

// sortedMap is a mapping of params with its keys sorted, as PyYAML's
// sort_keys writes it; a key given twice keeps its last value, as in the
// Python dict MLflow builds.
func sortedMap(ps []Param) []kv {
	last := map[string]string{}
	for _, p := range ps {
		last[p.Key] = p.Value
	}
	keys := make([]string, 0, len(last))
	for k := range last {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]kv, len(keys))
	for i, k := range keys {
		out[i] = kv{k, last[k]}
	}
	return out
}

func (m *Model) parametersYAML() string {
	return dumpYAML([]kv{
		{"model_parameters", sortedMap(m.ModelParameters)},
		{"model_route", m.Route},
		{"prompt_parameters", sortedMap(m.PromptParameters)},
		{"prompt_template", m.Template},
	})
}

// EvalTable is a prompt lab run's eval_results_table.json: the prompt
// parameters' values, the prompt sent (modelInput), the output (null when
// none) and the output parameters (latency, tokens...), as MLflow writes
// it.
func EvalTable(promptParams []Param, modelInput string, modelOutput *string, outputParams []Param) []byte {
	cols := make([]any, 0, len(promptParams)+2+len(outputParams))
	row := make([]any, 0, cap(cols))
	for _, p := range promptParams {
		cols = append(cols, p.Key)
		row = append(row, p.Value)
	}
	cols = append(cols, "prompt", "output")
	row = append(row, modelInput)
	if modelOutput != nil {
		row = append(row, *modelOutput)
	} else {
		row = append(row, nil)
	}
	for _, p := range outputParams {
		cols = append(cols, p.Key)
		row = append(row, p.Value)
	}
	return []byte(pyJSON(ordered{{"columns", cols}, {"data", []any{row}}}, -1))
}

// LoggedArtifactsTag is the mlflow.loggedArtifacts value of a prompt lab
// run.
const LoggedArtifactsTag = `[{"path": "eval_results_table.json", "type": "table"}]`

// HistoryEntry is the run's mlflow.log-model.history value for m.
func (m *Model) HistoryEntry() string {
	return pyJSON([]any{ordered{
		{"run_id", m.RunID}, {"artifact_path", ModelArtifactPath}, {"utc_time_created", m.CreatedText()},
		{"model_uuid", m.ModelUUID}, {"flavors", ordered{}},
	}}, -1)
}

// Saved is a promptlab model read back from its directory.
type Saved struct {
	Template         *Template
	PromptParameters []string          // the inputs, in the signature's order
	ModelParameters  map[string]string // sent with every request
	Route            string
}

// ErrNotPromptlab is returned by ReadDir for a directory that is not a
// promptlab model.
var ErrNotPromptlab = errors.New("not a promptlab model")

type parametersFile struct {
	ModelParameters  map[string]any `yaml:"model_parameters"`
	ModelRoute       any            `yaml:"model_route"`
	PromptParameters map[string]any `yaml:"prompt_parameters"`
	PromptTemplate   any            `yaml:"prompt_template"`
}

// ReadParameters parses parameters.yaml's text. inputOrder, when given,
// orders the prompt parameters (MLmodel's signature keeps the request's
// order; parameters.yaml sorts them).
func ReadParameters(data []byte, inputOrder []string) (s *Saved, err error) {
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("%w: reading %s: %v", ErrNotPromptlab, ParametersFile, p)
		}
	}()
	var pf parametersFile
	if err := yaml.Unmarshal(data, &pf); err != nil {
		return nil, fmt.Errorf("%w: reading %s: %v", ErrNotPromptlab, ParametersFile, err)
	}
	tmpl, ok := pf.PromptTemplate.(string)
	if !ok {
		return nil, fmt.Errorf("%w: %s has no prompt_template string", ErrNotPromptlab, ParametersFile)
	}
	route, ok := pf.ModelRoute.(string)
	if !ok || route == "" {
		return nil, fmt.Errorf("%w: %s has no model_route string", ErrNotPromptlab, ParametersFile)
	}
	t, err := Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("%s: prompt_template: %w", ParametersFile, err)
	}
	s = &Saved{Template: t, Route: route, ModelParameters: map[string]string{}}
	for k, v := range pf.ModelParameters {
		s.ModelParameters[k] = fmt.Sprint(v)
	}
	seen := map[string]bool{}
	for _, k := range inputOrder {
		if _, ok := pf.PromptParameters[k]; ok && !seen[k] {
			seen[k] = true
			s.PromptParameters = append(s.PromptParameters, k)
		}
	}
	var rest []string
	for k := range pf.PromptParameters {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	s.PromptParameters = append(s.PromptParameters, rest...)
	if err := t.Check(s.PromptParameters); err != nil {
		return nil, fmt.Errorf("%s: %w", ParametersFile, err)
	}
	return s, nil
}

// ReadDir reads the promptlab model in dir (its parameters.yaml).
// inputOrder is as for ReadParameters.
func ReadDir(dir string, inputOrder []string) (*Saved, error) {
	data, err := os.ReadFile(filepath.Join(dir, ParametersFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no %s", ErrNotPromptlab, dir, ParametersFile)
	}
	if err != nil {
		return nil, fmt.Errorf("reading promptlab model: %w", err)
	}
	return ReadParameters(data, inputOrder)
}

package prompt

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const recorded = "../testdata/conformance/mlflow-promptlab"

// recordedRequests are the create-promptlab-run requests of the recorded
// artifact cases, by case.
func recordedRequests(t *testing.T) map[string]map[string]json.RawMessage {
	t.Helper()
	steps := map[string]string{
		"promptlab.create.required_only": "required_only", "promptlab.template_without_vars": "template_without_vars",
		"promptlab.create.full_without_tags": "full_without_tags", "promptlab.create.full_tags_empty_list": "full_tags_empty_list",
	}
	f, err := os.Open(filepath.Join(recorded, "transcript.jsonl"))
	if err != nil {
		t.Fatalf("the MLflow promptlab transcript is committed under testdata/conformance/mlflow-promptlab: %v", err)
	}
	defer f.Close()
	out := map[string]map[string]json.RawMessage{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var e struct {
			Step        string
			RequestBody map[string]json.RawMessage `json:"request_body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if c, ok := steps[e.Step]; ok {
			out[c] = e.RequestBody
		}
	}
	if len(out) != len(steps) {
		t.Fatalf("found %d of the %d recorded cases", len(out), len(steps))
	}
	return out
}

func params(t *testing.T, raw json.RawMessage) []Param {
	if raw == nil {
		return nil
	}
	var items []struct {
		Key   string
		Value json.RawMessage
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		t.Fatal(err)
	}
	out := make([]Param, len(items))
	for i, it := range items {
		v, err := PyStr(it.Value)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = Param{it.Key, v}
	}
	return out
}

func str(t *testing.T, raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	uuidLine    = regexp.MustCompile(`(?m)^model_uuid: ([0-9a-f]{32})$`)
	runLine     = regexp.MustCompile(`(?m)^run_id: ([0-9a-f]{32})$`)
	createdLine = regexp.MustCompile(`(?m)^utc_time_created: '([^']+)'$`)
)

// TestFilesMatchMLflow writes each recorded case's model directory and
// eval table and compares them byte for byte with MLflow 2.17.2's, the
// varying fields (model_uuid, run_id, utc_time_created) taken from the
// recording.
func TestFilesMatchMLflow(t *testing.T) {
	for name, req := range recordedRequests(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(recorded, "artifacts", name)
			mlmodel, err := os.ReadFile(filepath.Join(dir, "model", MLmodelFile))
			if err != nil {
				t.Fatal(err)
			}
			created, err := time.Parse("2006-01-02 15:04:05.000000", createdLine.FindStringSubmatch(string(mlmodel))[1])
			if err != nil {
				t.Fatal(err)
			}
			m := &Model{
				Template: str(t, req["prompt_template"]), PromptParameters: params(t, req["prompt_parameters"]),
				ModelParameters: params(t, req["model_parameters"]), Route: str(t, req["model_route"]),
				MLflowVersion: str(t, req["mlflow_version"]), RunID: runLine.FindStringSubmatch(string(mlmodel))[1],
				ModelUUID: uuidLine.FindStringSubmatch(string(mlmodel))[1], Created: created,
			}
			files := m.Files()
			entries, err := os.ReadDir(filepath.Join(dir, "model"))
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != len(files) {
				t.Errorf("%d files, MLflow wrote %d", len(files), len(entries))
			}
			for _, e := range entries {
				want, err := os.ReadFile(filepath.Join(dir, "model", e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				if got, ok := files[e.Name()]; !ok || string(got) != string(want) {
					t.Errorf("model/%s:\n got %q\nwant %q", e.Name(), got, want)
				}
			}
			var output *string
			if o, ok := req["model_output"]; ok {
				s := str(t, o)
				output = &s
			}
			want, err := os.ReadFile(filepath.Join(dir, EvalTableFile))
			if err != nil {
				t.Fatal(err)
			}
			got := EvalTable(m.PromptParameters, str(t, req["model_input"]), output, params(t, req["model_output_parameters"]))
			if string(got) != string(want) {
				t.Errorf("%s:\n got %s\nwant %s", EvalTableFile, got, want)
			}
			// Read back: the served model sees the request's inputs in order.
			s, err := ReadParameters(files[ParametersFile], []string{"language", "text", "unused"})
			if err != nil {
				t.Fatal(err)
			}
			if s.Route != m.Route || s.Template.String() != m.Template || len(s.ModelParameters) != len(m.ModelParameters) {
				t.Errorf("read back %+v", s)
			}
			if strings.Join(s.PromptParameters, ",") == "" {
				t.Errorf("no prompt parameters read back")
			}
		})
	}
}

func TestReadParametersRejects(t *testing.T) {
	for name, text := range map[string]string{
		"not yaml":       "model_route: [",
		"no template":    "model_route: chat\n",
		"no route":       "prompt_template: hi\n",
		"bad template":   "model_route: chat\nprompt_template: 'hi {{ x'\n",
		"unknown var":    "model_route: chat\nprompt_parameters: {a: b}\nprompt_template: 'hi {{ x }}'\n",
		"template a map": "model_route: chat\nprompt_template: {a: b}\n",
	} {
		if _, err := ReadParameters([]byte(text), nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzReadParameters: parameters.yaml comes from an artifact store and is
// read by berth serve; it never panics.
func FuzzReadParameters(f *testing.F) {
	f.Add([]byte("model_parameters: {}\nmodel_route: chat\nprompt_parameters:\n  a: b\nprompt_template: hi {{ a }}\n"))
	f.Add([]byte("model_route: &a [*a]\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadParameters(data, []string{"a"})
		if err == nil && (s.Template == nil || s.Route == "") {
			t.Fatalf("accepted %q without a template or route", data)
		}
	})
}

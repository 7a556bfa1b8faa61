package judge

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPromptGoldens renders the committed cases and compares them byte for
// byte with testdata/golden: prompts rendered by testdata/gen.py, which
// fills MLflow's template with Python's own str.format the way
// PromptTemplate.partial_fill/format, EvaluationExample.__str__ and
// _format_args_string do (written by hand from MLflow's source; mlflow
// itself could not be installed here).
func TestPromptGoldens(t *testing.T) {
	b, err := os.ReadFile("testdata/golden/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		File, Metric  string
		Input, Output *string
		Context       [][]string
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 8 {
		t.Fatalf("%d cases", len(cases))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.File, func(t *testing.T) {
			m, ok := Lookup(c.Metric)
			if !ok {
				t.Fatalf("no metric %s", c.Metric)
			}
			seen[c.Metric] = true
			var kvs []KV
			for _, kv := range c.Context {
				kvs = append(kvs, KV{kv[0], kv[1]})
			}
			got := m.Prompt(c.Input, c.Output, kvs)
			want, err := os.ReadFile(filepath.Join("testdata/golden", c.File))
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("prompt differs from the golden at byte %d:\n got: %q\nwant: %q", firstDiff(got, string(want)),
					around(got, firstDiff(got, string(want))), around(string(want), firstDiff(got, string(want))))
			}
		})
	}
	for _, n := range Names() {
		if !seen[n] {
			t.Errorf("no golden for %s", n)
		}
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func around(s string, i int) string { return s[max(0, i-40):min(len(s), i+40)] }

// TestPromptShape pins what the goldens show, metric by metric, so that a
// change of the embedded text is seen here too: the five names in MLflow's
// order, which include the input, their grading context columns, and
// MLflow's judge parameters.
func TestPromptShape(t *testing.T) {
	if got := strings.Join(Names(), ","); got != "answer_similarity,faithfulness,answer_correctness,answer_relevance,relevance" {
		t.Fatalf("names: %s", got)
	}
	for _, tt := range []struct {
		name    string
		input   bool
		columns string
	}{
		{"answer_similarity", false, "targets"}, {"faithfulness", false, "context"}, {"answer_correctness", true, "targets"},
		{"answer_relevance", true, ""}, {"relevance", true, "context"},
	} {
		m, _ := Lookup(tt.name)
		if m.IncludeInput != tt.input || strings.Join(m.GradingContextColumns, ",") != tt.columns {
			t.Errorf("%s: include_input %v, columns %v", tt.name, m.IncludeInput, m.GradingContextColumns)
		}
		in, out := "THE-INPUT", "THE-OUTPUT"
		p := m.Prompt(&in, &out, nil)
		if strings.Contains(p, "\nInput:\nTHE-INPUT") != tt.input || !strings.Contains(p, "\n\nOutput:\nTHE-OUTPUT\n\n") {
			t.Errorf("%s: input or output misplaced:\n%s", tt.name, p)
		}
		if strings.Count(p, "called "+tt.name+" based") != 1 || !strings.HasSuffix(p, "Do not add any other fields.\n    ") {
			t.Errorf("%s: prompt:\n%s", tt.name, p)
		}
	}
	if p := DefaultParameters(); p.Temperature != 0 || p.MaxTokens != 200 || p.TopP != 1 {
		t.Errorf("parameters %+v", p)
	}
	if _, ok := Lookup("toxicity"); ok {
		t.Error("toxicity is not a judge metric")
	}
}

// TestNoBracesInFilledText: Go fills the template once, Python's
// partial_fill leaves the filled text to be read by format again. The two
// agree because MLflow's definitions, rubrics and examples hold no brace.
func TestNoBracesInFilledText(t *testing.T) {
	var f promptsFile
	if err := json.Unmarshal(promptsJSON, &f); err != nil {
		t.Fatal(err)
	}
	for _, m := range f.Metrics {
		text := m.Definition + m.GradingPrompt
		for _, e := range m.Examples {
			text += e.Output + e.Justification
			if e.Input != nil {
				text += *e.Input
			}
			for _, kv := range e.GradingContext {
				text += kv[0] + kv[1]
			}
		}
		if strings.ContainsAny(text, "{}") {
			t.Errorf("%s: a brace in the filled text", m.Name)
		}
	}
}

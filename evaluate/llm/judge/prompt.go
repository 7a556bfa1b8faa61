package judge

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Version is the metric version in the keys (answer_similarity/v1/mean).
const Version = "v1"

//go:embed prompts_v1.json
var promptsJSON []byte

// The text of MLflow's v1 metrics, as testdata/gen.py wrote it.
type promptsFile struct {
	Parameters      Parameters `json:"parameters"`
	Template        []string   `json:"template"`
	ExampleTemplate []string   `json:"example_template"`
	Metrics         []struct {
		Name                  string    `json:"name"`
		IncludeInput          bool      `json:"include_input"`
		GradingContextColumns []string  `json:"grading_context_columns"`
		Definition            string    `json:"definition"`
		GradingPrompt         string    `json:"grading_prompt"`
		Examples              []Example `json:"examples"`
	} `json:"metrics"`
}

// Parameters are what is sent with every judge call besides the prompt.
type Parameters struct {
	Temperature float64 `json:"temperature"`
	MaxTokens   int     `json:"max_tokens"`
	TopP        float64 `json:"top_p"`
}

// Example is one of a metric's few-shot examples (MLflow's
// EvaluationExample).
type Example struct {
	Input          *string    `json:"input"`
	Output         string     `json:"output"`
	Score          int        `json:"score"`
	Justification  string     `json:"justification"`
	GradingContext [][]string `json:"grading_context"` // [name, value] pairs, in order; nil: none
}

// Metric is one judge metric: MLflow's make_genai_metric arguments for
// it, with its judge prompt partly filled (name, definition, rubric and
// examples) as EvaluationModel.to_dict does.
type Metric struct {
	Name string
	// GradingContextColumns are the row values shown to the judge besides
	// the input and output: "targets" (the ground truth) or "context".
	GradingContextColumns []string
	// IncludeInput is false for answer_similarity and faithfulness, whose
	// prompts leave the input out.
	IncludeInput bool
	prompt       template
}

// catalog is the metrics and parameters of prompts_v1.json, built on first
// use rather than at every berth start-up.
var catalog = sync.OnceValue(func() (c struct {
	metrics    []*Metric
	parameters Parameters
}) {
	var f promptsFile
	if err := json.Unmarshal(promptsJSON, &f); err != nil {
		panic("judge: prompts_v1.json: " + err.Error())
	}
	c.parameters = f.Parameters
	tmpl := mustTemplate(f.Template)
	exTmpl := mustTemplate(f.ExampleTemplate)
	for _, m := range f.Metrics {
		examples := ""
		if len(m.Examples) > 0 {
			strs := make([]string, len(m.Examples))
			for i, e := range m.Examples {
				strs[i] = exampleString(exTmpl, e, m.IncludeInput)
			}
			examples = "Examples:\n" + strings.Join(strs, "\n")
		}
		c.metrics = append(c.metrics, &Metric{Name: m.Name, GradingContextColumns: m.GradingContextColumns, IncludeInput: m.IncludeInput,
			prompt: tmpl.partial(map[string]string{"name": m.Name, "definition": m.Definition, "grading_prompt": m.GradingPrompt, "examples": examples})})
	}
	return c
})

// DefaultParameters are MLflow's default judge parameters (prompts/v1.py's
// default_parameters): temperature 0.0, max_tokens 200, top_p 1.0.
func DefaultParameters() Parameters { return catalog().parameters }

// Names are the judge metrics' names, in MLflow's order of definition.
func Names() []string {
	metrics := catalog().metrics
	out := make([]string, len(metrics))
	for i, m := range metrics {
		out[i] = m.Name
	}
	return out
}

// Lookup returns the metric called name (MLflow's name: answer_similarity,
// faithfulness, answer_correctness, answer_relevance, relevance).
func Lookup(name string) (*Metric, bool) {
	metrics := catalog().metrics
	i := slices.IndexFunc(metrics, func(m *Metric) bool { return m.Name == name })
	if i < 0 {
		return nil, false
	}
	return metrics[i], true
}

// IsMetric reports whether name is one of the judge metrics.
func IsMetric(name string) bool { _, ok := Lookup(name); return ok }

// GreaterIsBetter reports the direction of a judge metric's keys
// (faithfulness/v1/mean …): higher is better for all five.
func GreaterIsBetter(key string) (greater, known bool) {
	name, rest, _ := strings.Cut(key, "/")
	if !IsMetric(name) || !strings.HasPrefix(rest, Version) {
		return false, false
	}
	return true, true
}

// KV is one grading context value: its column name (targets, context) and
// the row's value.
type KV struct{ Key, Value string }

// Prompt renders the judge prompt of one row as MLflow's eval_fn does: the
// Input part is left out when the metric does not include the input or
// input is nil (None), everything after the instructions when output is
// nil, and the grading context is listed as "key: NAME\nvalue:\nVALUE"
// under "Additional information used by the model:".
func (m *Metric) Prompt(input, output *string, context []KV) string {
	args := ""
	if len(context) > 0 {
		parts := make([]string, len(context))
		for i, kv := range context {
			parts[i] = "key: " + kv.Key + "\nvalue:\n" + kv.Value
		}
		args = "Additional information used by the model:\n" + strings.Join(parts, "\n")
	}
	vals := map[string]*string{"output": output, "grading_context_columns": &args}
	if m.IncludeInput {
		vals["input"] = input
	}
	return m.prompt.format(vals)
}

// exampleString is EvaluationExample.__str__, with the input left out for
// the metrics that do not include it (make_genai_metric's process_example).
func exampleString(t template, e Example, includeInput bool) string {
	vals := map[string]*string{"output": &e.Output, "justification": &e.Justification}
	score := strconv.Itoa(e.Score)
	vals["score"] = &score
	if includeInput {
		vals["input"] = e.Input
	}
	if e.GradingContext != nil {
		parts := make([]string, len(e.GradingContext))
		for i, kv := range e.GradingContext {
			parts[i] = "key: " + kv[0] + "\nvalue:\n" + kv[1]
		}
		s := strings.Join(parts, "\n")
		vals["grading_context"] = &s
	}
	return t.format(vals)
}

// template is MLflow's PromptTemplate: segments joined, a segment kept
// only when every field it names has a value (format), fields filled in
// ahead (partial_fill). Fields are {name}; the texts filled in are never
// read as templates again (MLflow's are free of braces; a test checks).
type template [][]part

type part struct {
	text  string
	field bool // text is a field's name
}

func mustTemplate(segs []string) template {
	t := make(template, len(segs))
	for i, s := range segs {
		for s != "" {
			j := strings.IndexAny(s, "{}")
			if j < 0 {
				t[i] = append(t[i], part{text: s})
				break
			}
			k := strings.IndexByte(s[j:], '}')
			if s[j] != '{' || k < 0 || strings.ContainsAny(s[j+1:j+k], "{}") || k == 1 {
				panic(fmt.Sprintf("judge: template segment %d: a brace that is not a {field}", i))
			}
			if j > 0 {
				t[i] = append(t[i], part{text: s[:j]})
			}
			t[i] = append(t[i], part{text: s[j+1 : j+k], field: true})
			s = s[j+k+1:]
		}
	}
	return t
}

func (t template) partial(vals map[string]string) template {
	out := make(template, len(t))
	for i, seg := range t {
		for _, p := range seg {
			if v, ok := vals[p.text]; ok && p.field {
				p = part{text: v}
			}
			out[i] = append(out[i], p)
		}
	}
	return out
}

func (t template) format(vals map[string]*string) string {
	var b strings.Builder
segments:
	for _, seg := range t {
		for _, p := range seg {
			if p.field && vals[p.text] == nil {
				continue segments
			}
		}
		for _, p := range seg {
			if p.field {
				b.WriteString(*vals[p.text])
			} else {
				b.WriteString(p.text)
			}
		}
	}
	return b.String()
}

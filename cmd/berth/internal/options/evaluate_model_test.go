//go:build !servingonly

package options

import (
	"strings"
	"testing"
)

func TestServedModelEvaluation(t *testing.T) {
	qa := EvalData{Data: "q.jsonl", Target: "answer", ModelType: "question-answering"}
	llm := LLMEval{Concurrency: 4}
	for _, tt := range []struct {
		name  string
		model string
		o     ServedModel
		d     EvalData
		l     LLMEval
		err   string
	}{
		{"url", "", ServedModel{URL: "http://127.0.0.1:8080/invocations", Batch: 16}, qa, llm, ""},
		{"model", "prompts:/qa/1", ServedModel{Batch: 1}, qa, llm, ""},
		{"no data", "", ServedModel{URL: "http://x/invocations", Batch: 16}, EvalData{ModelType: "text"}, llm, "--data is required"},
		{"retriever", "", ServedModel{URL: "http://x/invocations", Batch: 16}, EvalData{Data: "d", ModelType: "retriever"}, llm, "retriever"},
		{"both", "prompts:/qa/1", ServedModel{URL: "http://x/invocations", Batch: 16}, qa, llm, "either MODEL or --model-url"},
		{"with predictions", "", ServedModel{URL: "http://x/invocations", Batch: 16}, qa, LLMEval{Concurrency: 1, Predictions: "p"}, "give no --predictions"},
		{"with a template", "m", ServedModel{Batch: 16}, qa, LLMEval{Concurrency: 1, Template: "{{ q }}"}, "give no --predictions"},
		{"bad url", "", ServedModel{URL: "ftp://x/invocations", Batch: 16}, qa, llm, "--model-url"},
		{"no host", "", ServedModel{URL: "http:///invocations", Batch: 16}, qa, llm, "--model-url"},
		{"batch 0", "", ServedModel{URL: "http://x/invocations", Batch: 0}, qa, llm, "--batch-size"},
		{"concurrency 0", "", ServedModel{URL: "http://x/invocations", Batch: 4}, qa, LLMEval{}, "--concurrency"},
	} {
		e, err := tt.o.Evaluation(tt.model, tt.d, tt.l)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || e.Data != tt.d.Data || e.Target != tt.d.Target || string(e.ModelType) != tt.d.ModelType || e.Batch != tt.o.Batch {
			t.Errorf("%s: %+v, %v", tt.name, e, err)
		}
	}
}

func TestEvalDataLLM(t *testing.T) {
	for _, tt := range []struct {
		d   EvalData
		err string
	}{
		{EvalData{LLM: true, Data: "q.jsonl", ModelType: "text"}, ""},
		{EvalData{LLM: true, Data: "q.jsonl", Target: "a", ModelType: "question-answering"}, ""},
		{EvalData{LLM: true, ModelType: "text"}, "--data is required"},
		{EvalData{LLM: true, Data: "q.jsonl", Target: "ids", ModelType: "retriever"}, "classifier or regressor"},
		{EvalData{Data: "q.jsonl", Target: "a", ModelType: "text"}, "classifier or regressor"},
		{EvalData{LLM: true, Data: "d.csv", Target: "y", ModelType: "classifier"}, ""},
	} {
		_, err := tt.d.Check()
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%+v: %v, want %q", tt.d, err, tt.err)
		}
	}
	if !IsScoringURL("http://h/invocations") || IsScoringURL("models:/m/1") || IsScoringURL("./dir") {
		t.Error("IsScoringURL")
	}
}

package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
)

// genai is what seedGenAI logged, the MLflow 3 way.
type genai struct {
	expID, runID, modelID string
	okTrace, errTrace     string
}

// The OTLP trace ids of the two seeded traces; berth names a trace
// "tr-" + its OTLP id in hex.
const (
	okTraceHex  = "0af7651916cd43dd8448eb211c80319c"
	errTraceHex = "4bf92f3577b34da6a3ce929d0e0e4736"
)

// seedGenAI logs the experiment "genai" as an MLflow 3 client does: a run
// that produced the logged model "classifier" (params, a metric, an
// MLmodel artifact; registered as iris3 v1), two traces over OTLP (one
// with three spans and an assessment, one that failed with an exception),
// and the prompt "summarize" with two versions and the alias production.
func seedGenAI(tb testing.TB, c *mlflowrest.Client, base string) genai {
	tb.Helper()
	ctx := context.Background()
	g := genai{expID: mustCreateExperiment(tb, c, "genai")}
	g.runID, _ = logRun(tb, c, g.expID, "train", t0, mlflowrest.LogBatchRequest{Params: []mlflowrest.Param{{Key: "C", Value: "1.0"}}})

	var lm struct{ Model mlflowrest.LoggedModel }
	must(tb, c.Post(ctx, "logged-models", mlflowrest.CreateLoggedModelRequest{ExperimentID: g.expID, Name: "classifier", ModelType: "sklearn",
		SourceRunID: g.runID, Params: []mlflowrest.LoggedModelParam{{Key: "solver", Value: "lbfgs"}},
		Tags: []mlflowrest.LoggedModelTag{{Key: "team", Value: "vision"}}}, &lm))
	g.modelID = lm.Model.Info.ModelID
	root := strings.TrimLeft(strings.TrimPrefix(lm.Model.Info.ArtifactURI, "mlflow-artifacts:"), "/")
	must(tb, c.PutArtifact(ctx, root+"/MLmodel", strings.NewReader("artifact_path: model\nflavors:\n  sklearn: {}\nmodel_id: "+g.modelID+"\n")))
	must(tb, c.Do(ctx, http.MethodPatch, mlflowrest.APIPrefix+"logged-models/"+g.modelID, nil, map[string]string{"status": "LOGGED_MODEL_READY"}, nil))
	must(tb, c.Post(ctx, "runs/log-metric", map[string]any{"run_id": g.runID, "key": "accuracy", "value": 0.97, "timestamp": t0, "step": 0,
		"model_id": g.modelID, "dataset_name": "iris-test"}, nil))
	must(tb, c.Post(ctx, "runs/outputs", mlflowrest.LogOutputsRequest{RunID: g.runID, Models: []mlflowrest.ModelOutput{{ModelID: g.modelID, Step: 0}}}, nil))
	must(tb, c.Post(ctx, "registered-models/create", mlflowrest.CreateRegisteredModelRequest{Name: "iris3"}, nil))
	must(tb, c.Post(ctx, "model-versions/create", mlflowrest.CreateModelVersionRequest{Name: "iris3", Source: "models:/" + g.modelID, ModelID: g.modelID}, nil))

	const ms = int64(1_000_000)
	start := (t0 + 3_600_000) * ms
	span := func(trace, id, parent, name, typ string, from, to int64, attrs map[string]string) map[string]any {
		var list []map[string]any
		list = append(list, map[string]any{"key": "mlflow.spanType", "value": map[string]string{"stringValue": typ}})
		for k, v := range attrs {
			list = append(list, map[string]any{"key": k, "value": map[string]string{"stringValue": v}})
		}
		s := map[string]any{"traceId": trace, "spanId": id, "name": name, "startTimeUnixNano": fmt.Sprint(start + from*ms),
			"endTimeUnixNano": fmt.Sprint(start + to*ms), "attributes": list, "status": map[string]any{"code": 1}}
		if parent != "" {
			s["parentSpanId"] = parent
		}
		return s
	}
	okSpans := []map[string]any{
		span(okTraceHex, "00f067aa0ba902b7", "", "pipeline", "CHAIN", 0, 400,
			map[string]string{"mlflow.spanInputs": `{"question": "which species?"}`, "mlflow.spanOutputs": `"setosa"`}),
		span(okTraceHex, "00f067aa0ba902b8", "00f067aa0ba902b7", "retrieve", "RETRIEVER", 20, 120,
			map[string]string{"mlflow.spanInputs": `{"q": "which species?"}`, "mlflow.spanOutputs": `[{"doc": "iris setosa", "score": 0.9}]`}),
		span(okTraceHex, "00f067aa0ba902b9", "00f067aa0ba902b7", "llm", "LLM", 150, 390,
			map[string]string{"mlflow.spanInputs": `{"prompt": "Which species?"}`, "mlflow.spanOutputs": `"setosa"`, "model": "tiny-1"}),
	}
	failed := span(errTraceHex, "b7ad6b7169203331", "", "lookup", "TOOL", 0, 50, map[string]string{"mlflow.spanInputs": `{"id": 42}`})
	failed["status"] = map[string]any{"code": 2, "message": "KeyError: 42"}
	failed["events"] = []map[string]any{{"name": "exception", "timeUnixNano": fmt.Sprint(start + 49*ms), "attributes": []map[string]any{
		{"key": "exception.type", "value": map[string]string{"stringValue": "KeyError"}},
		{"key": "exception.message", "value": map[string]string{"stringValue": "42"}},
		{"key": "exception.stacktrace", "value": map[string]string{"stringValue": "Traceback (most recent call last):\n  File \"app.py\", line 7, in lookup\nKeyError: 42"}},
	}}}
	postOTLP(tb, base, g.expID, append(okSpans, failed))
	g.okTrace, g.errTrace = "tr-"+okTraceHex, "tr-"+errTraceHex
	for _, tag := range []struct{ trace, key, value string }{
		{g.okTrace, "mlflow.traceName", "pipeline"}, {g.okTrace, "env", "test"},
		{g.errTrace, "mlflow.traceName", "lookup"}, {g.errTrace, "env", "prod"},
	} {
		must(tb, c.Do(ctx, http.MethodPatch, "/api/3.0/mlflow/traces/"+tag.trace+"/tags", nil, map[string]string{"key": tag.key, "value": tag.value}, nil))
	}
	must(tb, c.Do(ctx, http.MethodPost, "/api/3.0/mlflow/traces/"+g.okTrace+"/assessments", nil, map[string]any{"assessment": map[string]any{
		"assessment_name": "correct", "trace_id": g.okTrace, "source": map[string]string{"source_type": "HUMAN", "source_id": "ana"},
		"feedback": map[string]any{"value": true}, "rationale": "setosa is right"}}, nil))

	const promptTag = "mlflow.prompt.is_prompt"
	must(tb, c.Post(ctx, "registered-models/create", mlflowrest.CreateRegisteredModelRequest{Name: "summarize",
		Tags: []mlflowrest.RegisteredModelTag{{Key: promptTag, Value: "true"}}}, nil))
	for i, text := range []string{
		"Summarize the text below.\nKeep it short.\n\n{{ text }}",
		"Summarize the text below in {{ n }} sentences.\nKeep it short.\n\n{{ text }}",
	} {
		must(tb, c.Post(ctx, "model-versions/create", mlflowrest.CreateModelVersionRequest{Name: "summarize", Source: "dummy-source",
			Description: fmt.Sprintf("commit %d", i+1), Tags: []mlflowrest.ModelVersionTag{{Key: promptTag, Value: "true"},
				{Key: "mlflow.prompt.text", Value: text}, {Key: "_mlflow_prompt_type", Value: "text"}}}, nil))
	}
	must(tb, c.SetAlias(ctx, "summarize", "production", "1"))
	return g
}

// postOTLP exports spans as OTLP/HTTP JSON, as an OpenTelemetry exporter does.
func postOTLP(tb testing.TB, base, expID string, spans []map[string]any) {
	tb.Helper()
	body, err := json.Marshal(map[string]any{"resourceSpans": []any{map[string]any{"scopeSpans": []any{map[string]any{"spans": spans}}}}})
	must(tb, err)
	req, err := http.NewRequest(http.MethodPost, base+"/v1/traces", bytes.NewReader(body))
	must(tb, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Mlflow-Experiment-Id", expID)
	resp, err := http.DefaultClient.Do(req)
	must(tb, err)
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		tb.Fatalf("OTLP export: %s: %s", resp.Status, b)
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

package ui_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/berthml/berth/internal/browsertest"
)

// TestUIMLflow3 walks the pages of what an MLflow 3 client logs: a run's
// logged models, a logged model, an experiment's traces and one trace,
// and prompts with their versions' diff.
func TestUIMLflow3(t *testing.T) {
	ts, c := startServer(t)
	g := seedGenAI(t, c, ts.URL)
	b := browsertest.New(t)

	t.Run("run lists its logged models", func(t *testing.T) {
		p := b.For(t).Open(ts.URL + "/#/runs/" + g.runID)
		waitReady(p)
		p.WaitVisible("table.logged-models tbody tr")
		if got, want := cells(p, "table.logged-models tbody tr"), []string{"classifier", g.modelID, "READY", "output", "0", "iris3 v1"}; !slices.Equal(got, want) {
			t.Errorf("the run's logged models row is %q, want %q", got, want)
		}
		p.Screenshot("run-logged-models")
		afterRender(p, func() { p.Click(`table.logged-models a[href="#/logged-models/` + g.modelID + `"]`) })
		if h1 := p.Text("h1"); h1 != "classifier" {
			t.Errorf("the model's link leads to %q", h1)
		}
		p.AssertNoConsoleErrors()
	})

	t.Run("experiment's models", func(t *testing.T) {
		p := b.For(t).Open(ts.URL + "/#/experiments/" + g.expID)
		waitReady(p)
		afterRender(p, func() { p.Click(`nav.tabs a[href$="/models"]`) })
		p.WaitVisible("table.experiment-models tbody tr")
		row := cells(p, "table.experiment-models tbody tr")
		if want := []string{"classifier " + g.modelID, "READY", "", g.runID[:8], "accuracy 0.97", "iris3 v1"}; len(row) != len(want) ||
			row[0] != want[0] || row[1] != want[1] || row[2] == "" || row[3] != want[3] || row[4] != want[4] || row[5] != want[5] {
			t.Errorf("the experiment's models row is %q, want %q (time aside)", row, want)
		}
		if got := p.Text(`nav.tabs a[aria-current="page"]`); got != "Models" {
			t.Errorf("the current tab is %q, want Models", got)
		}
		p.Screenshot("experiment-models")
		// MLflow's logged-model filter, sent to logged-models/search.
		afterRender(p, func() {
			p.SetValue(`input[name="filter"]`, "metrics.accuracy > 0.99")
			p.PressEnter(`input[name="filter"]`)
		})
		if got := p.Text(".results"); !strings.Contains(got, "No logged models match the filter.") {
			t.Errorf("metrics.accuracy > 0.99 shows %q, want no models", got)
		}
		afterRender(p, func() {
			p.SetValue(`input[name="filter"]`, "params.solver = 'lbfgs'")
			p.PressEnter(`input[name="filter"]`)
		})
		if got := texts(p, "table.experiment-models tbody td:first-child a"); !slices.Equal(got, []string{"classifier"}) {
			t.Errorf("params.solver = 'lbfgs' lists %q, want classifier", got)
		}
		afterRender(p, func() { p.Click(`table.experiment-models a[href="#/logged-models/` + g.modelID + `"]`) })
		if h1 := p.Text("h1"); h1 != "classifier" {
			t.Errorf("the model's link leads to %q", h1)
		}
		p.AssertNoConsoleErrors()
	})

	t.Run("bad logged-model filter", func(t *testing.T) {
		p := b.For(t).Open(ts.URL + "/#/experiments/" + g.expID + "/models?filter=" + "bogus.x%20%3D%201")
		waitReady(p)
		if got := p.Text(".results .error"); !strings.Contains(got, "HTTP 400") {
			t.Errorf("a bad filter shows %q, want the API's 400", got)
		}
		assertOnlyStatus(t, p, 400)
	})

	t.Run("logged model", func(t *testing.T) {
		p := b.For(t).Open(ts.URL + "/#/logged-models/" + g.modelID)
		waitReady(p)
		page := p.Text("#app")
		for _, want := range []string{"Status\tREADY", "Model type\tsklearn", "Source run\t" + g.runID, "solver\tlbfgs", "team\tvision"} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q:\n%s", want, page)
			}
		}
		if got := cells(p, "table.model-metrics tbody tr"); len(got) < 4 || !slices.Equal(got[:4], []string{"accuracy", "0.97", "0", "iris-test"}) {
			t.Errorf("the metrics row is %q, want accuracy 0.97 at step 0 on iris-test", got)
		}
		if got := texts(p, ".registered a.chip"); !slices.Equal(got, []string{"iris3 v1"}) {
			t.Errorf("registered as %q, want iris3 v1", got)
		}
		p.WaitVisible("ul.tree button.link")
		if got := texts(p, "ul.tree button.link"); !slices.Equal(got, []string{"MLmodel"}) {
			t.Errorf("artifacts %q, want MLmodel", got)
		}
		p.Click("ul.tree button.link")
		p.WaitVisible(".preview pre.code")
		if got := p.Text(".preview pre.code"); !strings.Contains(got, "model_id: "+g.modelID) {
			t.Errorf("the MLmodel preview shows %q", got)
		}
		p.Screenshot("logged-model")
		afterRender(p, func() { p.Click(`.registered a.chip`) })
		if h1 := p.Text("h1"); h1 != "iris3" {
			t.Errorf("the registered version's chip leads to %q", h1)
		}
		p.AssertNoConsoleErrors()
	})

	t.Run("traces", func(t *testing.T) {
		p := b.For(t).Open(ts.URL + "/#/experiments/" + g.expID)
		waitReady(p)
		afterRender(p, func() { p.Click(`nav.tabs a[href$="/traces"]`) })
		if got := texts(p, "table.traces tbody td:first-child a"); !slices.Equal(got, []string{"pipeline", "lookup"}) && !slices.Equal(got, []string{"lookup", "pipeline"}) {
			t.Fatalf("traces listed %q, want pipeline and lookup", got)
		}
		row := cells(p, `table.traces tbody tr:has(a[href="#/traces/`+g.okTrace+`"])`)
		// Its previews come from its root span: only its OTLP spans were sent.
		if want := []string{"pipeline " + g.okTrace, "OK", "", "400 ms", `{"question": "which species?"}`, `"setosa"`, "env=test"}; len(row) != len(want) ||
			row[0] != want[0] || row[1] != want[1] || row[3] != want[3] || row[4] != want[4] || row[5] != want[5] || row[6] != want[6] {
			t.Errorf("pipeline's row is %q, want %q (time aside)", row, want)
		}
		p.Screenshot("traces")
		afterRender(p, func() {
			p.SetValue(`input[name="filter"]`, "trace.status = 'ERROR'")
			p.PressEnter(`input[name="filter"]`)
		})
		if got := texts(p, "table.traces tbody td:first-child a"); !slices.Equal(got, []string{"lookup"}) {
			t.Errorf("trace.status = 'ERROR' lists %q, want lookup", got)
		}
		afterRender(p, func() {
			p.SetValue(`input[name="filter"]`, "tags.env = 'test' and span.type = 'LLM'")
			p.PressEnter(`input[name="filter"]`)
		})
		if got := texts(p, "table.traces tbody td:first-child a"); !slices.Equal(got, []string{"pipeline"}) {
			t.Errorf("tags.env = 'test' and span.type = 'LLM' lists %q, want pipeline", got)
		}
		p.Screenshot("traces-filtered")
		p.AssertNoConsoleErrors()
	})

	t.Run("bad trace filter", func(t *testing.T) {
		p := b.For(t).Open(ts.URL + "/#/experiments/" + g.expID + "/traces?filter=" + "bogus.x%20%3D%201")
		waitReady(p)
		if got := p.Text(".results .error"); !strings.Contains(got, "HTTP 400") {
			t.Errorf("a bad filter shows %q, want the API's 400", got)
		}
		assertOnlyStatus(t, p, 400)
	})

	t.Run("trace", func(t *testing.T) {
		p := b.For(t).Open(ts.URL + "/#/traces/" + g.okTrace)
		waitReady(p)
		if h1 := p.Text("h1"); h1 != "pipeline" {
			t.Errorf("heading %q", h1)
		}
		// The span tree: the root, then its children by start time, indented.
		if got := texts(p, ".span-row .span-name"); !slices.Equal(got, []string{"pipelineCHAIN", "retrieveRETRIEVER", "llmLLM"}) {
			t.Errorf("spans %q, want pipeline, retrieve, llm with their types", got)
		}
		// Each bar spans its share of the trace's 400 ms: llm from 150 to 390 ms.
		var bar struct{ Left, Width string }
		p.Eval(`(() => { const s = document.querySelectorAll(".span-bar")[2].style; return {Left: s.left, Width: s.width}; })()`, &bar)
		if bar.Left != "37.5%" || bar.Width != "60%" {
			t.Errorf("llm's bar is at %s, %s wide; want 37.5%% and 60%%", bar.Left, bar.Width)
		}
		// The previews computed from the root span's inputs and outputs.
		if got := texts(p, "table.kv pre.short"); !slices.Equal(got, []string{`{"question": "which species?"}`, `"setosa"`}) {
			t.Errorf("the trace's request and response show as %q", got)
		}
		if got := p.Text(".span-detail pre.inputs"); !strings.Contains(got, "which species?") {
			t.Errorf("the root span's inputs show %q", got)
		}
		p.Click(".span-row:nth-child(3)")
		if got := p.Text(".span-detail"); !strings.Contains(got, "model\ttiny-1") || !strings.Contains(got, "Which species?") {
			t.Errorf("llm's details show %q, want its attribute model and its inputs", got)
		}
		if got := cells(p, "table.assessments tbody tr"); !slices.Equal(got, []string{"correct", "feedback", "true", "HUMAN: ana", "setosa is right", ""}) {
			t.Errorf("the assessment row is %q", got)
		}
		p.Settle()
		shot := p.Screenshot("trace")
		// The bars are drawn in the UI's accent colour.
		if n := browsertest.CountColor(t, shot, browsertest.Hex("#1f4e79"), 8); n < 300 {
			t.Errorf("%d pixels of the bars' colour", n)
		}
		p.AssertNoConsoleErrors()
	})

	t.Run("failed trace", func(t *testing.T) {
		p := b.For(t).Open(ts.URL + "/#/traces/" + g.errTrace)
		waitReady(p)
		if p.Count(".span-row.error-span") != 1 {
			t.Error("the failed span is not marked")
		}
		got := p.Text(".span-detail")
		for _, want := range []string{"Error: KeyError: 42", "Exception: KeyError", "line 7, in lookup"} {
			if !strings.Contains(got, want) {
				t.Errorf("the failed span's details lack %q:\n%s", want, got)
			}
		}
		p.Screenshot("trace-failed")
		p.AssertNoConsoleErrors()
	})

	t.Run("trace with artifact spans", func(t *testing.T) {
		// A client below MLflow 3.4 sends no spans over OTLP: it starts the
		// trace, then uploads its spans as traces.json (Span.to_dict).
		id := "tr-" + strings.Repeat("ab", 16)
		var started struct {
			Trace struct {
				TraceInfo struct {
					Tags map[string]string `json:"tags"`
				} `json:"trace_info"`
			} `json:"trace"`
		}
		must(t, c.Do(context.Background(), http.MethodPost, "/api/3.0/mlflow/traces", nil, map[string]any{"trace": map[string]any{"trace_info": map[string]any{
			"trace_id": id, "trace_location": map[string]any{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": map[string]string{"experiment_id": g.expID}},
			"request_time": "2025-06-15T16:00:00Z", "execution_duration": "0.2s", "state": "OK",
			"request_preview": `{"x": 1}`, "tags": map[string]string{"mlflow.traceName": "legacy"}}}}, &started))
		dir, ok := strings.CutPrefix(started.Trace.TraceInfo.Tags["mlflow.artifactLocation"], "mlflow-artifacts:/")
		if !ok {
			t.Fatalf("the started trace's tags: %v", started.Trace.TraceInfo.Tags)
		}
		const ns = int64(1_750_000_000_000_000_000)
		spans := fmt.Sprintf(`{"spans": [
			{"trace_id": "q6urq6urq6urq6urq6urqw==", "span_id": "AAAAAAAAAAE=", "parent_span_id": null, "name": "legacy", "start_time_unix_nano": %d, "end_time_unix_nano": %d,
			 "attributes": {"mlflow.spanType": "\"CHAIN\"", "mlflow.spanInputs": "{\"x\": 1}"}, "status": {"code": "STATUS_CODE_OK", "message": ""}, "events": []},
			{"trace_id": "q6urq6urq6urq6urq6urqw==", "span_id": "AAAAAAAAAAI=", "parent_span_id": "AAAAAAAAAAE=", "name": "step", "start_time_unix_nano": %d, "end_time_unix_nano": %d,
			 "attributes": {"mlflow.spanType": "\"TOOL\""}, "status": {"code": "STATUS_CODE_OK", "message": ""}, "events": []}]}`, ns, ns+200_000_000, ns+50_000_000, ns+100_000_000)
		must(t, c.PutArtifact(context.Background(), strings.TrimLeft(dir, "/")+"/traces.json", strings.NewReader(spans)))
		p := b.For(t).Open(ts.URL + "/#/traces/" + id)
		waitReady(p)
		if got := texts(p, ".span-row .span-name"); !slices.Equal(got, []string{"legacyCHAIN", "stepTOOL"}) {
			t.Errorf("spans %q, want legacy and step from traces.json", got)
		}
		if got := p.Text(".span-detail pre.inputs"); got != `{
  "x": 1
}` {
			t.Errorf("the root span's inputs show %q", got)
		}
		p.AssertNoConsoleErrors()
	})

	t.Run("trace from Go's OpenTelemetry SDK", func(t *testing.T) {
		ctx := context.Background()
		exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(ts.URL+"/v1/traces"),
			otlptracehttp.WithHeaders(map[string]string{"X-Mlflow-Experiment-Id": g.expID}),
			otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
		must(t, err)
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
		tracer := tp.Tracer("berth-ui-test")
		ctx, root := tracer.Start(ctx, "agent")
		root.SetAttributes(attribute.String("mlflow.spanType", "AGENT"), attribute.Int("turns", 2))
		_, child := tracer.Start(ctx, "tool-call")
		child.RecordError(errors.New("tool timed out"))
		child.SetStatus(codes.Error, "tool timed out")
		child.End()
		root.End()
		must(t, tp.Shutdown(context.Background()))
		otelID := root.SpanContext().TraceID()

		p := b.For(t).Open(ts.URL + "/#/traces/tr-" + hex.EncodeToString(otelID[:]))
		waitReady(p)
		if got := texts(p, ".span-row .span-name"); !slices.Equal(got, []string{"agentAGENT", "tool-call"}) {
			t.Errorf("spans %q, want agent (AGENT) and tool-call", got)
		}
		if got := p.Text(".span-detail"); !strings.Contains(got, "turns\t2") {
			t.Errorf("agent's details show %q, want its attribute turns", got)
		}
		p.Click(".span-row.error-span")
		if got := p.Text(".span-detail"); !strings.Contains(got, "Error: tool timed out") || !strings.Contains(got, "Exception: *errors.errorString") {
			t.Errorf("tool-call's details show %q, want its error and exception", got)
		}
		p.Screenshot("trace-otel-go")
		p.AssertNoConsoleErrors()
	})

	t.Run("trace without spans", func(t *testing.T) {
		// Started by a client below 3.4 that has not uploaded traces.json
		// (yet): the page says so, and asks for no missing file.
		id := "tr-" + strings.Repeat("cd", 16)
		must(t, c.Do(context.Background(), http.MethodPost, "/api/3.0/mlflow/traces", nil, map[string]any{"trace": map[string]any{"trace_info": map[string]any{
			"trace_id": id, "trace_location": map[string]any{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": map[string]string{"experiment_id": g.expID}},
			"request_time": "2025-06-15T16:00:00Z", "execution_duration": "0.1s", "state": "IN_PROGRESS"}}}, nil))
		p := b.For(t).Open(ts.URL + "/#/traces/" + id)
		waitReady(p)
		if got := p.Text("#app"); !strings.Contains(got, "The server holds no spans of this trace.") {
			t.Errorf("a trace without spans shows %q", got)
		}
		p.AssertNoConsoleErrors()
	})

	t.Run("prompts", func(t *testing.T) {
		p := b.For(t).Open(ts.URL + "/#/prompts")
		waitReady(p)
		if got := cells(p, "table.prompts tbody tr"); len(got) < 3 || !slices.Equal(got[:3], []string{"summarize", "v2", "@production → v1"}) {
			t.Errorf("the prompts table shows %q", got)
		}
		goTo(p, "#/models")
		if got := texts(p, "table.list tbody td:first-child"); slices.Contains(got, "summarize") || !slices.Contains(got, "iris3") {
			t.Errorf("the models page lists %q: want iris3 and no prompt", got)
		}
		goTo(p, "#/prompts/summarize")
		if got := texts(p, "table.versions tbody tr"); len(got) != 2 || !strings.HasPrefix(got[0], "v2") || !strings.Contains(got[1], "@production") {
			t.Errorf("versions %q, want v2 then v1 @production", got)
		}
		if got := p.Text("pre.template-text"); !strings.Contains(got, "in {{ n }} sentences") {
			t.Errorf("v2's template shows %q", got)
		}
		if got, want := texts(p, "pre.diff-text .line"), []string{"- Summarize the text below.", "+ Summarize the text below in {{ n }} sentences.", "Keep it short."}; len(got) < 3 || !slices.Equal(got[:3], want) {
			t.Errorf("the diff of v1 and v2 is %q, want %q first", got, want)
		}
		p.Screenshot("prompt")
		// lineDiff's edge cases: an empty side, a line added at the end, a
		// line changed between two kept ones.
		for _, tc := range []struct{ a, b, want string }{
			{"", "x", "- |+ x"},
			{"a\nb", "a\nb\nc", "  a|  b|+ c"},
			{"a\nb\nc", "a\nB\nc", "  a|- b|+ B|  c"},
			{"same", "same", "  same"},
		} {
			var got string
			p.Eval(fmt.Sprintf(`import("/static/prompts.js").then((m) => m.lineDiff(%q, %q).map(([op, l]) => op + " " + l).join("|"))`, tc.a, tc.b), &got)
			if got != tc.want {
				t.Errorf("lineDiff(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
			}
		}
		afterRender(p, func() { p.Click(`a.chip[href="#/prompts/summarize?version=1"]`) })
		if got := p.Text("pre.template-text"); strings.Contains(got, "{{ n }}") {
			t.Errorf("the alias production leads to a template %q, want v1's", got)
		}
		p.AssertNoConsoleErrors()
	})
}

// TestUIMLflow3Phone shows the traces, a trace, a logged model, an
// experiment's models and a prompt on a 390 px phone: nothing scrolls sideways.
func TestUIMLflow3Phone(t *testing.T) {
	ts, c := startServer(t)
	g := seedGenAI(t, c, ts.URL)
	p := browsertest.New(t, browsertest.WithMobileViewport()).Open(ts.URL + "/#/")
	waitReady(p)
	for _, page := range []struct{ hash, what, shot string }{
		{"#/experiments/" + g.expID + "/traces", "the traces page", "traces"},
		{"#/traces/" + g.okTrace, "the trace page", "trace"},
		{"#/traces/" + g.errTrace, "the failed trace's page", "trace-failed"},
		{"#/logged-models/" + g.modelID, "the logged model's page", "logged-model"},
		{"#/experiments/" + g.expID + "/models", "the experiment's models", "experiment-models"},
		{"#/runs/" + g.runID, "the run page", "run"},
		{"#/prompts", "the prompts page", "prompts"},
		{"#/prompts/summarize", "the prompt page", "prompt"},
	} {
		goTo(p, page.hash)
		p.Settle()
		if p.Count("nav.tabs") > 0 {
			var tabs struct{ Top0, Top1 float64 }
			p.Eval(`(() => { const a = document.querySelectorAll("nav.tabs a"); return {Top0: a[0].getBoundingClientRect().top, Top1: a[1].getBoundingClientRect().top}; })()`, &tabs)
			if tabs.Top0 != tabs.Top1 {
				t.Errorf("%s: the Runs and Traces tabs are not side by side (tops %v, %v)", page.what, tabs.Top0, tabs.Top1)
			}
		}
		assertFits(t, p, page.what)
		p.Screenshot(page.shot)
	}
	p.AssertNoConsoleErrors()
}

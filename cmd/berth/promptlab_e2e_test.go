package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/internal/browsertest"
	"github.com/berthml/berth/internal/llmtest"
)

// promptlabCSV is the five rows the lab's templates run over.
const promptlabCSV = "style,topic,expected\n" +
	"haiku,the sea,\n" +
	"limerick,a cat,\n" +
	"\"short poem, rhymed\",autumn,\n" +
	"song,the city at night,\n" +
	"riddle,\"a \"\"quiet\"\" key\",\n"

var promptlabTopics = []string{"the sea", "a cat", "autumn", "the city at night", `a "quiet" key`}

const (
	promptlabTemplateA = "Write a {{ style }} about {{topic}}."
	promptlabTemplateB = "{{ topic }}, as a {{ style }}:"
)

// TestPromptLabWalk is issue #19's prompt lab on the real binaries: berth
// server with --gateway-config in front of the real llama.cpp engine,
// gateway keys on and server tokens set, and headless Chromium. Two
// templates of two variables over five rows pasted as CSV, the first on
// the chat endpoint and the second on the completions endpoint side by
// side, every row answered; the first saved as a prompt lab run (read back
// as MLflow's client reads it: params, tags, eval_results_table.json, the
// promptlab model) and registered as a prompt version with an alias;
// served by berth serve, evaluated by berth evaluate, and promoted: the
// second template and the first again registered from the lab as v2 and
// v3, berth promote refuses v2 and moves the alias to v3, gated on
// exact_match against the lab's answers — the whole loop of issue #19. The
// page sends the Settings token to the tracking server and the gateway key
// to the gateway. No console errors; a 390 px phone fits.
func TestPromptLabWalk(t *testing.T) {
	engine := llmtest.New(t)
	bin := buildBerth(t)
	b := browsertest.New(t, browsertest.WithTimeout(4*time.Minute)) // after the build, which the browser's deadline need not cover
	data := t.TempDir()
	db := "sqlite:///" + filepath.Join(data, "berth.db")
	cfg := filepath.Join(data, "gateway.yaml")
	y := "endpoints:\n"
	for _, e := range [][2]string{{"chat", "llm/v1/chat"}, {"completions", "llm/v1/completions"}} {
		y += "  - name: " + e[0] + "\n    endpoint_type: " + e[1] + "\n    model: {provider: openai, name: tiny, config: {openai_api_key: unused, openai_api_base: '" + engine.URL + "/v1'}}\n"
	}
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runBerth(t, bin, "gateway", "keys", "create", "--name", "lab", "--backend-store-uri", db)
	key := regexp.MustCompile(`(?m)^\s+(\S+)\s*$`).FindStringSubmatch(out)
	if key == nil {
		t.Fatalf("no secret in `berth gateway keys create`'s output:\n%s", out)
	}
	const writeToken = "lab-write-token"
	srv := startBerth(t, bin, "server", "--port", "0", "--backend-store-uri", db,
		"--artifacts-destination", filepath.Join(data, "artifacts"), "--gateway-config", cfg, "--gateway-keys",
		"--write-token", writeToken)
	c := &mlflowrest.Client{BaseURL: srv, Token: writeToken}
	ctx := context.Background()
	expID, err := c.EnsureExperiment(ctx, "prompt-lab")
	if err != nil {
		t.Fatal(err)
	}

	p := b.For(t).Open(srv + "/#/settings")
	waitUIReady(p)
	p.Eval(`localStorage.setItem("berth.token", "`+writeToken+`"), localStorage.setItem("berth.gatewayKey", "`+key[1]+`"), true`, nil)
	p.Navigate(srv + "/#/experiments/" + expID)
	waitUIReady(p)
	afterUIRender(p, func() { p.Click("a.promptlab-link") })
	p.WaitVisible(`.pl-column[data-col="A"] textarea.template`)

	// A bad template is explained inline; a good one's variables show.
	p.SetValue(`textarea[aria-label="Template A"]`, "Write a {{ style about {{topic}}.")
	if got := p.Text(".template-error"); !strings.Contains(got, `"{{" without a closing "}}" before the next "{{" (at byte 8)`) {
		t.Errorf("the bad template's explanation: %q", got)
	}
	p.SetValue(`textarea[aria-label="Template A"]`, promptlabTemplateA)
	if got := uiTexts(p, `.pl-column[data-col="A"] .chip.var`); !slices.Equal(got, []string{"style", "topic"}) {
		t.Errorf("variables of template A: %q", got)
	}
	p.SetValue(`input[aria-label="max_tokens A"]`, "6")

	// Five rows pasted as CSV; then template B on the completions endpoint.
	p.Click("details.load-rows summary")
	p.SetValue("textarea.csv", promptlabCSV)
	p.Click("button.load-csv")
	if n := p.Count("table.pl-rows tbody tr"); n != 5 {
		t.Fatalf("%d rows after loading the CSV, want 5", n)
	}
	p.Click("button.add-column")
	p.WaitVisible(`textarea[aria-label="Template B"]`)
	p.SetValue(`textarea[aria-label="Template B"]`, "{{ topic }} by {{ author }}")
	if got := p.Text(`.pl-column[data-col="B"] .template-error`); !strings.Contains(got, `the template uses unknown variable(s) "author"; known: "style", "topic"`) {
		t.Errorf("a variable the rows lack: %q", got)
	}
	p.SetValue(`textarea[aria-label="Template B"]`, promptlabTemplateB)
	p.Eval(`(() => { const s = document.querySelector('select[aria-label="Endpoint B"]'); s.value = "completions"; s.dispatchEvent(new Event("change")); return true; })()`, nil)
	if p.Count(".template-error") != 0 {
		t.Errorf("errors left: %s", p.Text(".template-error"))
	}

	p.Click("button.run-all")
	p.WaitVisible(`#promptlab[data-running="0"]`)
	p.WaitVisible(`td.out[data-col="B"][data-row="5"][data-state="done"]`)
	if n := p.Count(`td.out[data-state="done"]`); n != 10 {
		t.Fatalf("%d of 10 cells answered; failures: %q", n, uiTexts(p, `td.out[data-state="failed"]`))
	}
	for _, col := range []string{"A", "B"} {
		if got := p.Text(`table.pl-metrics tr[data-col="` + col + `"] td.done`); got != "5/5" {
			t.Errorf("column %s answered %q, want 5/5", col, got)
		}
		if got := p.Text(`table.pl-metrics tr[data-col="` + col + `"] td.tokens`); got == "" || got == "0" {
			t.Errorf("column %s's mean token_count is %q", col, got)
		}
	}
	var outputsA, outputsB []string
	p.Eval(`[...document.querySelectorAll('td.out[data-col="A"] .pl-output')].map((e) => e.textContent)`, &outputsA)
	p.Eval(`[...document.querySelectorAll('td.out[data-col="B"] .pl-output')].map((e) => e.textContent)`, &outputsB)
	if slices.Equal(outputsA, outputsB) {
		t.Fatalf("templates A (chat) and B (completions) answered the same %q: the refused promotion below needs B's answers to differ from A's", outputsA)
	}
	p.Screenshot("1-compared")

	// The winner, saved as a run and registered as a prompt.
	p.Click(`input[name="winner"][value="A"]`)
	p.SetValue(`input[aria-label="Run name"]`, "lab-winner")
	p.Click("form.save-run button[type=submit]")
	p.WaitVisible(".saved-run a")
	var runHref string
	p.Eval(`document.querySelector(".saved-run a").getAttribute("href")`, &runHref)
	runID := strings.TrimPrefix(runHref, "#/runs/")
	p.SetValue(`input[aria-label="Prompt name"]`, "lab-prompt")
	p.SetValue(`input[aria-label="Commit message"]`, "from the prompt lab")
	p.SetValue(`input[aria-label="Alias"]`, "candidate")
	p.Click("form.register-prompt button[type=submit]")
	p.WaitVisible(".registered-prompt a")
	if got := p.Text(".registered-prompt"); !strings.Contains(got, "lab-prompt v1 @candidate") {
		t.Errorf("after registering: %q", got)
	}
	// Two more versions from the lab, for the promotion below: the loser
	// B as v2 and the winner A again as v3 (no alias: promote moves it).
	for _, reg := range []struct{ col, msg, want string }{{"B", "template B, on completions", "lab-prompt v2"}, {"A", "template A again", "lab-prompt v3"}} {
		p.Click(`input[name="winner"][value="` + reg.col + `"]`)
		p.SetValue(`input[aria-label="Prompt name"]`, "lab-prompt")
		p.SetValue(`input[aria-label="Commit message"]`, reg.msg)
		p.Click("form.register-prompt button[type=submit]")
		p.WaitVisible(".registered-prompt a")
		if got := p.Text(".registered-prompt"); !strings.Contains(got, reg.want) || strings.Contains(got, "@") {
			t.Errorf("after registering column %s: %q, want %q without an alias", reg.col, got, reg.want)
		}
	}
	p.Screenshot("2-saved")
	p.AssertNoConsoleErrors()

	t.Run("the run as MLflow's client reads it", func(t *testing.T) {
		var run mlflowrest.RunResponse
		if err := c.Get(ctx, "runs/get", map[string][]string{"run_id": {runID}}, &run); err != nil {
			t.Fatal(err)
		}
		params, tags := map[string]string{}, map[string]string{}
		for _, x := range run.Run.Data.Params {
			params[x.Key] = x.Value
		}
		for _, x := range run.Run.Data.Tags {
			tags[x.Key] = x.Value
		}
		if params["prompt_template"] != promptlabTemplateA || params["model_route"] != "chat" || params["max_tokens"] != "6" ||
			params["temperature"] != "0" || run.Run.Info.RunName != "lab-winner" || run.Run.Info.Status != "FINISHED" {
			t.Errorf("the run: %+v params %v", run.Run.Info, params)
		}
		if tags["mlflow.runSourceType"] != "PROMPT_ENGINEERING" || tags["mlflow.loggedArtifacts"] != `[{"path": "eval_results_table.json", "type": "table"}]` {
			t.Errorf("tags: %v", tags)
		}
		art := strings.TrimPrefix(run.Run.Info.ArtifactURI, "mlflow-artifacts:/")
		read := func(name string) []byte {
			rc, err := c.GetArtifact(ctx, art+"/"+name)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			defer rc.Close()
			b, _ := io.ReadAll(rc)
			return b
		}
		var table struct {
			Columns []string   `json:"columns"`
			Data    [][]string `json:"data"`
		}
		if err := json.Unmarshal(read("eval_results_table.json"), &table); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(table.Columns, []string{"style", "topic", "prompt", "output", "latency", "token_count"}) || len(table.Data) != 5 {
			t.Fatalf("eval_results_table.json: %+v", table)
		}
		for i, row := range table.Data {
			if row[1] != promptlabTopics[i] || !strings.HasSuffix(row[2], "about "+promptlabTopics[i]+".") || row[3] != outputsA[i] {
				t.Errorf("row %d: %q (the page showed %q)", i, row, outputsA[i])
			}
		}
		if y := string(read("model/parameters.yaml")); !strings.Contains(y, "model_route: chat") || !strings.Contains(y, "prompt_template: Write a {{ style }} about {{topic}}.") {
			t.Errorf("model/parameters.yaml:\n%s", y)
		}
		if m := string(read("model/MLmodel")); !strings.Contains(m, "loader_module: mlflow.promptlab") {
			t.Errorf("model/MLmodel:\n%s", m)
		}
	})

	t.Run("the prompt as MLflow's client reads it", func(t *testing.T) {
		var v mlflowrest.ModelVersionResponse
		if err := c.Get(ctx, "registered-models/alias", map[string][]string{"name": {"lab-prompt"}, "alias": {"candidate"}}, &v); err != nil {
			t.Fatal(err)
		}
		tags := map[string]string{}
		for _, x := range v.ModelVersion.Tags {
			tags[x.Key] = x.Value
		}
		if v.ModelVersion.Version != "1" || tags["mlflow.prompt.text"] != promptlabTemplateA || tags["mlflow.prompt.is_prompt"] != "true" ||
			v.ModelVersion.Description != "from the prompt lab" {
			t.Errorf("lab-prompt@candidate: %+v", v.ModelVersion)
		}
	})

	// The whole loop on: the registered prompt served by berth serve
	// (prompts:/NAME@ALIAS, the endpoint and parameters from the model
	// config the page registered) answers as the lab did, and berth
	// evaluate scores the template on the gateway into a run.
	t.Run("served", func(t *testing.T) {
		t.Setenv("MLFLOW_DEPLOYMENTS_TARGET", srv)
		t.Setenv("MLFLOW_DEPLOYMENTS_TOKEN", key[1])
		served := startBerth(t, bin, "serve", "prompts:/lab-prompt@candidate", "--registry-uri", srv, "--registry-token", writeToken,
			"--port", "0", "--cache-dir", filepath.Join(data, "cache"))
		var records []map[string]string
		for i, topic := range promptlabTopics {
			records = append(records, map[string]string{"style": []string{"haiku", "limerick", "short poem, rhymed", "song", "riddle"}[i], "topic": topic})
		}
		body, _ := json.Marshal(map[string]any{"dataframe_records": records})
		resp, err := http.Post(served+"/invocations", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			Predictions []string `json:"predictions"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("/invocations: %d %v", resp.StatusCode, err)
		}
		if !slices.Equal(got.Predictions, outputsA) {
			t.Errorf("berth serve prompts:/lab-prompt@candidate answers %q, the lab showed %q (greedy decoding: the same prompt and parameters give the same text)", got.Predictions, outputsA)
		}
	})

	t.Run("evaluated", func(t *testing.T) {
		rows := filepath.Join(data, "rows.csv")
		if err := os.WriteFile(rows, []byte(promptlabCSV), 0o600); err != nil {
			t.Fatal(err)
		}
		out := runBerth(t, bin, "evaluate", "--data", rows, "--model-type", "text", "--gateway-uri", srv, "--gateway-token", key[1],
			"--endpoint", "chat", "--prompt-template", promptlabTemplateA, "--max-tokens", "6", "--temperature", "0",
			"--registry-uri", srv, "--registry-token", writeToken, "--experiment", "prompt-lab")
		m := regexp.MustCompile(`logged to run ([0-9a-f]{32})`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("berth evaluate logged no run:\n%s", out)
		}
		var run mlflowrest.RunResponse
		if err := c.Get(ctx, "runs/get", map[string][]string{"run_id": {m[1]}}, &run); err != nil {
			t.Fatal(err)
		}
		metrics := map[string]float64{}
		for _, x := range run.Run.Data.Metrics {
			metrics[x.Key] = float64(x.Value)
		}
		if _, ok := metrics["ari_grade_level/v1/mean"]; !ok {
			t.Errorf("the evaluation run's metrics: %v", metrics)
		}
	})

	// Promote, gated on the evaluation: the five rows with the answers the
	// lab's winner gave as the expected ones. v2 (template B on the
	// completions endpoint, whose answers differ) is refused and
	// @candidate stays on v1; v3 (template A again: greedy decoding gives
	// v1's answers) passes and @candidate moves to it.
	t.Run("promoted", func(t *testing.T) {
		t.Setenv("MLFLOW_DEPLOYMENTS_TARGET", srv)
		t.Setenv("MLFLOW_DEPLOYMENTS_TOKEN", key[1])
		var rows bytes.Buffer
		enc := json.NewEncoder(&rows)
		for i, topic := range promptlabTopics {
			style := []string{"haiku", "limerick", "short poem, rhymed", "song", "riddle"}[i]
			if err := enc.Encode(map[string]string{"style": style, "topic": topic, "expected": outputsA[i]}); err != nil {
				t.Fatal(err)
			}
		}
		file := filepath.Join(data, "expected.jsonl")
		if err := os.WriteFile(file, rows.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		type outcome struct {
			Promoted bool               `json:"promoted"`
			Previous string             `json:"previous_version"`
			Metrics  map[string]float64 `json:"metrics"`
			Prev     map[string]float64 `json:"previous_metrics"`
		}
		promote := func(version string) (outcome, int, string) {
			t.Helper()
			cmd := exec.Command(bin, "promote", "prompts:/lab-prompt/"+version, "--alias", "candidate", "--data", file,
				"--target", "expected", "--model-type", "question-answering", "--require", "exact_match/v1>=1",
				"--registry-uri", srv, "--registry-token", writeToken, "--cache-dir", filepath.Join(data, "cache"),
				"--experiment", "prompt-lab", "-o", "json")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatalf("berth promote prompts:/lab-prompt/%s: %v", version, err)
			}
			var o outcome
			if err := json.Unmarshal(out, &o); err != nil {
				t.Fatalf("berth promote prompts:/lab-prompt/%s: exit %d, %v\n%s%s", version, code, err, out, stderr.String())
			}
			return o, code, stderr.String()
		}
		holder := func() (version, outcome2, outcome3 string) {
			t.Helper()
			var v mlflowrest.ModelVersionResponse
			if err := c.Get(ctx, "registered-models/alias", map[string][]string{"name": {"lab-prompt"}, "alias": {"candidate"}}, &v); err != nil {
				t.Fatal(err)
			}
			tag := func(version string) string {
				var mv mlflowrest.ModelVersionResponse
				if err := c.Get(ctx, "model-versions/get", map[string][]string{"name": {"lab-prompt"}, "version": {version}}, &mv); err != nil {
					t.Fatal(err)
				}
				for _, x := range mv.ModelVersion.Tags {
					if x.Key == "berth.promotion.candidate" {
						return x.Value
					}
				}
				return ""
			}
			return v.ModelVersion.Version, tag("2"), tag("3")
		}

		o, code, stderr := promote("2")
		same := 0 // rows where B answered as A did in the lab
		for i := range outputsA {
			if outputsB[i] == outputsA[i] {
				same++
			}
		}
		want := float64(same) / float64(len(outputsA))
		if code != 1 || o.Promoted || o.Previous != "1" || o.Metrics["exact_match/v1"] != want || o.Prev["exact_match/v1"] != 1 {
			t.Errorf("promote prompts:/lab-prompt/2 (template B): exit %d, %+v, want refused (exit 1) with exact_match/v1 %.1f against v1's 1\n%s", code, o, want, stderr)
		}
		if v, t2, _ := holder(); v != "1" || t2 != "refused" {
			t.Errorf("after the refused promotion: @candidate on v%s, v2 tagged %q; want v1, refused", v, t2)
		}

		o, code, stderr = promote("3")
		if code != 0 || !o.Promoted || o.Previous != "1" || o.Metrics["exact_match/v1"] != 1 {
			t.Errorf("promote prompts:/lab-prompt/3 (template A again): exit %d, %+v, want promoted with exact_match/v1 1\n%s", code, o, stderr)
		}
		if v, _, t3 := holder(); v != "3" || t3 != "promoted" {
			t.Errorf("after the passing promotion: @candidate on v%s, v3 tagged %q; want v3, promoted", v, t3)
		}
	})

	t.Run("phone", func(t *testing.T) {
		pb := browsertest.New(t, browsertest.WithMobileViewport(), browsertest.WithTimeout(2*time.Minute))
		ph := pb.Open(srv + "/#/settings")
		waitUIReady(ph)
		ph.Eval(`localStorage.setItem("berth.token", "`+writeToken+`"), localStorage.setItem("berth.gatewayKey", "`+key[1]+`"), true`, nil)
		ph.Navigate(srv + "/#/promptlab?experiment=" + expID)
		ph.WaitVisible(`textarea[aria-label="Template A"]`)
		ph.SetValue(`textarea[aria-label="Template A"]`, promptlabTemplateA)
		ph.SetValue(`input[aria-label="max_tokens A"]`, "6")
		ph.Click("details.load-rows summary")
		ph.SetValue("textarea.csv", promptlabCSV)
		ph.Click("button.load-csv")
		ph.Click("button.run-all")
		ph.WaitVisible(`td.out[data-row="5"][data-state="done"]`)
		ph.Click(`input[name="winner"][value="A"]`)
		ph.WaitVisible("form.save-run")
		var overflow int
		ph.Eval(`document.documentElement.scrollWidth - document.documentElement.clientWidth`, &overflow)
		if overflow > 0 {
			t.Errorf("the prompt lab scrolls sideways by %d px on a 390 px phone", overflow)
		}
		ph.Screenshot("3-phone")
		ph.AssertNoConsoleErrors()
	})
}

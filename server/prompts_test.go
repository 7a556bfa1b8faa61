package server_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestPromptRegistryFlow follows mlflow.genai's prompt steps of the MLflow
// 3.6 transcript (testdata/conformance/mlflow3, steps 057–065, seq
// 214–239): register two versions with source "dummy-source", load by
// version, alias and @latest, search by the prompt tag, a missing version.
func TestPromptRegistryFlow(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			srv := httptest.NewServer(newServerOn(t, b.open(t)).Handler())
			defer srv.Close()
			const js = "application/json"
			const name = "conf3-greeting"
			do := func(method, path, body string, want int) string {
				t.Helper()
				status, out := call(t, srv.URL, method, "/api/2.0/mlflow"+path, js, body)
				if status != want {
					t.Fatalf("%s %s: %d %s, want %d", method, path, status, out, want)
				}
				return out
			}
			do("POST", "/registered-models/create", `{"name": "plain-model"}`, 200) // not a prompt: search leaves it out
			do("GET", "/registered-models/get?name="+name, "", 404)
			do("POST", "/registered-models/create", `{"name": "`+name+`", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"},
				{"key": "lang", "value": "en"}], "description": "first"}`, 200)
			out := do("POST", "/model-versions/create", `{"name": "`+name+`", "source": "dummy-source", "tags": [{"key": "lang", "value": "en"},
				{"key": "mlflow.prompt.is_prompt", "value": "true"}, {"key": "_mlflow_prompt_type", "value": "text"},
				{"key": "mlflow.prompt.text", "value": "Hello {{name}}, welcome to {{place}}!"}], "description": "first"}`, 200)
			if !strings.Contains(out, `"source": "dummy-source"`) || !strings.Contains(out, `"version": "1"`) {
				t.Errorf("prompt version 1: %s", out)
			}
			do("POST", "/model-versions/create", `{"name": "`+name+`", "source": "dummy-source", "tags": [
				{"key": "mlflow.prompt.is_prompt", "value": "true"}, {"key": "_mlflow_prompt_type", "value": "chat"},
				{"key": "mlflow.prompt.text", "value": "[{\"role\": \"user\", \"content\": \"Hi {{name}}\"}]"}], "description": "chat version"}`, 200)
			// A version that is not a prompt still has its source checked.
			out = do("POST", "/model-versions/create", `{"name": "`+name+`", "source": "dummy-source"}`, 400)
			if !strings.Contains(out, "INVALID_PARAMETER_VALUE") {
				t.Errorf("non-prompt dummy-source: %s", out)
			}

			version := func(out string) (v string, tags map[string]string) {
				var r struct {
					ModelVersion struct {
						Version string
						Tags    []struct{ Key, Value string }
					} `json:"model_version"`
				}
				if err := json.Unmarshal([]byte(out), &r); err != nil {
					t.Fatal(err)
				}
				tags = map[string]string{}
				for _, tg := range r.ModelVersion.Tags {
					tags[tg.Key] = tg.Value
				}
				return r.ModelVersion.Version, tags
			}
			if v, tags := version(do("GET", "/model-versions/get?name="+name+"&version=1", "", 200)); v != "1" ||
				tags["mlflow.prompt.text"] != "Hello {{name}}, welcome to {{place}}!" || tags["_mlflow_prompt_type"] != "text" {
				t.Errorf("load version 1: %s %v", v, tags)
			}
			do("POST", "/registered-models/alias", `{"name": "`+name+`", "alias": "production", "version": "1"}`, 200)
			if v, _ := version(do("GET", "/registered-models/alias?name="+name+"&alias=production", "", 200)); v != "1" {
				t.Errorf("@production = %s", v)
			}
			// @latest: no alias of that name was set; MLflow answers the newest.
			if v, tags := version(do("GET", "/registered-models/alias?name="+name+"&alias=latest", "", 200)); v != "2" || tags["_mlflow_prompt_type"] != "chat" {
				t.Errorf("@latest = %s", v)
			}
			// search_prompts, with and without a name.
			for _, f := range []string{"tags.`mlflow.prompt.is_prompt` = 'true' AND name = '" + name + "'", "tags.`mlflow.prompt.is_prompt` = 'true'"} {
				out = do("GET", "/registered-models/search?max_results=100&filter="+url.QueryEscape(f), "", 200)
				var r struct {
					RegisteredModels []struct {
						Name    string
						Aliases []struct{ Alias, Version string }
					} `json:"registered_models"`
				}
				if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.RegisteredModels) != 1 || r.RegisteredModels[0].Name != name ||
					len(r.RegisteredModels[0].Aliases) != 1 {
					t.Errorf("search %q: %s", f, out)
				}
			}
			out = do("GET", "/model-versions/get?name="+name+"&version=9", "", 404)
			if !strings.Contains(out, "Model Version (name="+name+", version=9) not found") {
				t.Errorf("missing version: %s", out)
			}
		})
	}
}

package server_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berthml/berth/tracking/search"
)

// TestClientMistakesAre4xxOnBothStores sends the requests that made a
// store fail (a NUL, a name longer than PostgreSQL's column, a filter too
// large for SQLite) and checks that each store answers the same 4xx with
// MLflow's error code, and that what is within the limits still works.
func TestClientMistakesAre4xxOnBothStores(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ts := httptest.NewServer(newServerOn(t, b.open(t)).Handler())
			defer ts.Close()
			const js = "application/json"
			run, _ := createRun(t, ts.URL, "0")
			if status, body := call(t, ts.URL, "POST", "/api/2.0/mlflow/registered-models/create", js, `{"name":"m"}`); status != 200 {
				t.Fatalf("registered-models/create: %d %s", status, body)
			}
			and := func(n int) string {
				c := make([]string, n)
				for i := range c {
					c[i] = "params.p" + string(rune('a'+i%26)) + " = 'v'"
				}
				return strings.Join(c, " and ")
			}
			quote := func(v any) string { b, _ := json.Marshal(v); return string(b) }
			cases := []struct {
				name, method, path, body string
				status                   int
				code                     string
			}{
				{"NUL in a query value", "GET", "/api/2.0/mlflow/runs/get?run_id=a%00b", "", 400, "INVALID_PARAMETER_VALUE"},
				{"NUL in a query key", "GET", "/api/2.0/mlflow/runs/get?run_id=x&a%00=1", "", 400, "INVALID_PARAMETER_VALUE"},
				{"NUL in an experiment name", "POST", "/api/2.0/mlflow/experiments/create", `{"name":"a\u0000b"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"NUL in a tag value", "POST", "/api/2.0/mlflow/runs/set-tag", `{"run_id":"` + run + `","key":"k","value":"\u0000"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"NUL in a batch param", "POST", "/api/2.0/mlflow/runs/log-batch", `{"run_id":"` + run + `","params":[{"key":"k","value":"a\u0000"}]}`, 400, "INVALID_PARAMETER_VALUE"},
				{"NUL in a model name", "POST", "/api/2.0/mlflow/registered-models/create", `{"name":"\u0000"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"NUL in a filter", "POST", "/api/2.0/mlflow/runs/search", `{"experiment_ids":["0"],"filter":"params.a = '\u0000'"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"NUL in get-artifact", "GET", "/get-artifact?run_uuid=a%00&path=x", "", 400, "INVALID_PARAMETER_VALUE"},
				{"not UTF-8 in get-artifact", "GET", "/get-artifact?run_id=%ff&path=x", "", 400, "INVALID_PARAMETER_VALUE"},
				{"not UTF-8 in a version's get-artifact", "GET", "/model-versions/get-artifact?name=%ff&version=1&path=x", "", 400, "INVALID_PARAMETER_VALUE"},
				{"not UTF-8 in runs/get", "GET", "/api/2.0/mlflow/runs/get?run_id=%ed%a0%80", "", 400, "INVALID_PARAMETER_VALUE"},
				{"model name of 257", "POST", "/api/2.0/mlflow/registered-models/create", `{"name":"` + strings.Repeat("m", 257) + `"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"model name of 100,000", "POST", "/api/2.0/mlflow/registered-models/create", `{"name":"` + strings.Repeat("m", 100_000) + `"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"model name of 256", "POST", "/api/2.0/mlflow/registered-models/create", `{"name":"` + strings.Repeat("m", 256) + `"}`, 200, ""},
				{"rename to 257", "POST", "/api/2.0/mlflow/registered-models/rename", `{"name":"m","new_name":"` + strings.Repeat("m", 257) + `"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"run name of 251", "POST", "/api/2.0/mlflow/runs/create", `{"experiment_id":"0","run_name":"` + strings.Repeat("r", 251) + `"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"runName tag of 251", "POST", "/api/2.0/mlflow/runs/set-tag", `{"run_id":"` + run + `","key":"mlflow.runName","value":"` + strings.Repeat("r", 251) + `"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"run rename of 251", "POST", "/api/2.0/mlflow/runs/update", `{"run_id":"` + run + `","run_name":"` + strings.Repeat("r", 251) + `"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"user id of 257", "POST", "/api/2.0/mlflow/runs/create", `{"experiment_id":"0","user_id":"` + strings.Repeat("u", 257) + `"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"version run_id of 33", "POST", "/api/2.0/mlflow/model-versions/create", `{"name":"m","source":"runs:/x/model","run_id":"` + strings.Repeat("a", 33) + `"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"dataset source type of 37", "POST", "/api/2.0/mlflow/runs/log-inputs", `{"run_id":"` + run + `","datasets":[{"dataset":{"name":"d","digest":"x","source_type":"` + strings.Repeat("s", 37) + `","source":"{}"}}]}`, 400, "INVALID_PARAMETER_VALUE"},
				{"1,000 AND-ed comparisons", "POST", "/api/2.0/mlflow/runs/search", `{"experiment_ids":["0"],"filter":` + quote(and(1000)) + `}`, 400, "INVALID_PARAMETER_VALUE"},
				{"one comparison over the limit", "POST", "/api/2.0/mlflow/runs/search", `{"experiment_ids":["0"],"filter":` + quote(and(search.MaxFilterComparisons+1)) + `}`, 400, "INVALID_PARAMETER_VALUE"},
				{"comparisons at the limit", "POST", "/api/2.0/mlflow/runs/search", `{"experiment_ids":["0"],"filter":` + quote(and(search.MaxFilterComparisons)) + `}`, 200, ""},
				{"1,000 AND-ed model-version comparisons", "GET", "/api/2.0/mlflow/model-versions/search?filter=" + strings.Repeat("name%3D%27m%27+and+", 999) + "name%3D%27m%27", "", 400, "INVALID_PARAMETER_VALUE"},
				{"IN list of 1,001", "POST", "/api/2.0/mlflow/runs/search", `{"experiment_ids":["0"],"filter":"attributes.run_id IN ('` + strings.Repeat("a', '", 1000) + `a')"}`, 400, "INVALID_PARAMETER_VALUE"},
				{"21 order_by terms", "POST", "/api/2.0/mlflow/runs/search", `{"experiment_ids":["0"],"order_by":["metrics.a","metrics.b","metrics.c","metrics.d","metrics.e","metrics.f","metrics.g","metrics.h","metrics.i","metrics.j","metrics.k","metrics.l","metrics.m","metrics.n","metrics.o","metrics.p","metrics.q","metrics.r","metrics.s","metrics.t","metrics.u"]}`, 400, "INVALID_PARAMETER_VALUE"},
			}
			for _, c := range cases {
				status, body := call(t, ts.URL, c.method, c.path, js, c.body)
				if status != c.status {
					t.Errorf("%s: %d %.300s, want %d", c.name, status, body, c.status)
					continue
				}
				if c.code != "" && errorCode(t, body) != c.code {
					t.Errorf("%s: %s, want %s", c.name, body, c.code)
				}
			}
		})
	}
}

// TestRegistrySourcesStayNormalised checks that, as MLflow's server does
// when a version is created, a source with relative path references is
// refused, and so is an experiment artifact_location with them, so that a
// registry entry cannot lead a serving host to a directory of its choice.
func TestRegistrySourcesStayNormalised(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ts := httptest.NewServer(newServerOn(t, b.open(t)).Handler())
			defer ts.Close()
			const js = "application/json"
			if status, body := call(t, ts.URL, "POST", "/api/2.0/mlflow/registered-models/create", js, `{"name":"m"}`); status != 200 {
				t.Fatalf("registered-models/create: %d %s", status, body)
			}
			for _, src := range []string{
				"runs:/0123456789abcdef0123456789abcdef/../../../../etc",
				"runs:/abc/./model",
				"mlflow-artifacts:/0/abc/artifacts/../../../../x",
				"mlflow-artifacts://host:5000/..%2f..%2f..%2fetc",
				"mlflow-artifacts:/%252e%252e/x",
				"models:/m/../1",
				"s3://bucket/models/../../other",
				"http://host/api/2.0/mlflow-artifacts/artifacts/%00",
			} {
				status, body := call(t, ts.URL, "POST", "/api/2.0/mlflow/model-versions/create", js, `{"name":"m","source":"`+src+`"}`)
				if status != 400 || errorCode(t, body) != "INVALID_PARAMETER_VALUE" ||
					(!strings.Contains(body, "without relative path references") && !strings.Contains(body, "NUL")) {
					t.Errorf("source %s = %d %s, want MLflow's 400 INVALID_PARAMETER_VALUE", src, status, body)
				}
			}
			for _, src := range []string{"runs:/0123456789abcdef0123456789abcdef/model", "mlflow-artifacts:/0/abc/artifacts/model",
				"models:/m/1", "s3://bucket/models/a.b/model"} {
				if status, body := call(t, ts.URL, "POST", "/api/2.0/mlflow/model-versions/create", js, `{"name":"m","source":"`+src+`"}`); status != 200 {
					t.Errorf("source %s = %d %s, want 200", src, status, body)
				}
			}
			for i, loc := range []string{"file:///srv/models/../../etc", "/srv/artifacts/../..", "mlflow-artifacts:/x/./y",
				"file:///srv/%2e%2e/etc", "runs:/abc/model", "s3://bucket/a/../b"} {
				status, body := call(t, ts.URL, "POST", "/api/2.0/mlflow/experiments/create", js,
					`{"name":"e`+string(rune('a'+i))+`","artifact_location":"`+loc+`"}`)
				if status != 400 || errorCode(t, body) != "INVALID_PARAMETER_VALUE" {
					t.Errorf("artifact_location %s = %d %s, want 400 INVALID_PARAMETER_VALUE", loc, status, body)
				}
			}
			if status, body := call(t, ts.URL, "POST", "/api/2.0/mlflow/experiments/create", js,
				`{"name":"ok","artifact_location":"s3://bucket/prefix/"}`); status != 200 {
				t.Errorf("a normalised artifact_location = %d %s", status, body)
			}
		})
	}
}

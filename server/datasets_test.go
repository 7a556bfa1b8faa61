package server_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestEvaluationDatasetFlow makes the calls mlflow.genai.datasets makes
// (MLflow 3.6's RestStore): create, get, merge_records, records paged, tags,
// search, experiment ids, delete.
func TestEvaluationDatasetFlow(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			srv := httptest.NewServer(newServerOn(t, b.open(t)).Handler())
			defer srv.Close()
			const js = "application/json"
			do := func(method, path, body string, want int) string {
				t.Helper()
				status, out := call(t, srv.URL, method, "/api/3.0/mlflow/datasets"+path, js, body)
				if status != want {
					t.Fatalf("%s %s: %d %s, want %d", method, path, status, out, want)
				}
				return out
			}
			st, out := call(t, srv.URL, "POST", "/api/2.0/mlflow/experiments/create", js, `{"name": "genai"}`)
			var exp struct {
				ExperimentID string `json:"experiment_id"`
			}
			if err := json.Unmarshal([]byte(out), &exp); st != 200 || err != nil {
				t.Fatalf("experiments/create: %d %s", st, out)
			}
			var created struct {
				Dataset struct {
					DatasetID     string   `json:"dataset_id"`
					Name          string   `json:"name"`
					Tags          string   `json:"tags"`
					Profile       string   `json:"profile"`
					CreatedBy     string   `json:"created_by"`
					CreatedTime   int64    `json:"created_time"`
					ExperimentIDs []string `json:"experiment_ids"`
				}
			}
			out = do("POST", "/create", `{"name": "qa", "experiment_ids": ["`+exp.ExperimentID+`"], "tags": "{\"mlflow.user\": \"ann\", \"team\": \"x\"}"}`, 200)
			if err := json.Unmarshal([]byte(out), &created); err != nil {
				t.Fatal(err)
			}
			d := created.Dataset
			if !strings.HasPrefix(d.DatasetID, "d-") || d.Name != "qa" || d.CreatedBy != "ann" || d.CreatedTime == 0 ||
				len(d.ExperimentIDs) != 1 || d.ExperimentIDs[0] != exp.ExperimentID || !strings.Contains(d.Tags, `"team":"x"`) {
				t.Errorf("created %s", out)
			}
			id := d.DatasetID
			if out = do("GET", "/"+id, "", 200); !strings.Contains(out, `"qa"`) {
				t.Errorf("get: %s", out)
			}
			records, _ := json.Marshal([]map[string]any{
				{"inputs": map[string]any{"question": "2+2?"}, "expectations": map[string]any{"answer": "4"}},
				{"inputs": map[string]any{"question": "capital of France?"}, "source": map[string]any{"source_type": "TRACE", "source_data": map[string]any{"trace_id": "tr-1"}}},
			})
			body, _ := json.Marshal(map[string]string{"records": string(records)})
			if out = do("POST", "/"+id+"/records", string(body), 200); !strings.Contains(out, `"inserted_count": 2`) || !strings.Contains(out, `"updated_count": 0`) {
				t.Errorf("upsert: %s", out)
			}
			records, _ = json.Marshal([]map[string]any{{"inputs": map[string]any{"question": "2+2?"}, "expectations": map[string]any{"style": "terse"}}})
			body, _ = json.Marshal(map[string]string{"records": string(records)})
			if out = do("POST", "/"+id+"/records", string(body), 200); !strings.Contains(out, `"inserted_count": 0`) || !strings.Contains(out, `"updated_count": 1`) {
				t.Errorf("merge: %s", out)
			}
			var page struct {
				Records       string `json:"records"`
				NextPageToken string `json:"next_page_token"`
			}
			if err := json.Unmarshal([]byte(do("GET", "/"+id+"/records?max_results=1", "", 200)), &page); err != nil || page.NextPageToken == "" {
				t.Fatalf("records page: %+v %v", page, err)
			}
			var recs []map[string]any
			if err := json.Unmarshal([]byte(page.Records), &recs); err != nil || len(recs) != 1 {
				t.Fatalf("records %q: %v", page.Records, err)
			}
			r := recs[0]
			exps, _ := r["expectations"].(map[string]any)
			if !strings.HasPrefix(r["dataset_record_id"].(string), "dr-") || r["dataset_id"] != id || exps["answer"] != "4" || exps["style"] != "terse" ||
				r["created_time"] == nil || r["last_update_time"] == nil {
				t.Errorf("record %v", r)
			}
			out = do("GET", "/"+id+"/records?max_results=1&page_token="+page.NextPageToken, "", 200)
			page.NextPageToken, recs = "", nil
			if err := json.Unmarshal([]byte(out), &page); err != nil {
				t.Fatal(err)
			}
			_ = json.Unmarshal([]byte(page.Records), &recs)
			if len(recs) == 1 && recs[0]["expectations"] != nil {
				t.Errorf("a record without expectations got %v", recs[0]["expectations"])
			}
			if len(recs) != 1 || recs[0]["source_id"] != "tr-1" || recs[0]["source_type"] != "TRACE" || page.NextPageToken != "" {
				t.Errorf("page 2: %v, next %q", recs, page.NextPageToken)
			}
			do("PATCH", "/"+id+"/tags", `{"tags": "{\"stage\": \"dev\"}"}`, 200)
			do("DELETE", "/"+id+"/tags/team", "", 200)
			if out = do("GET", "/"+id, "", 200); !strings.Contains(out, `stage`) || strings.Contains(out, `team`) || !strings.Contains(out, `num_records\": 2`) {
				t.Errorf("after tags: %s", out)
			}
			do("POST", "/create", `{"name": "other"}`, 200)
			for _, tt := range []struct{ body, want, not string }{
				{`{"experiment_ids": ["` + exp.ExperimentID + `"]}`, `"qa"`, `"other"`},
				{`{"filter_string": "name LIKE 'ot%'"}`, `"other"`, `"qa"`},
				{`{"filter_string": "tags.stage = 'dev'"}`, `"qa"`, `"other"`},
				{`{"order_by": ["name ASC"], "max_results": 1}`, `"other"`, `"qa"`},
			} {
				if out = do("POST", "/search", tt.body, 200); !strings.Contains(out, tt.want) || strings.Contains(out, tt.not) {
					t.Errorf("search %s: %s", tt.body, out)
				}
			}
			if out = do("GET", "/"+id+"/experiment-ids", "", 200); !strings.Contains(out, `"`+exp.ExperimentID+`"`) {
				t.Errorf("experiment ids: %s", out)
			}
			// Client mistakes are 400, missing datasets 404.
			for _, tt := range []struct{ method, path, body string }{
				{"POST", "/create", `{}`},
				{"POST", "/create", `{"name": "x", "tags": "not json"}`},
				{"POST", "/" + id + "/records", `{"records": "[{\"inputs\": 1}]"}`},
				{"POST", "/" + id + "/records", `{"records": "nope"}`},
				{"POST", "/search", `{"filter_string": "foo.bar = 1"}`},
				{"POST", "/search", `{"order_by": ["digest"]}`},
				{"GET", "/" + id + "/records?page_token=x", ``},
			} {
				if status, out := call(t, srv.URL, tt.method, "/api/3.0/mlflow/datasets"+tt.path, js, tt.body); status != 400 || errorCode(t, out) != "INVALID_PARAMETER_VALUE" {
					t.Errorf("%s %s %s: %d %s, want 400", tt.method, tt.path, tt.body, status, out)
				}
			}
			do("DELETE", "/"+id, "", 200)
			if out = do("GET", "/"+id, "", 404); errorCode(t, out) != "RESOURCE_DOES_NOT_EXIST" {
				t.Errorf("deleted: %s", out)
			}
			do("GET", "/"+id+"/records", "", 404)
		})
	}
}

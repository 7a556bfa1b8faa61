package server_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDatasetDeleteRecords: DELETE /datasets/{id}/records (MLflow's
// DeleteDatasetRecords, as its UI sends it: a JSON body with
// dataset_record_ids) deletes the named records, counts only those the
// dataset had, and updates the dataset's profile; bad input is a 4xx.
func TestDatasetDeleteRecords(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			srv := httptest.NewServer(newServerOn(t, b.open(t)).Handler())
			defer srv.Close()
			const js = "application/json"
			st, out := call(t, srv.URL, "POST", "/api/3.0/mlflow/datasets/create", js, `{"name": "qa"}`)
			var created struct {
				Dataset struct {
					DatasetID string `json:"dataset_id"`
				}
			}
			if err := json.Unmarshal([]byte(out), &created); st != 200 || err != nil {
				t.Fatalf("datasets/create: %d %s", st, out)
			}
			id := created.Dataset.DatasetID
			records, _ := json.Marshal([]map[string]any{{"inputs": map[string]any{"q": 1}}, {"inputs": map[string]any{"q": 2}}, {"inputs": map[string]any{"q": 3}}})
			body, _ := json.Marshal(map[string]string{"records": string(records)})
			if st, out := call(t, srv.URL, "POST", "/api/3.0/mlflow/datasets/"+id+"/records", js, string(body)); st != 200 {
				t.Fatalf("records: %d %s", st, out)
			}
			recordIDs := func() []string {
				st, out := call(t, srv.URL, "GET", "/api/3.0/mlflow/datasets/"+id+"/records", js, "")
				var r struct {
					Records string `json:"records"`
				}
				var recs []struct {
					ID string `json:"dataset_record_id"`
				}
				if err := json.Unmarshal([]byte(out), &r); st != 200 || err != nil {
					t.Fatalf("get records: %d %s", st, out)
				}
				if err := json.Unmarshal([]byte(r.Records), &recs); err != nil {
					t.Fatalf("records %q: %v", r.Records, err)
				}
				var ids []string
				for _, rec := range recs {
					ids = append(ids, rec.ID)
				}
				return ids
			}
			ids := recordIDs()
			if len(ids) != 3 {
				t.Fatalf("records %v, want 3", ids)
			}
			tests := []struct {
				name, path, body string
				status           int
				want             string // a substring of the answer
			}{
				{"one record and one unknown", "/" + id + "/records", `{"dataset_id": "` + id + `", "dataset_record_ids": ["` + ids[0] + `", "dr-unknown"]}`, 200, `"deleted_count":1`},
				{"the same record again", "/" + id + "/records", `{"dataset_record_ids": ["` + ids[0] + `"]}`, 200, `"deleted_count":0`},
				{"no record ids", "/" + id + "/records", `{}`, 400, `"INVALID_PARAMETER_VALUE"`},
				{"body names another dataset", "/" + id + "/records", `{"dataset_id": "d-other", "dataset_record_ids": ["` + ids[1] + `"]}`, 400, `"INVALID_PARAMETER_VALUE"`},
				{"malformed body", "/" + id + "/records", `{"dataset_record_ids": "` + ids[1] + `"}`, 400, `"INVALID_PARAMETER_VALUE"`},
				{"unknown dataset", "/d-00000000000000000000000000000000/records", `{"dataset_record_ids": ["` + ids[1] + `"]}`, 404, `"RESOURCE_DOES_NOT_EXIST"`},
			}
			for _, tt := range tests {
				st, out := call(t, srv.URL, "DELETE", "/api/3.0/mlflow/datasets"+tt.path, js, tt.body)
				if st != tt.status || !strings.Contains(strings.ReplaceAll(out, " ", ""), tt.want) {
					t.Errorf("%s: %d %s, want %d %s", tt.name, st, out, tt.status, tt.want)
				}
			}
			if got := recordIDs(); len(got) != 2 || got[0] != ids[1] || got[1] != ids[2] {
				t.Errorf("records after %v, want %v", got, ids[1:])
			}
			st, out = call(t, srv.URL, "GET", "/api/3.0/mlflow/datasets/"+id, js, "")
			if st != 200 || !strings.Contains(out, `num_records\": 2`) {
				t.Errorf("the dataset's profile after: %d %s", st, out)
			}
		})
	}
}

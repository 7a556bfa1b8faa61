package server_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDatasetExperimentsAddRemove: POST /datasets/{id}/add-experiments and
// /remove-experiments (MLflow's add_dataset_to_experiments and
// remove_dataset_from_experiments) answer the dataset with its experiments;
// bad input is a 4xx naming the parameter.
func TestDatasetExperimentsAddRemove(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			srv := httptest.NewServer(newServerOn(t, b.open(t)).Handler())
			defer srv.Close()
			const js = "application/json"
			newExp := func(name string) string {
				st, out := call(t, srv.URL, "POST", "/api/2.0/mlflow/experiments/create", js, `{"name": "`+name+`"}`)
				var e struct {
					ExperimentID string `json:"experiment_id"`
				}
				if err := json.Unmarshal([]byte(out), &e); st != 200 || err != nil {
					t.Fatalf("experiments/create: %d %s", st, out)
				}
				return e.ExperimentID
			}
			e1, e2, e3 := newExp("one"), newExp("two"), newExp("three")
			st, out := call(t, srv.URL, "POST", "/api/3.0/mlflow/datasets/create", js, `{"name": "qa", "experiment_ids": ["`+e1+`"]}`)
			var created struct {
				Dataset struct {
					DatasetID string `json:"dataset_id"`
				}
			}
			if err := json.Unmarshal([]byte(out), &created); st != 200 || err != nil {
				t.Fatalf("datasets/create: %d %s", st, out)
			}
			id := created.Dataset.DatasetID
			experiments := func(out string) string {
				var r struct {
					Dataset struct {
						ExperimentIDs []string `json:"experiment_ids"`
					}
				}
				if err := json.Unmarshal([]byte(out), &r); err != nil {
					t.Fatalf("%v: %s", err, out)
				}
				return strings.Join(r.Dataset.ExperimentIDs, ",")
			}
			tests := []struct {
				name, path, body string
				status           int
				code, want       string // want: the dataset's experiments after
			}{
				{"add two, one already linked", "/" + id + "/add-experiments", `{"experiment_ids": ["` + e1 + `", "` + e2 + `", "` + e3 + `", "` + e2 + `"]}`, 200, "", e1 + "," + e2 + "," + e3},
				{"remove one and one not linked", "/" + id + "/remove-experiments", `{"dataset_id": "` + id + `", "experiment_ids": ["` + e2 + `", "999"]}`, 200, "", e1 + "," + e3},
				{"add an unknown experiment", "/" + id + "/add-experiments", `{"experiment_ids": ["999"]}`, 404, "RESOURCE_DOES_NOT_EXIST", ""},
				{"add a malformed experiment id (MLflow: no such experiment)", "/" + id + "/add-experiments", `{"experiment_ids": ["x"]}`, 404, "RESOURCE_DOES_NOT_EXIST", ""},
				{"remove a malformed experiment id", "/" + id + "/remove-experiments", `{"experiment_ids": ["x"]}`, 404, "RESOURCE_DOES_NOT_EXIST", ""},
				{"no experiment ids", "/" + id + "/add-experiments", `{}`, 400, "INVALID_PARAMETER_VALUE", ""},
				{"body names another dataset", "/" + id + "/remove-experiments", `{"dataset_id": "d-other", "experiment_ids": ["` + e1 + `"]}`, 400, "INVALID_PARAMETER_VALUE", ""},
				{"unknown dataset", "/d-00000000000000000000000000000000/add-experiments", `{"experiment_ids": ["` + e1 + `"]}`, 404, "RESOURCE_DOES_NOT_EXIST", ""},
				{"unknown dataset, remove", "/d-00000000000000000000000000000000/remove-experiments", `{"experiment_ids": ["` + e1 + `"]}`, 404, "RESOURCE_DOES_NOT_EXIST", ""},
				{"malformed body", "/" + id + "/add-experiments", `{"experiment_ids": "` + e1 + `"}`, 400, "INVALID_PARAMETER_VALUE", ""},
			}
			for _, tt := range tests {
				st, out := call(t, srv.URL, "POST", "/api/3.0/mlflow/datasets"+tt.path, js, tt.body)
				if st != tt.status || tt.code != "" && !strings.Contains(out, `"`+tt.code+`"`) {
					t.Errorf("%s: %d %s, want %d %s", tt.name, st, out, tt.status, tt.code)
					continue
				}
				if tt.want != "" {
					if got := experiments(out); got != tt.want {
						t.Errorf("%s: experiments %s, want %s", tt.name, got, tt.want)
					}
				}
			}
			// A failed add changed nothing.
			st, out = call(t, srv.URL, "GET", "/api/3.0/mlflow/datasets/"+id+"/experiment-ids", js, "")
			if st != 200 || !strings.Contains(out, `"`+e1+`"`) || !strings.Contains(out, `"`+e3+`"`) || strings.Contains(out, `"`+e2+`"`) {
				t.Errorf("experiment-ids after: %d %s", st, out)
			}
		})
	}
}

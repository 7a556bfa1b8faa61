package mlflowrest_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
)

func TestParseDatasetRecords(t *testing.T) {
	for _, tt := range []struct {
		name, in, err string
		check         func(t *testing.T, rs []mlflowrest.DatasetRecord)
	}{
		{"plain", `[{"inputs": {"q": "2+2"}, "expectations": {"answer": "4"}, "tags": {"k": "v"}}]`, "", func(t *testing.T, rs []mlflowrest.DatasetRecord) {
			if len(rs) != 1 || string(rs[0].Expectations) != `{"answer": "4"}` || rs[0].Tags["k"] != "v" {
				t.Errorf("%+v", rs)
			}
		}},
		{"trace source", `[{"inputs": {}, "source": {"source_type": "TRACE", "source_data": {"trace_id": "tr-1"}}}]`, "", func(t *testing.T, rs []mlflowrest.DatasetRecord) {
			if rs[0].SourceID != "tr-1" || rs[0].SourceType != "TRACE" {
				t.Errorf("%+v", rs[0])
			}
		}},
		{"human source", `[{"inputs": {"a": 1}, "source": {"source_type": "HUMAN", "source_data": {"source_id": "ann"}}}]`, "", func(t *testing.T, rs []mlflowrest.DatasetRecord) {
			if rs[0].SourceID != "ann" {
				t.Errorf("%+v", rs[0])
			}
		}},
		{"null expectations", `[{"inputs": {"a": 1}, "expectations": null}]`, "", nil},
		{"empty list", `[]`, "", nil},
		{"not JSON", `[{`, "a JSON list", nil},
		{"an object", `{"inputs": {}}`, "a JSON list", nil},
		{"no inputs", `[{"expectations": {}}]`, "Record 0: 'inputs'", nil},
		{"inputs a list", `[{"inputs": {}}, {"inputs": [1]}]`, "Record 1: 'inputs'", nil},
		{"expectations a string", `[{"inputs": {}, "expectations": "x"}]`, "'expectations'", nil},
		{"tag not a string", `[{"inputs": {}, "tags": {"k": 1}}]`, "a JSON list", nil},
		{"bad source type", `[{"inputs": {}, "source": {"source_type": "EMAIL"}}]`, "unknown source_type", nil},
		{"bad source data", `[{"inputs": {}, "source": {"source_type": "CODE", "source_data": [1]}}]`, "'source_data'", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := mlflowrest.ParseDatasetRecords(tt.in)
			if tt.err != "" {
				var re *mlflowrest.RecordsError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want a RecordsError saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, rs)
			}
		})
	}
}

// FuzzParseDatasetRecords checks that every accepted record has object
// inputs and that parsing never panics.
func FuzzParseDatasetRecords(f *testing.F) {
	f.Add(`[{"inputs": {"q": 1}, "expectations": {"a": 2}}]`)
	f.Add(`[{"inputs": {}, "source": {"source_type": "TRACE", "source_data": {"trace_id": "x"}}}]`)
	f.Add(`[{"inputs": []}]`)
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := mlflowrest.ParseDatasetRecords(s)
		if err != nil {
			var re *mlflowrest.RecordsError
			if !errors.As(err, &re) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for i, r := range rs {
			var m map[string]any
			if err := json.Unmarshal(r.Inputs, &m); err != nil || m == nil {
				t.Fatalf("record %d accepted with inputs %s", i, r.Inputs)
			}
		}
	})
}

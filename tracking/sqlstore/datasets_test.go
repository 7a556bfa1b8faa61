package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

func TestEvaluationDatasets(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		exp, err := s.CreateExperiment(ctx, "ds-exp", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := s.CreateDataset(ctx, tracking.EvalDataset{Name: "qa", Tags: map[string]string{"mlflow.user": "ann", "team": "x"},
			ExperimentIDs: []string{exp, exp}})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.ID) != 34 || d.ID[:2] != "d-" || d.CreatedBy != "ann" || len(d.ExperimentIDs) != 1 || d.ExperimentIDs[0] != exp ||
			d.Profile != `{"num_records": 0}` || d.Digest == "" {
			t.Errorf("created %+v", d)
		}
		recs := []tracking.DatasetRecord{
			{Inputs: json.RawMessage(`{"q": "2+2", "n": 1}`), Expectations: json.RawMessage(`{"answer": "4"}`)},
			{Inputs: json.RawMessage(`{"q": "capital of France"}`), Tags: map[string]string{"kind": "geo"}},
		}
		ins, upd, err := s.UpsertDatasetRecords(ctx, d.ID, recs)
		if err != nil || ins != 2 || upd != 0 {
			t.Fatalf("first upsert = %d, %d, %v", ins, upd, err)
		}
		// Same inputs, keys in another order: merged, not added.
		ins, upd, err = s.UpsertDatasetRecords(ctx, d.ID, []tracking.DatasetRecord{
			{Inputs: json.RawMessage(`{"n": 1, "q": "2+2"}`), Expectations: json.RawMessage(`{"style": "short"}`),
				Outputs: json.RawMessage(`{"text": "4"}`)},
			{Inputs: json.RawMessage(`{"q": "new"}`)},
		})
		if err != nil || ins != 1 || upd != 1 {
			t.Fatalf("second upsert = %d, %d, %v", ins, upd, err)
		}
		page, next, err := s.GetDatasetRecords(ctx, d.ID, 2, "")
		if err != nil || len(page) != 2 || next == "" {
			t.Fatalf("records page 1 = %v, %q, %v", page, next, err)
		}
		var exps map[string]string
		if err := json.Unmarshal(page[0].Expectations, &exps); err != nil || exps["answer"] != "4" || exps["style"] != "short" {
			t.Errorf("merged expectations %s", page[0].Expectations)
		}
		if string(page[0].Outputs) != `{"text": "4"}` || page[0].ID[:3] != "dr-" || page[1].Tags["kind"] != "geo" {
			t.Errorf("records %+v", page)
		}
		rest, next, err := s.GetDatasetRecords(ctx, d.ID, 2, next)
		if err != nil || len(rest) != 1 || next != "" {
			t.Fatalf("records page 2 = %v, %q, %v", rest, next, err)
		}
		got, err := s.GetDataset(ctx, d.ID)
		if err != nil || got.Profile != `{"num_records": 3}` || got.Digest == d.Digest {
			t.Errorf("after upserts: %+v, %v", got, err)
		}
		if err := s.SetDatasetTags(ctx, d.ID, map[string]string{"team": "y", "stage": "dev"}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteDatasetTag(ctx, d.ID, "mlflow.user"); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetDataset(ctx, d.ID)
		if len(got.Tags) != 2 || got.Tags["team"] != "y" || got.Tags["stage"] != "dev" {
			t.Errorf("tags %v", got.Tags)
		}
		other, err := s.CreateDataset(ctx, tracking.EvalDataset{Name: "unlinked"})
		if err != nil {
			t.Fatal(err)
		}
		if all, err := s.ListDatasets(ctx, nil); err != nil || len(all) != 2 || all[0].ID != other.ID {
			t.Errorf("ListDatasets() = %v, %v", all, err)
		}
		if linked, err := s.ListDatasets(ctx, []string{exp}); err != nil || len(linked) != 1 || linked[0].ID != d.ID {
			t.Errorf("ListDatasets(%s) = %v, %v", exp, linked, err)
		}
		if ids, err := s.GetDatasetExperimentIDs(ctx, d.ID); err != nil || len(ids) != 1 || ids[0] != exp {
			t.Errorf("experiment ids %v, %v", ids, err)
		}
		if _, _, err := s.UpsertDatasetRecords(ctx, d.ID, []tracking.DatasetRecord{{Inputs: json.RawMessage(`[1]`)}}); !isCode(err, tracking.CodeInvalidParameterValue) {
			t.Errorf("non-object inputs: %v", err)
		}
		if _, err := s.CreateDataset(ctx, tracking.EvalDataset{Name: "x", ExperimentIDs: []string{"999"}}); !isCode(err, tracking.CodeResourceDoesNotExist) {
			t.Errorf("unknown experiment: %v", err)
		}
		if err := s.DeleteDataset(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			func() error { _, err := s.GetDataset(ctx, d.ID); return err }(),
			s.DeleteDataset(ctx, d.ID),
			s.SetDatasetTags(ctx, d.ID, map[string]string{"a": "b"}),
			func() error { _, _, err := s.GetDatasetRecords(ctx, d.ID, 10, ""); return err }(),
			func() error { _, _, err := s.UpsertDatasetRecords(ctx, d.ID, recs); return err }(),
		} {
			if !isCode(err, tracking.CodeResourceDoesNotExist) {
				t.Errorf("deleted dataset: %v, want RESOURCE_DOES_NOT_EXIST", err)
			}
		}
	})
}

func isCode(err error, code tracking.ErrorCode) bool {
	var te *tracking.Error
	return errors.As(err, &te) && te.Code == code
}

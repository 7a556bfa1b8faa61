package sqlstore_test

import (
	"context"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

func TestDefaultExperiment(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		e, err := s.GetExperiment(context.Background(), "0")
		if err != nil {
			t.Fatal(err)
		}
		if e.Name != "Default" || e.ArtifactLocation != "mlflow-artifacts:/0" || e.LifecycleStage != "active" {
			t.Errorf("default experiment = %+v", e)
		}
	})
}

func TestExperiments(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		idA := mustExperiment(t, s, "conf-exp-A")
		if idA != "1" {
			t.Errorf("first experiment id = %s, want 1", idA)
		}
		idB := mustExperiment(t, s, "conf-exp-B", tracking.Tag{Key: "team", Value: "ml-platform"}, tracking.Tag{Key: "purpose", Value: "conformance"})

		tests := []struct {
			name string
			call func() error
			code tracking.ErrorCode
			msg  string
		}{
			{"duplicate", func() error { _, err := s.CreateExperiment(ctx, "conf-exp-B", "", nil); return err },
				tracking.CodeResourceAlreadyExists, "Experiment(name=conf-exp-B) already exists."},
			{"empty name", func() error { _, err := s.CreateExperiment(ctx, "", "", nil); return err },
				tracking.CodeInvalidParameterValue, "Invalid experiment name: ''"},
			{"missing id", func() error { _, err := s.GetExperiment(ctx, "999999"); return err },
				tracking.CodeResourceDoesNotExist, "No Experiment with id=999999 exists"},
			{"non-numeric id", func() error { _, err := s.GetExperiment(ctx, "abc"); return err },
				tracking.CodeResourceDoesNotExist, "No Experiment with id=abc exists"},
			{"missing name", func() error { _, err := s.GetExperimentByName(ctx, "does-not-exist"); return err },
				tracking.CodeResourceDoesNotExist, "Could not find experiment with name 'does-not-exist'"},
			{"set tag", func() error { return s.SetExperimentTag(ctx, idB, tracking.Tag{Key: "owner", Value: "alice"}) }, "", ""},
			{"set tag overwrite", func() error { return s.SetExperimentTag(ctx, idB, tracking.Tag{Key: "owner", Value: "alice"}) }, "", ""},
			{"bad tag key", func() error { return s.SetExperimentTag(ctx, idB, tracking.Tag{Key: "bad key!", Value: "x"}) },
				tracking.CodeInvalidParameterValue, ""},
			{"delete missing tag", func() error { return s.DeleteExperimentTag(ctx, idB, "nope") }, tracking.CodeResourceDoesNotExist, ""},
			{"delete default", func() error { return s.DeleteExperiment(ctx, "0") }, tracking.CodeInvalidParameterValue, ""},
			{"rename onto existing", func() error { return s.RenameExperiment(ctx, idB, "conf-exp-A") }, tracking.CodeResourceAlreadyExists, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if tt.msg != "" {
					wantMessage(t, err, tt.code, tt.msg)
				} else {
					wantCode(t, err, tt.code)
				}
			})
		}

		e, err := s.GetExperiment(ctx, idB)
		if err != nil {
			t.Fatal(err)
		}
		want := []tracking.Tag{{Key: "team", Value: "ml-platform"}, {Key: "purpose", Value: "conformance"}, {Key: "owner", Value: "alice"}}
		if len(e.Tags) != 3 || e.Tags[0] != want[0] || e.Tags[1] != want[1] || e.Tags[2] != want[2] {
			t.Errorf("tags = %v, want %v", e.Tags, want)
		}
		if e.ArtifactLocation != "mlflow-artifacts:/"+idB {
			t.Errorf("artifact location = %s", e.ArtifactLocation)
		}

		// Delete, get by name (still found, deleted), restore, rename.
		if err := s.DeleteExperiment(ctx, idB); err != nil {
			t.Fatal(err)
		}
		e, err = s.GetExperimentByName(ctx, "conf-exp-B")
		if err != nil || e.LifecycleStage != tracking.LifecycleDeleted || e.LastUpdateTime <= e.CreationTime {
			t.Fatalf("deleted experiment = %+v, %v", e, err)
		}
		wantCode(t, s.RenameExperiment(ctx, idB, "x"), tracking.CodeInvalidParameterValue)
		if err := s.RestoreExperiment(ctx, idB); err != nil {
			t.Fatal(err)
		}
		if err := s.RenameExperiment(ctx, idB, "conf-exp-B2"); err != nil {
			t.Fatal(err)
		}
		if e, err := s.GetExperiment(ctx, idB); err != nil || e.Name != "conf-exp-B2" || e.LifecycleStage != "active" {
			t.Fatalf("renamed = %+v, %v", e, err)
		}
		if err := s.DeleteExperimentTag(ctx, idB, "owner"); err != nil {
			t.Fatal(err)
		}
		// Explicit artifact location is kept.
		id, err := s.CreateExperiment(ctx, "explicit", "s3://bucket/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		if e, _ := s.GetExperiment(ctx, id); e.ArtifactLocation != "s3://bucket/x" {
			t.Errorf("artifact location = %s", e.ArtifactLocation)
		}
	})
}

func TestSearchExperiments(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		mustExperiment(t, s, "conf-exp-A")
		b := mustExperiment(t, s, "conf-exp-B", tracking.Tag{Key: "team", Value: "ml-platform"})
		c := mustExperiment(t, s, "other")
		if err := s.DeleteExperiment(ctx, c); err != nil {
			t.Fatal(err)
		}
		names := func(p *tracking.ExperimentPage) []string {
			var out []string
			for _, e := range p.Experiments {
				out = append(out, e.Name)
			}
			return out
		}
		tests := []struct {
			name  string
			q     tracking.ExperimentQuery
			want  []string
			token bool
			code  tracking.ErrorCode
		}{
			{name: "active, newest first", q: tracking.ExperimentQuery{MaxResults: 1000},
				want: []string{"conf-exp-B", "conf-exp-A", "Default"}},
			{name: "all", q: tracking.ExperimentQuery{MaxResults: 1000, ViewType: tracking.ViewAll},
				want: []string{"other", "conf-exp-B", "conf-exp-A", "Default"}},
			{name: "deleted", q: tracking.ExperimentQuery{MaxResults: 1000, ViewType: tracking.ViewDeletedOnly}, want: []string{"other"}},
			{name: "like, name desc", q: tracking.ExperimentQuery{MaxResults: 1000,
				Filter:  tracking.Filter{Comparisons: []tracking.Comparison{{Kind: "attribute", Key: "name", Op: "LIKE", Value: "conf-%"}}},
				OrderBy: []tracking.OrderBy{{Kind: "attribute", Key: "name"}}},
				want: []string{"conf-exp-B", "conf-exp-A"}},
			{name: "like is case-sensitive", q: tracking.ExperimentQuery{MaxResults: 10,
				Filter: tracking.Filter{Comparisons: []tracking.Comparison{{Kind: "attribute", Key: "name", Op: "LIKE", Value: "CONF-%"}}}}},
			{name: "ilike", q: tracking.ExperimentQuery{MaxResults: 10,
				Filter: tracking.Filter{Comparisons: []tracking.Comparison{{Kind: "attribute", Key: "name", Op: "ILIKE", Value: "CONF-EXP-a"}}}},
				want: []string{"conf-exp-A"}},
			{name: "tag", q: tracking.ExperimentQuery{MaxResults: 10,
				Filter: tracking.Filter{Comparisons: []tracking.Comparison{{Kind: "tag", Key: "team", Op: "=", Value: "ml-platform"}}}},
				want: []string{"conf-exp-B"}},
			{name: "page 1", q: tracking.ExperimentQuery{MaxResults: 1, ViewType: tracking.ViewAll}, want: []string{"other"}, token: true},
			{name: "page 2", q: tracking.ExperimentQuery{MaxResults: 1, ViewType: tracking.ViewAll, PageToken: "eyJvZmZzZXQiOiAxfQ=="},
				want: []string{"conf-exp-B"}, token: true},
			{name: "zero max_results", q: tracking.ExperimentQuery{}, code: tracking.CodeInvalidParameterValue},
			{name: "bad token", q: tracking.ExperimentQuery{MaxResults: 1, PageToken: "!!"}, code: tracking.CodeInvalidParameterValue},
			{name: "unknown attribute", q: tracking.ExperimentQuery{MaxResults: 1,
				Filter: tracking.Filter{Comparisons: []tracking.Comparison{{Kind: "attribute", Key: "nope", Op: "=", Value: "x"}}}},
				code: tracking.CodeInvalidParameterValue},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := s.SearchExperiments(ctx, tt.q)
				wantCode(t, err, tt.code)
				if err != nil {
					return
				}
				if got := names(p); !equalStrings(got, tt.want) {
					t.Errorf("names = %v, want %v", got, tt.want)
				}
				if (p.NextPageToken != "") != tt.token {
					t.Errorf("next page token = %q", p.NextPageToken)
				}
			})
		}
		_ = b
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCheckExperiment: CheckExperiment finds what GetExperiment finds (a
// deleted experiment too), and answers GetExperiment's errors otherwise,
// run twice so that the kept statement is used again.
func TestCheckExperiment(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		live := mustExperiment(t, s, "live")
		gone := mustExperiment(t, s, "gone")
		if err := s.DeleteExperiment(ctx, gone); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			for _, c := range []struct {
				id   string
				code tracking.ErrorCode
			}{
				{live, ""}, {gone, ""}, {"0", ""},
				{"987654", tracking.CodeResourceDoesNotExist},
				{"abc", tracking.CodeResourceDoesNotExist},
			} {
				err := s.CheckExperiment(ctx, c.id)
				wantCode(t, err, c.code)
				_, gerr := s.GetExperiment(ctx, c.id)
				if (err == nil) != (gerr == nil) {
					t.Errorf("experiment %q: CheckExperiment %v, GetExperiment %v", c.id, err, gerr)
				}
			}
		}
	})
}

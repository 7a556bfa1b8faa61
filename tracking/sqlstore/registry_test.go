package sqlstore_test

import (
	"context"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

func versionsOf(vs []tracking.ModelVersion) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Version+":"+v.CurrentStage)
	}
	return out
}

func TestRegistry(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		run := mustRun(t, s, "0")
		src := run.Info.ArtifactURI + "/model"
		m, err := s.CreateRegisteredModel(ctx, "iris-conf", "Iris classifier", []tracking.Tag{{Key: "team", Value: "ml"}, {Key: "task", Value: "classification"}})
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != "iris-conf" || m.Description != "Iris classifier" || len(m.Tags) != 2 || m.CreationTimestamp == 0 {
			t.Errorf("created = %+v", m)
		}
		_, err = s.CreateRegisteredModel(ctx, "iris-conf", "", nil)
		wantMessage(t, err, tracking.CodeResourceAlreadyExists, "Registered Model (name=iris-conf) already exists.")

		for i := 1; i <= 3; i++ {
			v, err := s.CreateModelVersion(ctx, tracking.CreateModelVersion{Name: "iris-conf", Source: src, RunID: run.Info.RunID,
				Tags: []tracking.Tag{{Key: "origin", Value: "test"}}, Description: "v"})
			if err != nil {
				t.Fatal(err)
			}
			if v.Version != []string{"", "1", "2", "3"}[i] || v.CurrentStage != "None" || v.Status != "READY" || len(v.Tags) != 1 {
				t.Errorf("version %d = %+v", i, v)
			}
		}

		tests := []struct {
			name string
			call func() error
			code tracking.ErrorCode
			msg  string
		}{
			{"version of missing model", func() error {
				_, err := s.CreateModelVersion(ctx, tracking.CreateModelVersion{Name: "no-such-model", Source: src})
				return err
			}, tracking.CodeResourceDoesNotExist, "Registered Model with name=no-such-model not found"},
			{"local source", func() error {
				_, err := s.CreateModelVersion(ctx, tracking.CreateModelVersion{Name: "iris-conf", Source: "/etc", RunID: run.Info.RunID})
				return err
			}, tracking.CodeInvalidParameterValue, "Invalid model version source: '/etc'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id."},
			{"file source", func() error {
				_, err := s.CreateModelVersion(ctx, tracking.CreateModelVersion{Name: "iris-conf", Source: "file:///tmp/x"})
				return err
			}, tracking.CodeInvalidParameterValue, ""},
			{"missing version", func() error { _, err := s.GetModelVersion(ctx, "iris-conf", "99"); return err },
				tracking.CodeResourceDoesNotExist, "Model Version (name=iris-conf, version=99) not found"},
			{"non-numeric version", func() error { _, err := s.GetModelVersion(ctx, "iris-conf", "abc"); return err },
				tracking.CodeInvalidParameterValue, "Model version must be an integer, got 'abc'"},
			{"missing model", func() error { _, err := s.GetRegisteredModel(ctx, "no-such-model"); return err },
				tracking.CodeResourceDoesNotExist, "Registered Model with name=no-such-model not found"},
			{"alias", func() error { return s.SetRegisteredModelAlias(ctx, "iris-conf", "champion", "1") }, "", ""},
			{"alias to missing version", func() error { return s.SetRegisteredModelAlias(ctx, "iris-conf", "prod", "99") },
				tracking.CodeResourceDoesNotExist, "Model Version (name=iris-conf, version=99) not found"},
			{"alias latest", func() error { return s.SetRegisteredModelAlias(ctx, "iris-conf", "Latest", "1") },
				tracking.CodeInvalidParameterValue, "'latest' alias name (case insensitive) is reserved."},
			{"alias v1", func() error { return s.SetRegisteredModelAlias(ctx, "iris-conf", "v1", "1") },
				tracking.CodeInvalidParameterValue, "Version alias name 'v1' is reserved."},
			{"alias bad chars", func() error { return s.SetRegisteredModelAlias(ctx, "iris-conf", "a b", "1") },
				tracking.CodeInvalidParameterValue, ""},
			{"delete missing alias", func() error { return s.DeleteRegisteredModelAlias(ctx, "iris-conf", "nope") }, "", ""},
			{"missing alias", func() error { _, err := s.GetModelVersionByAlias(ctx, "iris-conf", "nope"); return err },
				tracking.CodeInvalidParameterValue, "Registered model alias nope not found."},
			{"bad stage", func() error {
				_, err := s.TransitionModelVersionStage(ctx, "iris-conf", "3", "Bogus", false)
				return err
			}, tracking.CodeInvalidParameterValue, "Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived."},
			{"version tag", func() error {
				return s.SetModelVersionTag(ctx, "iris-conf", "1", tracking.Tag{Key: "validated", Value: "true"})
			}, "", ""},
			{"version tag delete", func() error { return s.DeleteModelVersionTag(ctx, "iris-conf", "1", "origin") }, "", ""},
			{"model tag", func() error {
				return s.SetRegisteredModelTag(ctx, "iris-conf", tracking.Tag{Key: "owner", Value: "alice"})
			}, "", ""},
			{"model tag delete", func() error { return s.DeleteRegisteredModelTag(ctx, "iris-conf", "task") }, "", ""},
			{"model tag on missing", func() error { return s.SetRegisteredModelTag(ctx, "nope", tracking.Tag{Key: "a", Value: "b"}) },
				tracking.CodeResourceDoesNotExist, ""},
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

		v, err := s.GetModelVersionByAlias(ctx, "iris-conf", "champion")
		if err != nil || v.Version != "1" || len(v.Aliases) != 1 || v.Aliases[0] != "champion" {
			t.Fatalf("by alias = %+v, %v", v, err)
		}
		if v.Tags[0] != (tracking.Tag{Key: "validated", Value: "true"}) || len(v.Tags) != 1 {
			t.Errorf("version 1 tags = %v", v.Tags)
		}
		v, err = s.UpdateModelVersion(ctx, "iris-conf", "1", "first")
		if err != nil || v.Description != "first" || v.LastUpdatedTimestamp <= v.CreationTimestamp {
			t.Errorf("updated version = %+v, %v", v, err)
		}
		m, err = s.UpdateRegisteredModel(ctx, "iris-conf", "updated")
		if err != nil || m.Description != "updated" {
			t.Fatalf("updated model = %+v, %v", m, err)
		}
		if got := versionsOf(m.LatestVersions); !equalStrings(got, []string{"3:None"}) {
			t.Errorf("latest versions = %v", got)
		}
		if len(m.Aliases) != 1 || m.Aliases[0] != (tracking.Alias{Alias: "champion", Version: "1"}) {
			t.Errorf("aliases = %v", m.Aliases)
		}

		// Stages.
		if _, err := s.TransitionModelVersionStage(ctx, "iris-conf", "2", "staging", false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TransitionModelVersionStage(ctx, "iris-conf", "3", "Production", false); err != nil {
			t.Fatal(err)
		}
		v, err = s.TransitionModelVersionStage(ctx, "iris-conf", "1", "Production", true)
		if err != nil || v.CurrentStage != "Production" || len(v.Aliases) != 1 {
			t.Fatalf("transition = %+v, %v", v, err)
		}
		_, err = s.TransitionModelVersionStage(ctx, "iris-conf", "1", "None", true)
		wantCode(t, err, tracking.CodeInvalidParameterValue)
		latest, err := s.GetLatestVersions(ctx, "iris-conf", nil)
		if got := versionsOf(latest); err != nil || !equalStrings(got, []string{"1:Production", "2:Staging", "3:Archived"}) {
			t.Errorf("latest = %v, %v", got, err)
		}
		latest, err = s.GetLatestVersions(ctx, "iris-conf", []string{"STAGING"})
		if got := versionsOf(latest); err != nil || !equalStrings(got, []string{"2:Staging"}) {
			t.Errorf("latest staging = %v, %v", got, err)
		}
		latest, err = s.GetLatestVersions(ctx, "iris-conf", []string{"None"})
		if err != nil || len(latest) != 0 {
			t.Errorf("latest None = %v, %v", latest, err)
		}
		_, err = s.GetLatestVersions(ctx, "nope", nil)
		wantCode(t, err, tracking.CodeResourceDoesNotExist)

		// Rename carries versions, tags and aliases.
		if _, err := s.CreateRegisteredModel(ctx, "setosa-only", "", nil); err != nil {
			t.Fatal(err)
		}
		_, err = s.RenameRegisteredModel(ctx, "iris-conf", "setosa-only")
		wantCode(t, err, tracking.CodeResourceAlreadyExists)
		m, err = s.RenameRegisteredModel(ctx, "iris-conf", "iris-renamed")
		if err != nil || m.Name != "iris-renamed" || len(m.LatestVersions) != 3 || len(m.Aliases) != 1 || len(m.Tags) != 2 {
			t.Fatalf("renamed = %+v, %v", m, err)
		}
		for _, lv := range m.LatestVersions {
			if lv.Name != "iris-renamed" || lv.LastUpdatedTimestamp != m.LastUpdatedTimestamp {
				t.Errorf("renamed version = %+v", lv)
			}
		}
		if v, err := s.GetModelVersionByAlias(ctx, "iris-renamed", "champion"); err != nil || v.Version != "1" {
			t.Errorf("alias after rename = %+v, %v", v, err)
		}
		uri, err := s.GetModelVersionDownloadURI(ctx, "iris-renamed", "2")
		if err != nil || uri != src {
			t.Errorf("download uri = %q, %v", uri, err)
		}
		v, err = s.CreateModelVersion(ctx, tracking.CreateModelVersion{Name: "iris-renamed", Source: "runs:/" + run.Info.RunID + "/model"})
		if err != nil {
			t.Fatal(err)
		}
		if uri, err := s.GetModelVersionDownloadURI(ctx, "iris-renamed", v.Version); err != nil || uri != src {
			t.Errorf("runs:/ download uri = %q, %v; want %q", uri, err, src)
		}

		// Delete a version: gone, number not reused, aliases dropped.
		if err := s.DeleteModelVersion(ctx, "iris-renamed", "1"); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetModelVersion(ctx, "iris-renamed", "1")
		wantCode(t, err, tracking.CodeResourceDoesNotExist)
		wantCode(t, s.DeleteModelVersion(ctx, "iris-renamed", "1"), tracking.CodeResourceDoesNotExist)
		if m, _ := s.GetRegisteredModel(ctx, "iris-renamed"); len(m.Aliases) != 0 {
			t.Errorf("aliases after version delete = %v", m.Aliases)
		}
		v, _ = s.CreateModelVersion(ctx, tracking.CreateModelVersion{Name: "iris-renamed", Source: src})
		if v.Version != "5" {
			t.Errorf("next version = %s, want 5", v.Version)
		}

		if err := s.DeleteRegisteredModel(ctx, "iris-renamed"); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetRegisteredModel(ctx, "iris-renamed")
		wantCode(t, err, tracking.CodeResourceDoesNotExist)
		wantCode(t, s.DeleteRegisteredModel(ctx, "iris-renamed"), tracking.CodeResourceDoesNotExist)
	})
}

func TestRegistrySearch(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		for _, n := range []string{"iris-conf", "iris-other", "setosa-only"} {
			if _, err := s.CreateRegisteredModel(ctx, n, "", nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetRegisteredModelTag(ctx, "iris-conf", tracking.Tag{Key: "owner", Value: "alice"}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if _, err := s.CreateModelVersion(ctx, tracking.CreateModelVersion{Name: "iris-conf", Source: "s3://b/m", RunID: "r1"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateModelVersion(ctx, tracking.CreateModelVersion{Name: "iris-other", Source: "s3://b/o", RunID: "r2"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetModelVersionTag(ctx, "iris-conf", "1", tracking.Tag{Key: "validated", Value: "true"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateModelVersion(ctx, "iris-conf", "1", "touched"); err != nil {
			t.Fatal(err)
		}

		modelTests := []struct {
			name  string
			q     tracking.ModelQuery
			want  []string
			token bool
			code  tracking.ErrorCode
		}{
			{name: "like", q: tracking.ModelQuery{MaxResults: 100, Filter: tracking.Filter{Comparisons: []tracking.Comparison{cmp("attribute", "name", "LIKE", "iris%")}}},
				want: []string{"iris-conf", "iris-other"}},
			{name: "name desc page", q: tracking.ModelQuery{MaxResults: 1, OrderBy: []tracking.OrderBy{{Kind: "attribute", Key: "name"}}},
				want: []string{"setosa-only"}, token: true},
			{name: "tag", q: tracking.ModelQuery{MaxResults: 100, Filter: tracking.Filter{Comparisons: []tracking.Comparison{cmp("tag", "owner", "=", "alice")}}},
				want: []string{"iris-conf"}},
			{name: "too many", q: tracking.ModelQuery{MaxResults: 1001}, code: tracking.CodeInvalidParameterValue},
		}
		for _, tt := range modelTests {
			t.Run("models/"+tt.name, func(t *testing.T) {
				p, err := s.SearchRegisteredModels(ctx, tt.q)
				wantCode(t, err, tt.code)
				if err != nil {
					return
				}
				var got []string
				for _, m := range p.RegisteredModels {
					got = append(got, m.Name)
				}
				if !equalStrings(got, tt.want) || (p.NextPageToken != "") != tt.token {
					t.Errorf("models = %v (token %q), want %v", got, p.NextPageToken, tt.want)
				}
			})
		}

		versionTests := []struct {
			name  string
			q     tracking.ModelQuery
			want  []string
			token bool
			code  tracking.ErrorCode
		}{
			{name: "by name, last updated first", q: tracking.ModelQuery{MaxResults: 10000,
				Filter: tracking.Filter{Comparisons: []tracking.Comparison{cmp("attribute", "name", "=", "iris-conf")}}},
				want: []string{"iris-conf/1", "iris-conf/3", "iris-conf/2"}},
			{name: "name and tag", q: tracking.ModelQuery{MaxResults: 10000,
				Filter: tracking.Filter{Comparisons: []tracking.Comparison{cmp("attribute", "name", "=", "iris-conf"), cmp("tag", "validated", "=", "true")}}},
				want: []string{"iris-conf/1"}},
			{name: "run id, version desc, page", q: tracking.ModelQuery{MaxResults: 2,
				Filter:  tracking.Filter{Comparisons: []tracking.Comparison{cmp("attribute", "run_id", "=", "r1")}},
				OrderBy: []tracking.OrderBy{{Kind: "attribute", Key: "version_number"}}},
				want: []string{"iris-conf/3", "iris-conf/2"}, token: true},
			{name: "version number", q: tracking.ModelQuery{MaxResults: 10,
				Filter: tracking.Filter{Comparisons: []tracking.Comparison{cmp("attribute", "name", "=", "iris-conf"), cmp("attribute", "version_number", ">", 1.5)}}},
				want: []string{"iris-conf/3", "iris-conf/2"}},
			{name: "too many", q: tracking.ModelQuery{MaxResults: 200001}, code: tracking.CodeInvalidParameterValue},
		}
		for _, tt := range versionTests {
			t.Run("versions/"+tt.name, func(t *testing.T) {
				p, err := s.SearchModelVersions(ctx, tt.q)
				wantCode(t, err, tt.code)
				if err != nil {
					return
				}
				var got []string
				for _, v := range p.ModelVersions {
					got = append(got, v.Name+"/"+v.Version)
					if len(v.Aliases) != 0 {
						t.Errorf("search result carries aliases: %+v", v)
					}
				}
				if !equalStrings(got, tt.want) || (p.NextPageToken != "") != tt.token {
					t.Errorf("versions = %v (token %q), want %v", got, p.NextPageToken, tt.want)
				}
			})
		}
	})
}

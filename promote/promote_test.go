package promote_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/flavors"
	_ "github.com/berthml/berth/flavors/builtin"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/promote"
	"github.com/berthml/berth/server/servertest"
)

// registry starts a registry holding iris version 1 (a decision tree,
// accuracy 0.96 on the iris data) and version 2 (logistic regression,
// 0.973), and returns a client and the two versions loaded.
func registry(t *testing.T) (*mlflowrest.Client, *promote.Model, *promote.Model) {
	t.Helper()
	ortest.Init(t)
	c := &mlflowrest.Client{BaseURL: servertest.New(t).URL}
	var models []*promote.Model
	for i, dir := range []string{"../testdata/models/iris_tree", "../testdata/models/iris_logreg"} {
		v, err := modeluri.Register(t.Context(), c, modeluri.Registration{Dir: dir, Name: "iris"})
		if err != nil {
			t.Fatal(err)
		}
		if v.Version != []string{"1", "2"}[i] {
			t.Fatalf("registered version %s", v.Version)
		}
		l, err := flavors.Load(context.Background(), dir, flavors.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Predictor.Close() })
		models = append(models, &promote.Model{URI: "models:/iris/" + v.Version, Name: "iris", Version: v.Version, Loaded: l})
	}
	return c, models[0], models[1]
}

func request(t *testing.T, alias string, require, minAbs []string) promote.Request {
	t.Helper()
	th, err := evaluate.MergeThresholds(require, minAbs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return promote.Request{Alias: alias, Thresholds: th, Experiment: "berth-evaluation",
		Data: evaluate.Data{Path: "../testdata/data/iris.csv", Target: "target", ModelType: evaluate.Classifier}}
}

func versionTags(t *testing.T, c *mlflowrest.Client, version string) map[string]string {
	t.Helper()
	var mv mlflowrest.ModelVersionResponse
	if err := c.Get(t.Context(), "model-versions/get", url.Values{"name": {"iris"}, "version": {version}}, &mv); err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tg := range mv.ModelVersion.Tags {
		tags[tg.Key] = tg.Value
	}
	return tags
}

func aliases(t *testing.T, c *mlflowrest.Client) map[string]string {
	t.Helper()
	var rm mlflowrest.RegisteredModelResponse
	if err := c.Get(t.Context(), "registered-models/get", url.Values{"name": {"iris"}}, &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range rm.RegisteredModel.Aliases {
		out[a.Alias] = a.Version
	}
	return out
}

func TestRunPromotes(t *testing.T) {
	c, tree, logreg := registry(t)
	p, err := promote.Run(t.Context(), c, logreg, tree, request(t, "champion", nil, []string{"accuracy_score=0.01"}))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Promoted || p.Refused() || p.Holder != "1" || p.CandidateRunID == "" || p.HolderRunID == "" ||
		p.HolderMetrics["accuracy_score"] != 0.96 {
		t.Errorf("outcome %+v", p)
	}
	if a := aliases(t, c); a["champion"] != "2" {
		t.Errorf("aliases %v, want champion on 2", a)
	}
	tags := versionTags(t, c, "2")
	if tags["berth.promotion.champion"] != "promoted" || tags["berth.evaluation.run_id"] != p.CandidateRunID ||
		tags["berth.promotion.baseline_version"] != "1" || tags["berth.evaluation.accuracy_score"] != "0.973333" {
		t.Errorf("candidate tags %v", tags)
	}

	// The alias now points at the candidate: nothing to do.
	again, err := promote.Run(t.Context(), c, logreg, logreg, request(t, "champion", nil, []string{"accuracy_score=0.01"}))
	if err != nil || !again.AlreadyPromoted || !again.Promoted || again.CandidateRunID != "" {
		t.Errorf("already promoted: %+v, %v", again, err)
	}
}

func TestRunRefuses(t *testing.T) {
	c, tree, logreg := registry(t)
	p, err := promote.Run(t.Context(), c, tree, logreg, request(t, "champion", []string{"accuracy_score>=0.9"}, []string{"accuracy_score=0.01"}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Promoted || !p.Refused() || len(p.Failures) != 1 || p.Failures[0].Metric != "accuracy_score" {
		t.Errorf("outcome %+v", p)
	}
	if a := aliases(t, c); len(a) != 0 {
		t.Errorf("aliases %v after a refusal", a)
	}
	if tags := versionTags(t, c, "1"); tags["berth.promotion.champion"] != "refused" || tags["berth.evaluation.run_id"] == "" {
		t.Errorf("candidate tags %v", tags)
	}
}

func TestRunDryRunAndNoHolder(t *testing.T) {
	c, tree, _ := registry(t)
	// No holder: the change check is skipped, the threshold stays.
	p, err := promote.Run(t.Context(), c, tree, nil, request(t, "champion", []string{"accuracy_score>=0.99"}, []string{"f1_score=0.5"}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Promoted || !p.SkippedChecks || len(p.Failures) != 1 || p.Failures[0].Metric != "accuracy_score" {
		t.Errorf("outcome %+v", p)
	}

	r := request(t, "challenger", []string{"accuracy_score>=0.5"}, nil)
	r.DryRun = true
	d, err := promote.Run(t.Context(), c, tree, nil, r)
	if err != nil {
		t.Fatal(err)
	}
	if d.Promoted || d.Refused() || d.CandidateRunID != "" {
		t.Errorf("dry run %+v", d)
	}
	if a := aliases(t, c); a["challenger"] != "" {
		t.Errorf("a dry run moved the alias: %v", a)
	}
	if tags := versionTags(t, c, "1"); tags["berth.promotion.challenger"] != "" {
		t.Errorf("a dry run tagged the version: %v", tags)
	}
}

package recipe

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/server/servertest"
)

// TestRecord: each recipe run is recorded as a run of the recipe's
// experiment, tagged for the web UI, ending as the recipe did, with every
// step (cached, failed, skipped) and its card in recipe/cards.json.
func TestRecord(t *testing.T) {
	ts := servertest.New(t)
	c := &mlflowrest.Client{BaseURL: ts.URL}
	dir, counts := userRecipe(t)
	rn := NewRunner(WithRegistry(ts.URL, ""), WithEnv(append(os.Environ(), "COUNT_DIR="+counts)))
	ctx := context.Background()
	record := func(until string) (*mlflowrest.Run, *Report) {
		t.Helper()
		rec := load(t, dir, "local")
		cards, runErr := rn.Run(ctx, rec, until)
		id, err := rn.Record(ctx, rec, cards, runErr)
		if err != nil || id == "" {
			t.Fatalf("Record: %q, %v", id, err)
		}
		var got mlflowrest.RunResponse
		if err := c.Get(ctx, "runs/get", url.Values{"run_id": {id}}, &got); err != nil {
			t.Fatal(err)
		}
		root, err := mlflowrest.ArtifactProxyPath(got.Run.Info.ArtifactURI)
		if err != nil {
			t.Fatal(err)
		}
		body, err := c.GetArtifact(ctx, root+"/"+CardsArtifact)
		if err != nil {
			t.Fatal(err)
		}
		defer body.Close()
		var rep Report
		if err := json.NewDecoder(body).Decode(&rep); err != nil {
			t.Fatal(err)
		}
		return &got.Run, &rep
	}
	steps := func(rep *Report) string {
		s := ""
		for _, e := range rep.Steps {
			s += e.Name + "=" + e.Status + ","
			if (e.Card == nil) != (e.Status == "skipped") {
				t.Errorf("step %s: status %s, card %v", e.Name, e.Status, e.Card)
			}
		}
		return s
	}
	tags := func(r *mlflowrest.Run) map[string]string {
		m := map[string]string{}
		for _, tg := range r.Data.Tags {
			m[tg.Key] = tg.Value
		}
		return m
	}

	run, rep := record("")
	tg := tags(run)
	if run.Info.Status != "FINISHED" || tg[TagRecipeRun] != "true" || tg[TagRecipe] != "test/v1" || tg[TagRecipeModel] != "m" ||
		tg[TagRecipeStatus] != "ok" || tg[TagRecipeGraph] != "prep -> train" || tg["mlflow.runName"] != "recipe m" {
		t.Fatalf("first run: %s %v", run.Info.Status, tg)
	}
	if steps(rep) != "prep=ok,train=ok," || rep.Status != "ok" || rep.Dir != dir || rep.ModelName != "m" ||
		len(rep.Steps[1].Card.RunIDs) != 1 || rep.Steps[1].Card.Values["model"] != "model" {
		t.Fatalf("first report: %+v", rep)
	}
	var exp mlflowrest.GetExperimentResponse
	if err := c.Get(ctx, "experiments/get", url.Values{"experiment_id": {run.Info.ExperimentID}}, &exp); err != nil || exp.Experiment.Name != "recipes-test" {
		t.Fatalf("recorded in experiment %q: %v", exp.Experiment.Name, err)
	}
	if _, rep = record(""); steps(rep) != "prep=cached,train=cached," {
		t.Fatalf("cached: %s", steps(rep))
	}
	if _, rep = record("prep"); steps(rep) != "prep=cached,train=skipped," {
		t.Fatalf("--step prep: %s", steps(rep))
	}
	if err := os.WriteFile(filepath.Join(counts, "fail"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A changed profile value re-runs train, which fails.
	if err := os.WriteFile(filepath.Join(dir, "profiles/local.yaml"), []byte("ALPHA: 0.3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run, rep = record("")
	if run.Info.Status != "FAILED" || tags(run)[TagRecipeStatus] != "failed" || steps(rep) != "prep=cached,train=failed," ||
		rep.Status != "failed" || rep.Error == "" || rep.Steps[1].Card.Error == "" {
		t.Fatalf("failed run: %s %+v", run.Info.Status, rep)
	}

	// No registry: nothing is recorded.
	if id, err := NewRunner().Record(ctx, load(t, dir, "local"), nil, nil); id != "" || err != nil {
		t.Fatalf("no registry: %q, %v", id, err)
	}
	// A server that went away: the error says so.
	gone := NewRunner(WithRegistry("http://127.0.0.1:1", ""))
	if _, err := gone.Record(ctx, load(t, dir, "local"), nil, errors.New("x")); err == nil {
		t.Fatal("no error recording to a closed port")
	}
}

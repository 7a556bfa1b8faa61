package modeluri_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/server/servertest"
)

// newRegistry runs a real berth registry server (SQLite, local artifacts)
// in-process.
func newRegistry(t *testing.T) *mlflowrest.Client {
	t.Helper()
	ts := servertest.New(t)
	return &mlflowrest.Client{BaseURL: ts.URL}
}

func TestRegisterResolveDownload(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	var progressed int
	for _, dir := range []string{"iris_logreg", "iris_logreg_tensor"} {
		v, err := modeluri.Register(ctx, c, modeluri.Registration{
			Dir: filepath.Join("..", "testdata", "models", dir), Name: "iris",
			Progress: func(modeluri.Progress) { progressed++ },
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("registered %s as version %s from %s", dir, v.Version, v.Source)
	}
	if progressed == 0 {
		t.Error("Register reported no progress")
	}
	if err := c.Post(ctx, "model-versions/transition-stage", mlflowrest.TransitionModelVersionStageRequest{
		Name: "iris", Version: "1", Stage: "Production"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Post(ctx, "registered-models/alias", mlflowrest.SetRegisteredModelAliasRequest{
		Name: "iris", Alias: "champion", Version: "2"}, nil); err != nil {
		t.Fatal(err)
	}

	r, err := modeluri.NewResolver(c.BaseURL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"models:/iris/1":          "1",
		"models:/iris/latest":     "2",
		"models:/iris/Production": "1",
		"models:/iris@champion":   "2",
	}
	dirs := map[string]string{}
	for uri, want := range cases {
		u, err := modeluri.Parse(uri)
		if err != nil {
			t.Fatal(err)
		}
		v, err := r.Resolve(ctx, u)
		if err != nil {
			t.Fatalf("Resolve(%s): %v", uri, err)
		}
		if v.Version != want {
			t.Errorf("Resolve(%s) = version %s, want %s", uri, v.Version, want)
		}
		dir, err := r.Download(ctx, v)
		if err != nil {
			t.Fatalf("Download(%s): %v", uri, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "MLmodel")); err != nil {
			t.Errorf("%s downloaded to %s without an MLmodel: %v", uri, dir, err)
		}
		dirs[want] = dir
	}
	if dirs["1"] == dirs["2"] {
		t.Error("two versions with different files share one cache directory")
	}
	want, _ := os.ReadFile(filepath.Join("..", "testdata", "models", "iris_logreg", "model.onnx"))
	got, _ := os.ReadFile(filepath.Join(dirs["1"], "model.onnx"))
	if len(want) == 0 || string(got) != string(want) {
		t.Error("version 1's model.onnx differs from the file registered")
	}

	for _, bad := range []string{"models:/iris/7", "models:/nope/1", "models:/iris@nope", "models:/iris/Staging"} {
		u, _ := modeluri.Parse(bad)
		if _, err := r.Resolve(ctx, u); err == nil {
			t.Errorf("Resolve(%s) succeeded", bad)
		}
	}
}

package modeluri_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
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

// TestResolveLoggedModel resolves models:/m-<id> (an MLflow 3 logged model)
// to the model's artifacts, and a version registered from it by
// models:/NAME@alias to the same files.
func TestResolveLoggedModel(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	var created mlflowrest.LoggedModelResponse
	if err := c.Post(ctx, "logged-models", mlflowrest.CreateLoggedModelRequest{ExperimentID: "0", Name: "iris_lm"}, &created); err != nil {
		t.Fatal(err)
	}
	info := created.Model.Info
	root := strings.TrimPrefix(info.ArtifactURI, "mlflow-artifacts:/")
	src := filepath.Join("..", "testdata", "models", "iris_logreg")
	for _, f := range []string{"MLmodel", "model.onnx"} {
		if err := c.PutArtifactFile(ctx, root+"/"+f, filepath.Join(src, f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Do(ctx, "PATCH", mlflowrest.APIPrefix+"logged-models/"+info.ModelID, nil,
		mlflowrest.FinalizeLoggedModelRequest{ModelID: info.ModelID, Status: "LOGGED_MODEL_READY"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Post(ctx, "registered-models/create", mlflowrest.CreateRegisteredModelRequest{Name: "iris"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Post(ctx, "model-versions/create", mlflowrest.CreateModelVersionRequest{
		Name: "iris", Source: "models:/" + info.ModelID, ModelID: info.ModelID}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Post(ctx, "registered-models/alias", mlflowrest.SetRegisteredModelAliasRequest{
		Name: "iris", Alias: "champion", Version: "1"}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := modeluri.NewResolver(c.BaseURL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(src, "model.onnx"))
	for _, uri := range []string{"models:/" + info.ModelID, "models:/iris@champion"} {
		u, err := modeluri.Parse(uri)
		if err != nil {
			t.Fatal(err)
		}
		v, err := r.Resolve(ctx, u)
		if err != nil {
			t.Fatalf("Resolve(%s): %v", uri, err)
		}
		if v.ArtifactURI != info.ArtifactURI {
			t.Errorf("Resolve(%s).ArtifactURI = %q, want the logged model's %q", uri, v.ArtifactURI, info.ArtifactURI)
		}
		if u.Kind == modeluri.KindLoggedModel && (v.LoggedModelID != info.ModelID || v.Name != "iris_lm") {
			t.Errorf("Resolve(%s) = %+v", uri, v)
		}
		dir, err := r.Download(ctx, v)
		if err != nil {
			t.Fatalf("Download(%s): %v", uri, err)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "model.onnx")); len(want) == 0 || !bytes.Equal(got, want) {
			t.Errorf("%s: model.onnx differs from the file logged", uri)
		}
	}
	u, _ := modeluri.Parse("models:/m-00000000000000000000000000000000")
	if _, err := r.Resolve(ctx, u); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("Resolve of a missing logged model: %v, want not found", err)
	}
}

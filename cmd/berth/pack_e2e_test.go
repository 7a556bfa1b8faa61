package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/internal/testregistry"
)

// TestPackFromRegistry packs a registered model as a runnable image and as
// a ModelPack artifact into an OCI registry, checks that the model version
// records both, and pulls each back into a directory berth can serve.
func TestPackFromRegistry(t *testing.T) {
	lib := ortest.Init(t)
	bin := buildBerth(t)
	data := t.TempDir()
	tracking := startSQLiteServer(t, bin, data)
	runBerth(t, bin, "models", "register", "../../testdata/models/iris_logreg", "--name", "iris", "--registry-uri", tracking)

	oci := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer oci.Close()
	host := strings.TrimPrefix(oci.URL, "http://")
	cache := filepath.Join(data, "cache")

	out := runBerth(t, bin, "pack", "models:/iris/1", "--tag", host+"/iris:1", "--insecure",
		"--registry-uri", tracking, "--cache-dir", cache, "--ort-lib", lib, "--binary", bin)
	if !strings.Contains(out, "pushed "+host+"/iris:1@sha256:") {
		t.Fatalf("pack image:\n%s", out)
	}
	out = runBerth(t, bin, "pack", "models:/iris/1", "--artifact", "--tag", host+"/iris-model:1", "--insecure",
		"--registry-uri", tracking, "--cache-dir", cache)
	if !strings.Contains(out, "pushed ModelPack artifact "+host+"/iris-model:1@sha256:") {
		t.Fatalf("pack artifact:\n%s", out)
	}

	var shown struct {
		Versions []struct {
			Tags []struct{ Key, Value string }
		} `json:"model_versions"`
	}
	if err := json.Unmarshal([]byte(runBerth(t, bin, "models", "show", "iris", "-o", "json", "--registry-uri", tracking)), &shown); err != nil {
		t.Fatal(err)
	}
	recorded := map[string]string{}
	for _, v := range shown.Versions {
		for _, tag := range v.Tags {
			recorded[tag.Key] = tag.Value
		}
	}
	if !strings.HasPrefix(recorded["berth.image"], host+"/iris:1@sha256:") ||
		!strings.HasPrefix(recorded["berth.artifact"], host+"/iris-model:1@sha256:") {
		t.Errorf("version 1's tags = %v, want berth.image and berth.artifact with digests", recorded)
	}

	want, err := os.ReadFile("../../testdata/models/iris_logreg/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{host + "/iris-model:1", host + "/iris:1"} {
		dir := filepath.Join(t.TempDir(), "model")
		runBerth(t, bin, "pull", ref, dir, "--insecure")
		got, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
		if err != nil || string(got) != string(want) {
			t.Errorf("pull %s: model.onnx differs from the registered one (%v)", ref, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "MLmodel")); err != nil {
			t.Errorf("pull %s: %v", ref, err)
		}
	}
}

// TestModelPackThroughDockerRegistry pushes the iris model as a ModelPack
// artifact to Debian's docker-registry, pulls it into a new directory, and
// serves that directory: the answer is sklearn's.
func TestModelPackThroughDockerRegistry(t *testing.T) {
	lib := ortest.Init(t)
	addr := testregistry.Start(t)
	bin := buildBerth(t)
	ref := addr + "/iris-model:1"
	out := runBerth(t, bin, "pack", "../../testdata/models/iris_logreg", "--artifact", "--tag", ref, "--insecure")
	if !strings.Contains(out, "pushed ModelPack artifact "+ref+"@sha256:") {
		t.Fatalf("pack --artifact:\n%s", out)
	}
	dir := filepath.Join(t.TempDir(), "iris")
	runBerth(t, bin, "pull", ref, dir, "--insecure")
	url := startBerth(t, bin, "serve", "iris="+dir, "--port", "0", "--ort-lib", lib)
	resp, err := http.Post(url+"/invocations", "application/json", strings.NewReader(
		`{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5]]}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"label":0`) || !strings.Contains(string(b), `"label":2`) {
		t.Fatalf("serving the pulled directory: %d %s", resp.StatusCode, b)
	}
}

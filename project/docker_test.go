package project_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/project"
	"github.com/berthml/berth/server/servertest"
)

// podmanEnv sets podman up as ENVIRONMENT.md says (rootful, runc, storage
// in a temporary directory) and returns the environment to run it with.
// It runs with BERTH_PODMAN=1 (make test sets it).
func podmanEnv(t *testing.T) (string, []string) {
	t.Helper()
	if os.Getenv("BERTH_PODMAN") != "1" {
		t.Skip("set BERTH_PODMAN=1 to run docker_env projects with podman")
	}
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Fatal("podman not installed (apt-get install podman runc)")
	}
	dir := t.TempDir()
	conf, storage := filepath.Join(dir, "containers.conf"), filepath.Join(dir, "storage.conf")
	os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"+
		"[engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n"), 0o600)
	os.WriteFile(storage, []byte(fmt.Sprintf("[storage]\ndriver = \"vfs\"\ngraphroot = %q\nrunroot = %q\n",
		filepath.Join(dir, "graph"), filepath.Join(dir, "run"))), 0o600)
	return podman, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "CONTAINERS_CONF=" + conf, "CONTAINERS_STORAGE_CONF=" + storage}
}

// steplogImage builds testdata/projects/docker/steplog.go statically and
// writes an image holding only it, as a docker tarball named ref.
func steplogImage(t *testing.T, ref string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "steplog")
	build := exec.Command("go", "build", "-o", bin, "../testdata/projects/docker/steplog.go")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building steplog: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	tw.WriteHeader(&tar.Header{Name: "steplog", Mode: 0o755, Size: int64(len(b)), Typeflag: tar.TypeReg})
	tw.Write(b)
	tw.WriteHeader(&tar.Header{Name: "tmp/", Mode: 0o1777, Typeflag: tar.TypeDir})
	tw.Close()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layer.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "image.tar")
	if err := tarball.WriteToFile(file, tag, img); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestDockerEnvPodman runs a docker_env project in a tiny local image under
// podman: the run is tagged as MLflow tags docker runs (mlflow.project.env,
// the image's URI and id), the command runs in the container with the
// project mounted as its working directory, reaches the tracking server on
// the host network, and gets MLflow's variables and the docker_env
// environment.
func TestDockerEnvPodman(t *testing.T) {
	podman, env := podmanEnv(t)
	const ref = "localhost/berth-steplog:test"
	file := steplogImage(t, ref)
	load := exec.Command(podman, "load", "-i", file)
	load.Env = env
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("podman load: %v\n%s", err, out)
	}
	inspect := exec.Command(podman, "image", "inspect", "--format", "{{.Id}}", ref)
	inspect.Env = env
	id, err := inspect.Output()
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "MLproject"), []byte(`name: steplog
docker_env:
  image: `+ref+`
  environment: [["GREETING", "hello from MLproject"]]
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.1}
    command: "/steplog --alpha {alpha}"
`), 0o644)
	srv := servertest.New(t)
	c := &mlflowrest.Client{BaseURL: srv.URL}
	var stdout bytes.Buffer
	res, err := project.Run(context.Background(), c, project.Request{URI: dir, Params: []project.Param{{"alpha", "0.7"}, {"extra", "x y"}},
		ExperimentName: "docker"}, project.WithEnv(env), project.WithPodman(podman), project.WithOutput(&stdout, os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "steplog done 0.7 x y\n" {
		t.Errorf("stdout %q", stdout.String())
	}
	run := getRun(t, c, res.RunID)
	tags := map[string]string{}
	for _, tg := range run.Data.Tags {
		tags[tg.Key] = tg.Value
	}
	want := map[string]string{
		project.TagEnv: "docker", project.TagBackend: "local", project.TagDockerImageURI: ref,
		project.TagDockerImageID: "sha256:" + string(bytes.TrimSpace(id)), project.TagSourceType: "PROJECT",
		"container_cwd": project.DockerWorkdir, "project_mounted": "true", "greeting": "hello from MLproject",
		"experiment_env": res.ExperimentID,
	}
	for k, v := range want {
		if tags[k] != v {
			t.Errorf("tag %s = %q, want %q", k, tags[k], v)
		}
	}
	params := map[string]string{}
	for _, p := range run.Data.Params {
		params[p.Key] = p.Value
	}
	if params["alpha"] != "0.7" || params["extra"] != "'x y'" || params["alpha_in_container"] != "0.7" {
		t.Errorf("params %v", params)
	}
	if run.Info.Status != "FINISHED" {
		t.Errorf("status %s", run.Info.Status)
	}
}

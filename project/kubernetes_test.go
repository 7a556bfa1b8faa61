package project_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	batchv1 "k8s.io/api/batch/v1"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/project"
	"github.com/berthml/berth/server/servertest"
)

// decodeJob decodes a rendered Job strictly into Kubernetes' own types:
// an unknown or misplaced field fails.
func decodeJob(t *testing.T, b []byte) batchv1.Job {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	var job batchv1.Job
	if err := dec.Decode(&job); err != nil {
		t.Fatalf("the rendered Job does not decode strictly as batch/v1: %v\n%s", err, b)
	}
	return job
}

func TestRenderJob(t *testing.T) {
	tmpl, err := os.ReadFile("../testdata/projects/kubernetes/kubernetes_job_template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 3, 4, 5, 123456000, time.UTC)
	b, err := project.RenderJob(tmpl, project.Job{ProjectName: "proj", Image: "reg/img:abc1234", Now: now,
		Command: `python train.py --alpha 0.5 --label 'two words'`, Env: [][2]string{{"MLFLOW_RUN_ID", "r1"}, {"MLFLOW_EXPERIMENT_ID", "3"}}})
	if err != nil {
		t.Fatal(err)
	}
	job := decodeJob(t, b)
	c := job.Spec.Template.Spec.Containers[0]
	if job.Name != "proj-2026-12-07-03-04-05-123456" || job.Namespace != "mlflow" || c.Name != "proj" || c.Image != "reg/img:abc1234" {
		t.Errorf("job %s/%s container %s image %s", job.Namespace, job.Name, c.Name, c.Image)
	}
	// MLflow's _get_run_command: shlex.split, then each word quoted again.
	if want := []string{"python", "train.py", "--alpha", "0.5", "--label", "'two words'"}; !reflect.DeepEqual(c.Command, want) {
		t.Errorf("command %q, want %q", c.Command, want)
	}
	var env []string
	for _, e := range c.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	if want := []string{"FROM_TEMPLATE=kept", "MLFLOW_RUN_ID=r1", "MLFLOW_EXPERIMENT_ID=3"}; !reflect.DeepEqual(env, want) {
		t.Errorf("env %v, want %v", env, want)
	}
	if c.Resources.Limits.Memory().String() != "512Mi" || *job.Spec.BackoffLimit != 0 {
		t.Errorf("the template's other fields were not kept: %+v", job.Spec)
	}
	for _, bad := range []string{"kind: Job\n", "metadata: {name: x}\nspec: {template: {spec: {containers: []}}}\n", "[1"} {
		if _, err := project.RenderJob([]byte(bad), project.Job{ProjectName: "p"}); err == nil {
			t.Errorf("RenderJob(%q) accepted", bad)
		}
	}
}

// TestKubernetesBackend runs a docker_env project with --backend
// kubernetes: the run is tagged as MLflow tags it (env docker, backend
// kubernetes, the image URI) and the Job renders with the run's variables.
func TestKubernetesBackend(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "MLproject"), []byte("name: kproj\ndocker_env: {image: python:3.11}\n"+
		"entry_points:\n  main:\n    parameters: {alpha: {type: float, default: 0.1}}\n    command: python train.py --alpha {alpha}\n"), 0o644)
	_, commit := gitInit(t, dir)
	cfgDir := t.TempDir()
	copyFiles(t, cfgDir, map[string]string{"kubernetes_job_template.yaml": "../testdata/projects/kubernetes/kubernetes_job_template.yaml"})
	cfg := strings.Replace(mustRead(t, "../testdata/projects/kubernetes/backend_config.json"), "kubernetes_job_template.yaml",
		filepath.Join(cfgDir, "kubernetes_job_template.yaml"), 1)
	os.WriteFile(filepath.Join(cfgDir, "backend_config.json"), []byte(cfg), 0o644)
	k, err := project.LoadKubeConfig(filepath.Join(cfgDir, "backend_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := servertest.New(t)
	c := &mlflowrest.Client{BaseURL: srv.URL}
	res, err := project.Run(context.Background(), c, project.Request{URI: dir, Backend: project.BackendKubernetes, Kube: k,
		Params: []project.Param{{"alpha", "0.3"}}, RunName: "k8s"}, project.WithKubeTrackingURI("http://mlflow.mlflow:5000"))
	if err != nil {
		t.Fatal(err)
	}
	job := decodeJob(t, res.Job)
	ctr := job.Spec.Template.Spec.Containers[0]
	image := "registry.example/mlflow-k8s:" + commit[:7]
	if ctr.Image != image || !reflect.DeepEqual(ctr.Command, []string{"python", "train.py", "--alpha", "0.3"}) {
		t.Errorf("container %s %q", ctr.Image, ctr.Command)
	}
	env := map[string]string{}
	for _, e := range ctr.Env {
		env[e.Name] = e.Value
	}
	if env["MLFLOW_RUN_ID"] != res.RunID || env["MLFLOW_TRACKING_URI"] != "http://mlflow.mlflow:5000" || env["MLFLOW_EXPERIMENT_ID"] != "0" {
		t.Errorf("env %v", env)
	}
	run := getRun(t, c, res.RunID)
	tags := map[string]string{}
	for _, tg := range run.Data.Tags {
		tags[tg.Key] = tg.Value
	}
	for k, v := range map[string]string{project.TagEnv: "docker", project.TagBackend: "kubernetes", project.TagDockerImageURI: image,
		project.TagRunName: "k8s", project.TagGitCommit: commit} {
		if tags[k] != v {
			t.Errorf("tag %s = %q, want %q", k, tags[k], v)
		}
	}
	if run.Info.Status != "RUNNING" {
		t.Errorf("status %s: the Job's MLflow client ends the run", run.Info.Status)
	}

	for _, bad := range []struct{ json, want string }{
		{`{"repository-uri": "x"}`, "'kube-job-template-path' attribute must be specified in backend_config."},
		{`{"kube-job-template-path": "/no/such.yaml", "repository-uri": "x"}`, "Could not find 'kube-job-template-path': /no/such.yaml"},
		{`{"kube-job-template-path": "` + filepath.Join(cfgDir, "kubernetes_job_template.yaml") + `"}`, "Could not find 'repository-uri' in backend_config."},
	} {
		f := filepath.Join(t.TempDir(), "c.json")
		os.WriteFile(f, []byte(bad.json), 0o644)
		if _, err := project.LoadKubeConfig(f); err == nil || err.Error() != bad.want {
			t.Errorf("LoadKubeConfig(%s): %v, want %q", bad.json, err, bad.want)
		}
	}
}

func mustRead(t *testing.T, f string) string {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

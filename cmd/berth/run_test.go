package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/server/servertest"
)

// TestRunCommand runs berth run's command tree against a real berth
// server: the flags reach the run (entry point, -P, experiment, run name),
// the command's output reaches stdout, and bad flags are refused with
// MLflow's texts before any run exists.
func TestRunCommand(t *testing.T) {
	srv := servertest.New(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "MLproject"), []byte("name: hello\nentry_points:\n  hello:\n    parameters:\n"+
		"      who: string\n      times: {type: int, default: 2}\n    command: \"echo hello {who} x{times}\"\n"), 0o644)
	run := func(args ...string) (string, string, error) {
		root := newRoot()
		var out, errb bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errb)
		root.SetArgs(append([]string{"run", "--registry-uri", srv.URL}, args...))
		err := root.ExecuteContext(context.Background())
		return out.String(), errb.String(), err
	}
	out, errOut, err := run(dir, "-e", "hello", "-P", "who=two words", "-P", "extra=1", "--experiment-name", "cli", "--run-name", "first")
	if err != nil {
		t.Fatalf("berth run: %v\n%s", err, errOut)
	}
	if out != "hello two words x2 --extra 1\n" {
		t.Errorf("stdout %q", out)
	}
	if !strings.Contains(errOut, "=== Running command 'echo hello 'two words' x2 --extra 1' in run with ID '") {
		t.Errorf("stderr %q", errOut)
	}
	c := &mlflowrest.Client{BaseURL: srv.URL}
	var found mlflowrest.SearchRunsResponse
	id, err := c.ExperimentID(context.Background(), "cli")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Post(context.Background(), "runs/search", mlflowrest.SearchRunsRequest{ExperimentIDs: []string{id}}, &found); err != nil {
		t.Fatal(err)
	}
	if len(found.Runs) != 1 || found.Runs[0].Info.RunName != "first" || found.Runs[0].Info.Status != "FINISHED" {
		t.Fatalf("runs %+v", found.Runs)
	}
	var got mlflowrest.RunResponse
	c.Get(context.Background(), "runs/get", url.Values{"run_id": {found.Runs[0].Info.RunID}}, &got)
	params := map[string]string{}
	for _, p := range got.Run.Data.Params {
		params[p.Key] = p.Value
	}
	if params["who"] != "'two words'" || params["times"] != "2" || params["extra"] != "1" {
		t.Errorf("params %v", params)
	}

	// --backend kubernetes writes the Job to --job-file.
	kdir := t.TempDir()
	os.WriteFile(filepath.Join(kdir, "MLproject"), []byte("name: k\ndocker_env: {image: python:3.11}\nentry_points: {main: {command: python t.py}}\n"), 0o644)
	tmpl, _ := filepath.Abs("../../testdata/projects/kubernetes/kubernetes_job_template.yaml")
	kcfg := filepath.Join(kdir, "kube.json")
	os.WriteFile(kcfg, []byte(`{"kube-job-template-path": "`+tmpl+`", "repository-uri": "reg.example/k"}`), 0o644)
	jobFile := filepath.Join(t.TempDir(), "job.yaml")
	if _, errOut, err := run(kdir, "--backend", "kubernetes", "--backend-config", kcfg, "--job-file", jobFile); err != nil {
		t.Fatalf("berth run --backend kubernetes: %v\n%s", err, errOut)
	}
	if job, err := os.ReadFile(jobFile); err != nil || !strings.Contains(string(job), "image: reg.example/k") || !strings.Contains(string(job), "MLFLOW_RUN_ID") {
		t.Errorf("--job-file: %v\n%s", err, job)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{dir, "-e", "hello"}, "No value given for missing parameters: 'who'"},
		{[]string{dir, "-e", "hello", "-P", "who"}, "-P: Invalid format for -P parameter: 'who'. Use -P name=value."},
		{[]string{dir, "-e", "nope"}, "Could not find nope among entry points ['hello']"},
		{[]string{dir, "--backend", "kubernetes"}, "--backend kubernetes needs --backend-config FILE"},
		{[]string{dir, "--env-manager", "conda"}, "berth does not create conda environments"},
	} {
		if _, _, err := run(tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("berth run %q: %v, want %q", tt.args, err, tt.want)
		}
	}
}

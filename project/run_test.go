package project_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/project"
	"github.com/berthml/berth/server/servertest"
)

// signalWriter closes ready when the output holds want.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	want  string
	ready chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

func getRun(t *testing.T, c *mlflowrest.Client, id string) mlflowrest.Run {
	t.Helper()
	var got mlflowrest.RunResponse
	if err := c.Get(context.Background(), "runs/get", url.Values{"run_id": {id}}, &got); err != nil {
		t.Fatal(err)
	}
	return got.Run
}

func readArtifact(t *testing.T, c *mlflowrest.Client, run mlflowrest.Run, name string) string {
	t.Helper()
	rc, err := c.GetArtifact(context.Background(), strings.TrimPrefix(run.Info.ArtifactURI, "mlflow-artifacts:/")+"/"+name)
	if err != nil {
		t.Fatalf("artifact %s: %v", name, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

// TestRunStopped stops a running command the way Ctrl-C or SIGTERM does
// (the context ends): the command's process group gets SIGTERM, the run
// ends KILLED, and the output so far is kept.
func TestRunStopped(t *testing.T) {
	bash := needTool(t, "bash", "apt-get install bash")
	dir := t.TempDir()
	marker := filepath.Join(t.TempDir(), "got-term")
	os.WriteFile(filepath.Join(dir, "MLproject"), []byte("name: stop\nentry_points:\n  main:\n    parameters: {out: path}\n"+
		"    command: \"bash loop.sh {out}\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "loop.sh"), []byte("trap 'echo term > \"$1/term\"; exit 143' TERM\necho started\n"+
		"while true; do sleep 0.05; done\n"), 0o644)
	srv := servertest.New(t)
	c := &mlflowrest.Client{BaseURL: srv.URL}
	out := &signalWriter{want: "started", ready: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-out.ready:
			cancel()
		case <-time.After(30 * time.Second):
			cancel()
		}
	}()
	res, err := project.Run(ctx, c, project.Request{URI: dir, Params: []project.Param{{"out", filepath.Dir(marker)}}},
		project.WithOutput(out, io.Discard), project.WithEnv([]string{"PATH=" + filepath.Dir(bash) + ":/usr/bin:/bin"}),
		project.WithGrace(5*time.Second))
	if !errors.Is(err, project.ErrRunFailed) || res == nil || res.Status != "KILLED" {
		t.Fatalf("Run = %+v, %v; want KILLED and ErrRunFailed", res, err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(marker), "term")); err != nil {
		t.Errorf("the command did not get SIGTERM: %v", err)
	}
	run := getRun(t, c, res.RunID)
	if run.Info.Status != "KILLED" || run.Info.EndTime == nil {
		t.Errorf("run %s, end %v; want KILLED with an end time", run.Info.Status, run.Info.EndTime)
	}
	if log := readArtifact(t, c, run, project.LogArtifact); !strings.Contains(log, "started") || !strings.Contains(log, "interrupted") {
		t.Errorf("%s:\n%s", project.LogArtifact, log)
	}
}

// TestRunOutputLimit keeps at most the limit of the output in the log
// artifact, and says so, while the terminal gets all of it.
func TestRunOutputLimit(t *testing.T) {
	needTool(t, "bash", "apt-get install bash")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "big.sh"), []byte("for i in $(seq 1 2000); do echo line-$i; done\n"), 0o644)
	srv := servertest.New(t)
	c := &mlflowrest.Client{BaseURL: srv.URL}
	var stdout bytes.Buffer
	res, err := project.Run(context.Background(), c, project.Request{URI: dir, EntryPoint: "big.sh"},
		project.WithOutput(&stdout, io.Discard), project.WithShell("bash"), project.WithOutputLimit(1000),
		project.WithEnv([]string{"PATH=/usr/bin:/bin"}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "line-2000\n") {
		t.Errorf("the terminal did not get all the output")
	}
	log := readArtifact(t, c, getRun(t, c, res.RunID), project.LogArtifact)
	if len(log) > 1200 || !strings.Contains(log, "were not kept: the log keeps 1000 bytes") || strings.Contains(log, "line-2000") {
		t.Errorf("%s (%d bytes):\n%s", project.LogArtifact, len(log), log)
	}
}

// TestRunRefusals: what is refused before any run is created, and a run
// that cannot start (a path parameter that does not exist) ends FAILED
// with the reason in its log.
func TestRunRefusals(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "MLproject"), []byte("name: r\nentry_points:\n  main:\n    parameters: {f: path}\n    command: cat {f}\n"), 0o644)
	srv := servertest.New(t)
	c := &mlflowrest.Client{BaseURL: srv.URL}
	for _, tt := range []struct {
		req  project.Request
		want string
	}{
		{project.Request{URI: dir, EnvManager: "virtualenv"}, "berth does not create virtualenv environments"},
		{project.Request{URI: dir, EnvManager: "docker", Params: []project.Param{{"f", "x"}}}, "--env-manager docker: " + filepath.Join(dir, "MLproject") + " has no docker_env"},
		{project.Request{URI: dir, Backend: "databricks"}, "berth runs projects on local or kubernetes"},
		{project.Request{URI: dir, ExperimentName: "a", ExperimentID: "1"}, "Specify only one of 'experiment_name' or 'experiment_id'."},
		{project.Request{URI: dir, Backend: "kubernetes", Params: []project.Param{{"f", "x"}}}, "Kubernetes backend requires a docker_env"},
	} {
		res, err := project.Run(context.Background(), c, tt.req)
		if err == nil || !strings.Contains(err.Error(), tt.want) || res != nil {
			t.Errorf("%+v: %v, %v; want %q and no run", tt.req, res, err, tt.want)
		}
	}
	res, err := project.Run(context.Background(), c, project.Request{URI: dir, Params: []project.Param{{"f", "no-such"}}}, project.WithCwd(dir))
	if err == nil || res == nil || res.Status != "FAILED" {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	run := getRun(t, c, res.RunID)
	if run.Info.Status != "FAILED" {
		t.Errorf("run %s", run.Info.Status)
	}
	if log := readArtifact(t, c, run, project.LogArtifact); !strings.Contains(log, "Got value no-such for parameter f, but no such file") {
		t.Errorf("%s: %q", project.LogArtifact, log)
	}
}

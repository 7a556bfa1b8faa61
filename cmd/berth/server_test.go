package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServerCommand runs the real binary with no store flags in an empty
// directory: it creates ./berth-data, answers the MLflow REST API, keeps an
// uploaded artifact under ./berth-data/artifacts, and exits 0 on SIGTERM.
func TestServerCommand(t *testing.T) {
	bin := buildBerth(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "server", "--port", "0", "--access-log")
	cmd.Dir = dir
	cmd.Env = withoutEnv(os.Environ(), "BERTH_BACKEND_STORE_URI", "BERTH_ARTIFACTS_DESTINATION", "BERTH_PORT", "BERTH_HOST")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var url string
	var logged []string
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("berth server exited before it was ready:\n%s", strings.Join(logged, "\n"))
			}
			logged = append(logged, l)
			if m := readyLine.FindStringSubmatch(l); m != nil {
				url = m[1]
			}
		case <-ctx.Done():
			t.Fatal("berth server never said it was ready")
		}
	}

	resp, err := http.Post(url+"/api/2.0/mlflow/experiments/create", "application/json", strings.NewReader(`{"name": "from-cmd-test"}`))
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ExperimentID string `json:"experiment_id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || created.ExperimentID == "" {
		t.Fatalf("experiments/create = %d, %+v, %v", resp.StatusCode, created, err)
	}
	resp, err = http.Get(url + "/api/2.0/mlflow/experiments/get?experiment_id=" + created.ExperimentID)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		Experiment struct {
			Name             string `json:"name"`
			ArtifactLocation string `json:"artifact_location"`
		} `json:"experiment"`
	}
	if err := json.Unmarshal(body, &got); err != nil || got.Experiment.Name != "from-cmd-test" ||
		got.Experiment.ArtifactLocation != "mlflow-artifacts:/"+created.ExperimentID {
		t.Fatalf("experiments/get = %d %s", resp.StatusCode, body)
	}

	req, _ := http.NewRequest("PUT", url+"/api/2.0/mlflow-artifacts/artifacts/"+created.ExperimentID+"/r/artifacts/notes.txt", strings.NewReader("hello"))
	req.Header.Set("Content-Type", "text/plain")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("artifact PUT = %d", resp.StatusCode)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "berth-data", "artifacts", created.ExperimentID, "r", "artifacts", "notes.txt")); err != nil || string(b) != "hello" {
		t.Errorf("the artifact is not under ./berth-data/artifacts: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "berth-data", "berth.db")); err != nil {
		t.Errorf("no database at ./berth-data/berth.db: %v", err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		logged = append(logged, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, strings.Join(logged, "\n"))
	}
	all := strings.Join(logged, "\n")
	if !strings.Contains(all, "path=/api/2.0/mlflow/experiments/create status=200") || !strings.Contains(all, "shutting down") {
		t.Errorf("expected an access-log line and a shutdown line:\n%s", all)
	}
}

func TestServerCommandErrors(t *testing.T) {
	bin := buildBerth(t)
	dir := t.TempDir()
	notADir := filepath.Join(dir, "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unsupported store", []string{"server", "--backend-store-uri", "mysql://x/y"}, "backend-store-uri"},
		{"artifacts under a file", []string{"server", "--backend-store-uri", filepath.Join(dir, "b.db"),
			"--artifacts-destination", filepath.Join(notADir, "arts")}, "artifacts-destination"},
		{"extra argument", []string{"server", "oops"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, c.args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("exit 0, want a failure:\n%s", out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("output does not mention %q:\n%s", c.want, out)
			}
		})
	}
}

// withoutEnv drops the named variables from env.
func withoutEnv(env []string, names ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

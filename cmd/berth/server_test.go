package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berthml/berth/cmd/berth/internal/options"
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

func startServer(t *testing.T, bin, dir string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"server", "--port", "0"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(withoutEnv(os.Environ(), "BERTH_BACKEND_STORE_URI", "BERTH_ARTIFACTS_DESTINATION", "BERTH_PORT", "BERTH_HOST",
		"BERTH_READ_TOKENS", "BERTH_WRITE_TOKENS", "BERTH_ALLOWED_HOSTS", "BERTH_BODY_TIMEOUT"), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	var logged []string
	for sc.Scan() {
		logged = append(logged, sc.Text())
		if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
			go func() {
				for sc.Scan() {
				}
			}()
			return m[1]
		}
	}
	t.Fatalf("berth server %v exited before it was ready:\n%s", args, strings.Join(logged, "\n"))
	return ""
}

// TestServerCommandHardening runs the real binary: it refuses empty tokens
// and stores it cannot write to before it creates anything, makes a SQLite
// database's directory only for the default, leaves no untracked files in
// a repository, and wires the token, Host, body-deadline, metrics and
// artifact-size flags.
func TestServerCommandHardening(t *testing.T) {
	bin := buildBerth(t)
	t.Run("refused at start", func(t *testing.T) {
		dir := t.TempDir()
		cases := []struct {
			name string
			args []string
			env  []string
			want string
		}{
			{"empty write token", []string{"--write-token", ""}, nil, "--write-token: empty token"},
			{"empty read token", []string{"--read-token", ""}, nil, "--read-token: empty token"},
			{"empty BERTH_WRITE_TOKENS", nil, []string{"BERTH_WRITE_TOKENS="}, "BERTH_WRITE_TOKENS: empty token"},
			{"empty BERTH_READ_TOKENS", nil, []string{"BERTH_READ_TOKENS="}, "BERTH_READ_TOKENS: empty token"},
			{"empty entry in BERTH_WRITE_TOKENS", nil, []string{"BERTH_WRITE_TOKENS=a,,b"}, "BERTH_WRITE_TOKENS: empty token"},
			{"gs artifacts", []string{"--artifacts-destination", "gs://bucket/prefix"}, nil, "cannot store artifacts to gs: URIs"},
			{"s3 bucket unreachable", []string{"--artifacts-destination", "s3://bucket/prefix", "--s3-endpoint-url", "http://127.0.0.1:1"},
				[]string{"AWS_ACCESS_KEY_ID=id", "AWS_SECRET_ACCESS_KEY=secret", "AWS_EC2_METADATA_DISABLED=true"}, "checking bucket bucket"},
			{"mysql store", []string{"--backend-store-uri", "mysql://db/x"}, nil, "cannot store to mysql: URIs"},
			{"missing sqlite directory", []string{"--backend-store-uri", "sqlite:///" + filepath.Join(dir, "missing", "dir", "x.db")}, nil,
				"does not exist"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				cmd := exec.Command(bin, append([]string{"server", "--port", "0"}, c.args...)...)
				cmd.Dir = dir
				cmd.Env = append(withoutEnv(os.Environ(), "BERTH_READ_TOKENS", "BERTH_WRITE_TOKENS", "BERTH_BACKEND_STORE_URI", "BERTH_ARTIFACTS_DESTINATION"), c.env...)
				out, err := cmd.CombinedOutput()
				if err == nil {
					t.Fatalf("berth server started:\n%s", out)
				}
				if !strings.Contains(string(out), c.want) {
					t.Errorf("output lacks %q:\n%s", c.want, out)
				}
			})
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("refused starts left %v in the working directory", names)
		}
	})

	t.Run("no untracked files in a repository", func(t *testing.T) {
		if _, err := exec.LookPath("git"); err != nil {
			t.Fatal("git is needed for this test")
		}
		repo := t.TempDir()
		gitignore, err := os.ReadFile("../../.gitignore")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, ".gitignore"), gitignore, 0o644); err != nil {
			t.Fatal(err)
		}
		git := func(args ...string) string {
			cmd := exec.Command("git", args...)
			cmd.Dir = repo
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
			return string(out)
		}
		git("init", "-q")
		git("add", ".gitignore")
		url := startServer(t, bin, repo, nil)
		req, _ := http.NewRequest("PUT", url+"/api/2.0/mlflow-artifacts/artifacts/0/r/a.txt", strings.NewReader("x"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("artifact PUT: %v %v", resp, err)
		}
		resp.Body.Close()
		if _, err := os.Stat(filepath.Join(repo, "berth-data", "berth.db")); err != nil {
			t.Fatalf("the default database is not in ./berth-data: %v", err)
		}
		if st := git("status", "--porcelain", "--untracked-files=all"); strings.TrimSpace(st) != "A  .gitignore" {
			t.Errorf("berth server left untracked files:\n%s", st)
		}
	})

	t.Run("flags", func(t *testing.T) {
		dir := t.TempDir()
		url := startServer(t, bin, dir, []string{"BERTH_READ_TOKENS=r1,r2"},
			"--write-token", "secret,abc", "--body-timeout", "300ms", "--max-artifact-size", "10B")
		get := func(path, host, token string) int {
			req, _ := http.NewRequest("GET", url+path, nil)
			if host != "" {
				req.Host = host
			}
			if token != "" {
				req.Header.Set("Authorization", "bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		const exp = "/api/2.0/mlflow/experiments/get?experiment_id=0"
		for _, c := range []struct {
			path, host, token string
			want              int
		}{
			{exp, "", "secret,abc", 200},
			{exp, "", "secret", 401},
			{exp, "", "abc", 401},
			{exp, "", "r1", 200},
			{exp, "", "r2", 200},
			{exp, "evil.example", "r1", 403},
			{"/health", "evil.example", "", 200},
			{"/metrics", "", "", 401},
			{"/metrics", "", "r1", 200},
		} {
			if got := get(c.path, c.host, c.token); got != c.want {
				t.Errorf("GET %s (Host %q, token %q) = %d, want %d", c.path, c.host, c.token, got, c.want)
			}
		}
		put := func(body string) int {
			req, _ := http.NewRequest("PUT", url+"/api/2.0/mlflow-artifacts/artifacts/0/r/a.bin", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer secret,abc")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if got := put("0123456789"); got != 200 {
			t.Errorf("a 10-byte upload = %d", got)
		}
		if got := put("0123456789x"); got != 413 {
			t.Errorf("an 11-byte upload = %d, want 413", got)
		}
		conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		fmt.Fprintf(conn, "POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer secret,abc\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{")
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 408 || time.Since(start) > 3*time.Second {
			t.Errorf("a body that stops = %d after %s, want 408 after about 300ms", resp.StatusCode, time.Since(start))
		}
		open := startServer(t, bin, t.TempDir(), nil, "--read-token", "r", "--metrics-open")
		resp, err = http.Get(open + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "berth_http_request_body_timeouts_total") {
			t.Errorf("--metrics-open: GET /metrics = %d\n%.300s", resp.StatusCode, b)
		}
	})
}

// TestServerEnv checks that berth server's variables set its flags: the
// token variables as one comma-separated value, split later by tokenList.
func TestServerEnv(t *testing.T) {
	cmd := newServerCmd(&options.Log{})
	env := map[string]string{"BERTH_MAX_ARTIFACT_SIZE": "2GiB", "BERTH_METRICS_OPEN": "true",
		"BERTH_WRITE_TOKENS": "a,b", "BERTH_BODY_TIMEOUT": "5s", "BERTH_ALLOWED_HOSTS": "berth.example,localhost"}
	if err := applyEnv(cmd.Flags(), func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	f := cmd.Flags()
	for flag, want := range map[string]string{"max-artifact-size": "2GiB", "metrics-open": "true",
		"write-token": `["a,b"]`, "body-timeout": "5s", "allowed-hosts": "[berth.example,localhost]"} {
		if got := f.Lookup(flag).Value.String(); got != want {
			t.Errorf("--%s from the environment = %s, want %s", flag, got, want)
		}
	}
	if f.Changed("write-token") {
		t.Error("a variable marked --write-token as given on the command line, so its commas would not be split")
	}
}

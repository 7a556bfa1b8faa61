package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/berthml/berth/internal/ortest"
)

func TestEnvDefaultsFlagsWin(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	port := fs.String("port", "8080", "")
	host := fs.String("host", "127.0.0.1", "")
	timeout := fs.Duration("timeout", time.Minute, "")
	if err := fs.Parse([]string{"--port", "9000"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"BERTH_PORT": "7000", "BERTH_HOST": "0.0.0.0", "BERTH_TIMEOUT": "5s"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := applyEnv(fs, lookup); err != nil {
		t.Fatal(err)
	}
	if *port != "9000" || *host != "0.0.0.0" || *timeout != 5*time.Second {
		t.Errorf("port %s host %s timeout %s: want the flag's 9000, env's 0.0.0.0 and 5s", *port, *host, *timeout)
	}
	env["BERTH_TIMEOUT"] = "soon"
	fs2 := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs2.Duration("timeout", time.Minute, "")
	if err := applyEnv(fs2, lookup); err == nil || !strings.Contains(err.Error(), "BERTH_TIMEOUT") {
		t.Errorf("bad env value: err = %v, want one naming BERTH_TIMEOUT", err)
	}
}

// buildBerth compiles the berth binary once per test run.
func buildBerth(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "berth")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var readyLine = regexp.MustCompile(`msg=ready addr=(http://\S+)`)

// TestServeCommand runs the real binary: it serves a model, answers, and
// on SIGTERM exits 0.
func TestServeCommand(t *testing.T) {
	lib := ortest.Init(t)
	bin := buildBerth(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "iris=../../testdata/models/iris_logreg",
		"diabetes=../../testdata/models/diabetes_linreg", "--port", "0", "--ort-lib", lib, "--access-log")
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
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("berth serve exited before it was ready")
			}
			if m := readyLine.FindStringSubmatch(l); m != nil {
				url = m[1]
			}
		case <-ctx.Done():
			t.Fatal("berth serve never said it was ready")
		}
	}
	resp, err := http.Post(url+"/invocations", "application/json", strings.NewReader(
		`{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2]]}}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"label":0`) {
		t.Fatalf("POST /invocations = %d %s", resp.StatusCode, body)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var logged []string
	for l := range lines {
		logged = append(logged, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, strings.Join(logged, "\n"))
	}
	all := strings.Join(logged, "\n")
	if !strings.Contains(all, "path=/invocations status=200") || !strings.Contains(all, "shutting down") {
		t.Errorf("expected an access-log line and a shutdown line:\n%s", all)
	}
}

func TestServeCommandErrors(t *testing.T) {
	lib := ortest.Init(t)
	bin := buildBerth(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, busyPort, _ := net.SplitHostPort(busy.Addr().String())
	iris, err := filepath.Abs("../../testdata/models/iris_logreg")
	if err != nil {
		t.Fatal(err)
	}
	// A registry whose version 1 of iris is stored in a directory of this
	// machine, as a file:// artifact location makes it.
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/model-versions/get"):
			fmt.Fprintf(w, `{"model_version": {"name": "iris", "version": "1", "source": "file://%s"}}`, iris)
		case strings.HasSuffix(r.URL.Path, "/model-versions/get-download-uri"):
			fmt.Fprintf(w, `{"artifact_uri": "file://%s"}`, iris)
		default:
			http.NotFound(w, r)
		}
	}))
	defer reg.Close()
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"no ONNX Runtime", []string{"serve", "../../testdata/models/iris_logreg", "--ort-lib", "/nonexistent/libonnxruntime.so"}, nil, "make ort"},
		{"unsupported flavor", []string{"serve", "../../testdata/models/pyfunc_only", "--port", "0", "--ort-lib", lib}, nil, "python_function"},
		{"not a model", []string{"serve", "../../testdata", "--port", "0", "--ort-lib", lib}, nil, "MLmodel"},
		{"missing model directory", []string{"serve", "../../testdata/models/nope", "--port", "0", "--ort-lib", lib}, nil, "../../testdata/models/nope does not exist"},
		{"no model at all", []string{"serve"}, nil, "Usage:\n  berth serve [NAME=]MODEL"},
		{"unknown default", []string{"serve", "../../testdata/models/iris_logreg", "--default", "x", "--ort-lib", lib}, nil, "--default"},
		{"bad body limit", []string{"serve", "m", "--body-limit", "lots"}, nil, "body-limit"},
		{"bad response limit", []string{"serve", "m", "--response-limit", "-1"}, nil, "response-limit"},
		{"empty token", []string{"serve", "../../testdata/models/iris_logreg", "--token", "", "--ort-lib", lib}, nil, "--token (or BERTH_TOKEN) is empty"},
		{"empty BERTH_TOKEN", []string{"serve", "../../testdata/models/iris_logreg", "--ort-lib", lib}, []string{"BERTH_TOKEN="}, "--token (or BERTH_TOKEN) is empty"},
		{"token with a blank", []string{"serve", "../../testdata/models/iris_logreg", "--token", "a b", "--ort-lib", lib}, nil, "blanks"},
		{"port in use", []string{"serve", "../../testdata/models/iris_logreg", "--port", busyPort, "--ort-lib", lib}, nil, "give --port"},
		{"registry URI without scheme", []string{"serve", "models:/iris/1", "--registry-uri", "localhost:5000", "--ort-lib", lib}, nil, `registry URI "localhost:5000" has no scheme`},
		{"registry URI from the environment", []string{"serve", "models:/iris/1", "--port", "0", "--ort-lib", lib}, []string{"BERTH_REGISTRY_URI=127.0.0.1:5000"}, "e.g. http://127.0.0.1:5000"},
		{"models list, registry URI without scheme", []string{"models", "list", "--registry-uri", "127.0.0.1:5000"}, nil, "has no scheme"},
		{"version stored on this machine", []string{"serve", "models:/iris/1", "--registry-uri", reg.URL, "--port", "0", "--ort-lib", lib}, nil, "--allow-local-sources"},
		{"batch for an unknown model", []string{"serve", "iris=../../testdata/models/iris_logreg", "--batch", "other=8", "--ort-lib", lib}, nil, `no model is served as "other"`},
		{"bad batch size", []string{"serve", "iris=../../testdata/models/iris_logreg", "--batch", "iris=many", "--ort-lib", lib}, nil, "is not a batch size"},
		{"bad batch delay", []string{"serve", "iris=../../testdata/models/iris_logreg", "--batch", "iris=8/soon", "--ort-lib", lib}, nil, "is not a duration"},
		{"batch without size", []string{"serve", "iris=../../testdata/models/iris_logreg", "--batch", "iris", "--ort-lib", lib}, nil, "NAME=SIZE[/DELAY]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, c.args...)
			env := slices.DeleteFunc(os.Environ(), func(e string) bool {
				k, _, _ := strings.Cut(e, "=")
				return k == "BERTH_TOKEN" || k == "BERTH_REGISTRY_URI" || k == "MLFLOW_TRACKING_URI"
			})
			cmd.Env = append(append(env, "BERTH_ORT_LIB="), c.env...)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("exit 0, want a failure:\n%s", out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("output does not mention %q:\n%s", c.want, out)
			}
			if strings.Contains(string(out), "shutting down") {
				t.Errorf("a server that never started logs a graceful shutdown:\n%s", out)
			}
		})
	}
	// With the flag, the version stored here loads.
	t.Run("local sources allowed", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "serve", "models:/iris/1", "--registry-uri", reg.URL, "--allow-local-sources",
			"--port", "0", "--ort-lib", lib, "--poll-interval", "0", "--drift-writeback=false", "--report-interval", "0")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if readyLine.MatchString(sc.Text()) {
				return
			}
		}
		t.Fatal("berth serve --allow-local-sources never got ready")
	})
}

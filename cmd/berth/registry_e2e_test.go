package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/berthml/berth/internal/ortest"
)

// startSQLiteServer runs `berth server` until the test ends, its SQLite store
// and artifacts under data, and returns its address.
func startSQLiteServer(t *testing.T, bin, data string) string {
	t.Helper()
	return startBerth(t, bin, "server", "--port", "0",
		"--backend-store-uri", "sqlite:///"+filepath.Join(data, "berth.db"),
		"--artifacts-destination", filepath.Join(data, "artifacts"))
}

// readCSV reads the whole CSV file at path, its header the first record.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// startBerth runs the berth binary with args until the test ends and
// returns the address its "ready" log line names.
func startBerth(t *testing.T, bin string, args ...string) string {
	t.Helper()
	addr, _ := startBerthStoppable(t, bin, args...)
	return addr
}

// startBerthStoppable is startBerth that also returns a function that
// stops berth with SIGTERM and waits for it to exit (at the latest when
// the test ends).
func startBerthStoppable(t *testing.T, bin string, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			cmd.Wait()
		})
	}
	t.Cleanup(stop)
	addr := make(chan string, 1)
	var logMu sync.Mutex
	var logged []string
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logged = append(logged, sc.Text())
			logMu.Unlock()
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			logMu.Lock()
			defer logMu.Unlock()
			t.Fatalf("berth %s exited before it was ready:\n%s", args[0], strings.Join(logged, "\n"))
		}
		return a, stop
	case <-time.After(30 * time.Second):
		t.Fatalf("berth %s never said it was ready", args[0])
	}
	return "", stop
}

func runBerth(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("berth %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func modelVersion(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/v2/models/iris")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var meta struct {
		Versions []string `json:"versions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil || len(meta.Versions) == 0 {
		t.Fatalf("model metadata: %v", err)
	}
	return meta.Versions[0]
}

// TestRegistryToServing is the registry issue's end-to-end path on the real
// binary: an embedded berth server, a model registered to it with the alias
// champion, `berth serve models:/iris@champion`, then the alias moved to a
// new version under load: berth swaps it in and no request fails.
func TestRegistryToServing(t *testing.T) {
	lib := ortest.Init(t)
	bin := buildBerth(t)
	data := t.TempDir()
	registry := startSQLiteServer(t, bin, data)

	out := runBerth(t, bin, "models", "register", "../../testdata/models/iris_logreg", "--name", "iris",
		"--alias", "champion", "--registry-uri", registry, "-o", "json")
	if !strings.Contains(out, `"version": "1"`) {
		t.Fatalf("register: %s", out)
	}
	serving := startBerth(t, bin, "serve", "models:/iris@champion", "--registry-uri", registry,
		"--poll-interval", "200ms", "--port", "0", "--ort-lib", lib, "--cache-dir", filepath.Join(data, "cache"))
	if v := modelVersion(t, serving); v != "1" {
		t.Fatalf("serving version %s, want 1", v)
	}

	var (
		stop         atomic.Bool
		ok, failed   atomic.Int64
		wg           sync.WaitGroup
		firstFailure atomic.Value
	)
	body := `{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2]]}}`
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				resp, err := http.Post(serving+"/invocations", "application/json", strings.NewReader(body))
				if err != nil {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(string(b), `"label":0`) {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, string(b))
					continue
				}
				ok.Add(1)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	runBerth(t, bin, "models", "register", "../../testdata/models/iris_logreg", "--name", "iris", "--registry-uri", registry)
	runBerth(t, bin, "models", "alias", "iris", "champion", "2", "--registry-uri", registry)
	deadline := time.Now().Add(15 * time.Second)
	for modelVersion(t, serving) != "2" {
		if time.Now().After(deadline) {
			t.Fatal("berth serve did not move to version 2 after the alias moved")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests failed while the alias moved; first: %v", failed.Load(), ok.Load()+failed.Load(), firstFailure.Load())
	}
	if ok.Load() < 50 {
		t.Errorf("only %d requests ran", ok.Load())
	}
	t.Logf("%d requests answered while the alias moved from version 1 to 2, %d failed", ok.Load(), failed.Load())
	show := runBerth(t, bin, "models", "show", "iris", "--registry-uri", registry)
	if !strings.Contains(show, "@champion") {
		t.Errorf("models show does not list the alias:\n%s", show)
	}
	runBerth(t, bin, "models", "tag", "iris/2", "validated=yes", "--registry-uri", registry)
	var shown struct {
		Versions []struct {
			Version string `json:"version"`
			Tags    []struct{ Key, Value string }
		} `json:"model_versions"`
	}
	if err := json.Unmarshal([]byte(runBerth(t, bin, "models", "show", "iris", "-o", "json", "--registry-uri", registry)), &shown); err != nil {
		t.Fatal(err)
	}
	tagged := false
	for _, v := range shown.Versions {
		for _, tag := range v.Tags {
			tagged = tagged || (v.Version == "2" && tag.Key == "validated" && tag.Value == "yes")
		}
	}
	if !tagged {
		t.Errorf("models show -o json: version 2 lacks the tag validated=yes: %+v", shown)
	}
	if list := runBerth(t, bin, "models", "list", "--registry-uri", registry); !strings.Contains(list, "iris") {
		t.Errorf("models list:\n%s", list)
	}
	var runs []struct {
		Info struct {
			RunID   string `json:"run_id"`
			RunName string `json:"run_name"`
		} `json:"info"`
	}
	if err := json.Unmarshal([]byte(runBerth(t, bin, "runs", "list", "--experiment", "berth-models", "-o", "json", "--registry-uri", registry)), &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Info.RunName != "register-iris" {
		t.Fatalf("runs list: %+v, want the two register-iris runs", runs)
	}
	if out := runBerth(t, bin, "runs", "show", runs[0].Info.RunID, "--registry-uri", registry); !strings.Contains(out, "FINISHED") {
		t.Errorf("runs show:\n%s", out)
	}
}

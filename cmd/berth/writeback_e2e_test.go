package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/internal/ortest"
)

// TestDriftWriteback serves models:/iris@champion with a drift reference
// and 10-row windows: shifted inputs close a drifting window, which berth
// writes back as the version's tags, a monitoring run's metrics and one
// webhook event.
func TestDriftWriteback(t *testing.T) {
	lib := ortest.Init(t)
	bin := buildBerth(t)
	data := t.TempDir()
	registry := startBerth(t, bin, "server", "--port", "0",
		"--backend-store-uri", "sqlite:///"+filepath.Join(data, "berth.db"),
		"--artifacts-destination", filepath.Join(data, "artifacts"))

	model := filepath.Join(data, "iris")
	if err := os.CopyFS(model, os.DirFS("../../testdata/models/iris_logreg")); err != nil {
		t.Fatal(err)
	}
	runBerth(t, bin, "drift", "profile", model, "--data", "../../testdata/data/iris.csv")
	runBerth(t, bin, "models", "register", model, "--name", "iris", "--alias", "champion", "--registry-uri", registry)

	var (
		mu     sync.Mutex
		events []map[string]any
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}))
	defer hook.Close()

	serving := startBerth(t, bin, "serve", "models:/iris@champion", "--registry-uri", registry,
		"--port", "0", "--ort-lib", lib, "--cache-dir", filepath.Join(data, "cache"),
		"--drift-window-rows", "10", "--drift-webhook", hook.URL)
	// Ten rows far outside the reference: one drifting window.
	rows := strings.TrimSuffix(strings.Repeat("[50.0, 30.0, 40.0, 20.0],", 10), ",")
	body := `{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [` + rows + `]}}`
	resp, err := http.Post(serving+"/invocations", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scoring: %s", resp.Status)
	}

	var shown struct {
		Versions []struct {
			Version string `json:"version"`
			Tags    []struct{ Key, Value string }
		} `json:"model_versions"`
	}
	tags := map[string]string{}
	deadline := time.Now().Add(15 * time.Second)
	for tags["berth.drift.status"] == "" {
		if time.Now().After(deadline) {
			t.Fatal("the drift window was not written back to the registry")
		}
		time.Sleep(100 * time.Millisecond)
		if err := json.Unmarshal([]byte(runBerth(t, bin, "models", "show", "iris", "-o", "json", "--registry-uri", registry)), &shown); err != nil {
			t.Fatal(err)
		}
		for _, v := range shown.Versions {
			for _, tag := range v.Tags {
				if v.Version == "1" {
					tags[tag.Key] = tag.Value
				}
			}
		}
	}
	if tags["berth.drift.status"] != "drift" || tags["berth.drift.worst_feature"] == "" || tags["berth.drift.last_window"] == "" {
		t.Errorf("version 1 tags: %v", tags)
	}
	if table := runBerth(t, bin, "models", "show", "iris", "--registry-uri", registry); !strings.Contains(table, "DRIFT") ||
		!strings.Contains(table, "drift ("+tags["berth.drift.worst_feature"]+")") {
		t.Errorf("models show does not show the drift status:\n%s", table)
	}
	var runs []struct {
		Info struct {
			RunName string `json:"run_name"`
		} `json:"info"`
	}
	if err := json.Unmarshal([]byte(runBerth(t, bin, "runs", "list", "--experiment", "berth-monitoring", "-o", "json", "--registry-uri", registry)), &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Info.RunName != "iris-v1-drift" {
		t.Errorf("monitoring runs: %+v", runs)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(events)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 1 || events[0]["status"] != "drift" || events[0]["model"] != "iris" {
		t.Errorf("webhook events: %v", events)
	}
}

package main

import (
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/internal/ortest"
)

// TestPromoteEndToEnd is the evaluate issue's promotion path on the real
// binaries: the decision tree (accuracy 0.96 on iris) is @champion and
// served by berth serve; a better candidate (the logistic regression,
// 0.973) is promoted and served within the poll interval; a worse one (the
// tree again, as a new version) is refused with every failed check
// listed, and the alias stays. Both outcomes are
// recorded on the candidate versions with their evaluation runs.
func TestPromoteEndToEnd(t *testing.T) {
	lib := ortest.Init(t)
	bin := buildBerth(t)
	data := t.TempDir()
	registry := startSQLiteServer(t, bin, data)
	reg := []string{"--registry-uri", registry, "--cache-dir", filepath.Join(data, "cache"), "--ort-lib", lib}
	runBerth(t, bin, "models", "register", "../../testdata/models/iris_tree", "--name", "iris", "--alias", "champion", "--registry-uri", registry)
	runBerth(t, bin, "models", "register", "../../testdata/models/iris_logreg", "--name", "iris", "--registry-uri", registry)
	runBerth(t, bin, "models", "register", "../../testdata/models/iris_tree", "--name", "iris", "--registry-uri", registry)

	serving := startBerth(t, bin, append([]string{"serve", "models:/iris@champion", "--port", "0", "--poll-interval", "200ms"}, reg...)...)
	if v := modelVersion(t, serving); v != "1" {
		t.Fatalf("serving version %s, want 1", v)
	}

	eval := []string{"--data", "../../testdata/data/iris.csv", "--target", "target", "--model-type", "classifier", "-o", "json"}
	// The logistic regression beats the tree by more than a point.
	out := berthStdout(t, bin, append(append([]string{"promote", "models:/iris/2", "--alias", "champion",
		"--require", "accuracy_score>=0.9", "--min-absolute-change", "accuracy_score=0.01"}, eval...), reg...)...)
	var p struct {
		Promoted       bool               `json:"promoted"`
		Previous       string             `json:"previous_version"`
		Metrics        map[string]float64 `json:"metrics"`
		PrevMetrics    map[string]float64 `json:"previous_metrics"`
		CandidateRunID string             `json:"candidate_run_id"`
		Failures       []struct {
			Metric, Check, Message string
		} `json:"failures"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !p.Promoted || p.Previous != "1" || p.CandidateRunID == "" || p.Metrics["accuracy_score"] <= p.PrevMetrics["accuracy_score"] {
		t.Fatalf("promotion of v2: %s", out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for modelVersion(t, serving) != "2" {
		if time.Now().After(deadline) {
			t.Fatal("berth serve did not pick up the promoted version")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// An alias no version holds yet: the candidate only has to pass --require.
	out = berthStdout(t, bin, append(append([]string{"promote", "models:/iris/2", "--alias", "challenger",
		"--require", "accuracy_score>=0.9"}, eval...), reg...)...)
	var first struct {
		Promoted bool   `json:"promoted"`
		Previous string `json:"previous_version"`
	}
	if err := json.Unmarshal([]byte(out), &first); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !first.Promoted || first.Previous != "" {
		t.Fatalf("first promotion to @challenger: %s", out)
	}

	// Version 3 (the tree again) is worse than @champion.
	cmd := exec.Command(bin, append(append([]string{"promote", "models:/iris/3", "--alias", "champion",
		"--require", "accuracy_score>=0.99", "--min-relative-change", "f1_score=0.01"}, eval...), reg...)...)
	outb, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("refused promotion: %v (want exit status 1)\n%s", err, outb)
	}
	if err := json.Unmarshal(outb, &p); err != nil {
		t.Fatalf("%v: %s", err, outb)
	}
	checks := map[string]bool{}
	for _, f := range p.Failures {
		checks[f.Metric+" "+f.Check] = true
	}
	if p.Promoted || !checks["accuracy_score threshold"] || !checks["f1_score min_relative_change"] {
		t.Errorf("refusal of v3 should list both failed checks: %s", outb)
	}
	if !strings.Contains(string(exit.Stderr), "promotion refused") {
		t.Errorf("stderr %q does not say the promotion was refused", exit.Stderr)
	}
	time.Sleep(500 * time.Millisecond)
	if v := modelVersion(t, serving); v != "2" {
		t.Errorf("after a refusal berth serve runs version %s, want 2", v)
	}

	var shown struct {
		Model struct {
			Aliases []struct{ Alias, Version string } `json:"aliases"`
		} `json:"registered_model"`
		Versions []struct {
			Version string
			Tags    []struct{ Key, Value string }
		} `json:"model_versions"`
	}
	if err := json.Unmarshal([]byte(runBerth(t, bin, "models", "show", "iris", "-o", "json", "--registry-uri", registry)), &shown); err != nil {
		t.Fatal(err)
	}
	aliases := map[string]string{}
	for _, a := range shown.Model.Aliases {
		aliases[a.Alias] = a.Version
	}
	if len(aliases) != 2 || aliases["champion"] != "2" || aliases["challenger"] != "2" {
		t.Errorf("aliases %+v, want champion and challenger on 2", shown.Model.Aliases)
	}
	tags := map[string]map[string]string{}
	for _, v := range shown.Versions {
		tags[v.Version] = map[string]string{}
		for _, tg := range v.Tags {
			tags[v.Version][tg.Key] = tg.Value
		}
	}
	if tags["2"]["berth.promotion.champion"] != "promoted" || tags["2"]["berth.evaluation.run_id"] == "" ||
		tags["2"]["berth.promotion.baseline_version"] != "1" {
		t.Errorf("version 2 tags: %v", tags["2"])
	}
	if tags["3"]["berth.promotion.champion"] != "refused" || tags["3"]["berth.evaluation.run_id"] == "" {
		t.Errorf("version 3 tags: %v", tags["3"])
	}

	// The evaluation runs: one per model per promotion, with metrics.
	var runs []struct {
		Info struct {
			RunID string `json:"run_id"`
		} `json:"info"`
		Data struct {
			Metrics []struct{ Key string } `json:"metrics"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(runBerth(t, bin, "runs", "list", "--experiment", "berth-evaluation", "-o", "json", "--registry-uri", registry)), &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 5 {
		t.Errorf("%d evaluation runs, want 5 (candidate and baseline, twice; the candidate alone for @challenger)", len(runs))
	}
	found := false
	for _, r := range runs {
		if r.Info.RunID == tags["2"]["berth.evaluation.run_id"] {
			found = len(r.Data.Metrics) >= 5
		}
	}
	if !found {
		t.Errorf("the candidate's evaluation run %s is not there with its metrics", tags["2"]["berth.evaluation.run_id"])
	}
}

// berthStdout runs the binary and returns its standard output alone.
func berthStdout(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("berth %s: %v\n%s%s", strings.Join(args, " "), err, out, exit.Stderr)
		}
		t.Fatal(err)
	}
	return string(out)
}

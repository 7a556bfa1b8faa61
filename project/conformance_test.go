package project_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/project"
	"github.com/berthml/berth/server/servertest"
)

const recorded = "../testdata/conformance/mlflow-projects"

// recordedRun is one case of summary.json.
type recordedRun struct {
	Case         string            `json:"case"`
	ExitCode     int               `json:"exit_code"`
	Stderr       string            `json:"stderr"`
	RunID        string            `json:"run_id"`
	Status       string            `json:"status"`
	ExperimentID string            `json:"experiment_id"`
	Tags         map[string]string `json:"tags"`
	Params       map[string]string `json:"params"`
	ChildEnv     map[string]any    `json:"child_env.json"`
}

type recordedExchange struct {
	Step        string          `json:"step"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	Query       string          `json:"query"`
	RequestBody json.RawMessage `json:"request_body"`
}

func loadRecording(t *testing.T) (map[string]recordedRun, []recordedExchange) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(recorded, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Runs []recordedRun `json:"runs"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	runs := map[string]recordedRun{}
	for _, r := range sum.Runs {
		runs[r.Case] = r
	}
	f, err := os.Open(filepath.Join(recorded, "transcript.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ex []recordedExchange
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e recordedExchange
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		ex = append(ex, e)
	}
	return runs, ex
}

// cliRequests are the requests mlflow run itself made in a case (not its
// child's): experiment lookups, the run's creation, its parameters, the
// tags it sets (mlflow.*) and the last status update.
func cliRequests(ex []recordedExchange, step string) []exchange {
	var out []exchange
	lastUpdate := -1
	for _, e := range ex {
		if e.Step != step {
			continue
		}
		ep := strings.TrimPrefix(e.Path, mlflowrest.APIPrefix[:len(mlflowrest.APIPrefix)-1]+"/")
		switch ep {
		case "experiments/get-by-name", "experiments/create", "runs/create", "runs/log-batch":
		case "runs/set-tag":
			var tag struct{ Key string }
			json.Unmarshal(e.RequestBody, &tag)
			if !strings.HasPrefix(tag.Key, "mlflow.") {
				continue
			}
		case "runs/update":
			lastUpdate = len(out)
		default:
			continue
		}
		body := []byte(e.RequestBody)
		if string(body) == "null" {
			body = nil
		}
		out = append(out, exchange{Method: e.Method, Path: e.Path, Query: e.Query, Body: body})
	}
	// Keep only the last runs/update (the child's come before it).
	var kept []exchange
	for i, e := range out {
		if strings.HasSuffix(e.Path, "runs/update") && i != lastUpdate {
			continue
		}
		kept = append(kept, e)
	}
	return kept
}

// berthRequests are the requests berth run made (the Go client's), less
// the log artifact's upload.
func berthRequests(seen []exchange) []exchange {
	var out []exchange
	for _, e := range seen {
		if !strings.HasPrefix(e.UserAgent, "Go-http-client") || e.Method == "PUT" {
			continue
		}
		out = append(out, e)
	}
	return out
}

// normalize decodes a JSON body, drops times, and maps recorded values to
// this run's.
func normalize(t *testing.T, b []byte, m func(string) string) any {
	t.Helper()
	if len(b) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "start_time")
			delete(x, "end_time")
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		case string:
			return m(x)
		}
		return v
	}
	return walk(v)
}

// mlflowError is the message of the recorded ERROR mlflow.cli line.
func mlflowError(stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if _, msg, ok := strings.Cut(line, "ERROR mlflow.cli: === "); ok {
			return strings.TrimSuffix(msg, " ===")
		}
	}
	return ""
}

// TestRecordedProjects runs each recorded mlflow run case with berth run
// against a real berth server, with the recorded project (its scripts'
// mlflow calls made through testdata/projects/mlflow_rest.py), and compares
// what berth sent (the requests, ids and paths mapped), the run's tags and
// params, the child's argv and environment, and MLflow's error texts with
// the recording.
func TestRecordedProjects(t *testing.T) {
	env := pythonEnv(t)
	runs, transcript := loadRecording(t)
	root := t.TempDir()
	cwd, projDir, gitDir := filepath.Join(root, "cwd"), filepath.Join(root, "project"), filepath.Join(root, "gitproject")
	files := map[string]string{}
	for _, f := range []string{"MLproject", "python_env.yaml", "data.csv"} {
		files[f] = filepath.Join(recorded, "project", f)
	}
	for _, f := range []string{"train.py", "fail.py", "other.py"} {
		files[f] = filepath.Join("../testdata/projects/conformance", f)
	}
	copyFiles(t, projDir, files)
	copyFiles(t, gitDir, files)
	copyFiles(t, cwd, map[string]string{"data.csv": filepath.Join(recorded, "project", "data.csv")})
	_, commit := gitInit(t, gitDir)

	srv := servertest.New(t)
	rec := newRecorder(t, srv.URL)
	c := &mlflowrest.Client{BaseURL: rec.URL}
	direct := &mlflowrest.Client{BaseURL: srv.URL} // the test's own reads, not recorded

	cases := []struct {
		name string
		req  project.Request
	}{
		{"01_main", project.Request{URI: projDir, EntryPoint: "main", ExperimentName: "proj-exp",
			Params: []project.Param{{"data_file", "data.csv"}, {"alpha", "0.5"}, {"label", "two words it's"}, {"extra", "7"}}}},
		{"01b_path_param_not_found", project.Request{URI: projDir, EntryPoint: "main", ExperimentName: "proj-exp",
			Params: []project.Param{{"data_file", "no-such.csv"}}}},
		{"02_main_defaults_run_name", project.Request{URI: projDir, ExperimentName: "proj-exp", RunName: "my-proj-run",
			Params: []project.Param{{"data_file", projDir + "/data.csv"}}}},
		{"03_fail", project.Request{URI: projDir, EntryPoint: "fail", ExperimentName: "proj-exp", Params: []project.Param{{"code", "3"}}}},
		{"04_undeclared_py", project.Request{URI: projDir, EntryPoint: "other.py", ExperimentName: "proj-exp",
			Params: []project.Param{{"foo", "bar"}, {"msg", "hello world"}}}},
		{"05_missing_param", project.Request{URI: projDir, EntryPoint: "main", ExperimentName: "proj-exp", Params: []project.Param{{"alpha", "0.5"}}}},
		{"06_bad_float", project.Request{URI: projDir, EntryPoint: "main", ExperimentName: "proj-exp",
			Params: []project.Param{{"data_file", "data.csv"}, {"alpha", "abc"}}}},
		{"07_unknown_entry_point", project.Request{URI: projDir, EntryPoint: "nope", ExperimentName: "proj-exp"}},
		{"08_undeclared_sh", project.Request{URI: projDir, EntryPoint: "run.sh", ExperimentName: "proj-exp"}},
		{"09_git_main", project.Request{URI: gitDir, EntryPoint: "main", ExperimentName: "proj-exp-git",
			Params: []project.Param{{"data_file", "data.csv"}, {"extra", "7"}}}},
		{"10_git_undeclared_py", project.Request{URI: gitDir, EntryPoint: "other.py", ExperimentName: "proj-exp-git"}},
		{"11_git_uri_file", project.Request{URI: "file://" + gitDir, EntryPoint: "main", ExperimentName: "proj-exp-git",
			Params: []project.Param{{"data_file", "data.csv"}}}},
		{"12_no_experiment_name", project.Request{URI: projDir, EntryPoint: "other.py"}},
	}
	for _, tc := range cases {
		want, ok := runs[tc.name]
		if !ok {
			t.Fatalf("no recorded case %s", tc.name)
		}
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			res, err := project.Run(context.Background(), c, tc.req, project.WithCwd(cwd), project.WithUser("root"),
				project.WithShell("/bin/bash"), project.WithEnv(env), project.WithOutput(io.Discard, &stderr))
			seen := rec.take()
			if t.Failed() {
				return
			}
			wantErr := mlflowError(want.Stderr)
			switch {
			case want.ExitCode == 0 && err != nil:
				t.Fatalf("Run: %v\n%s", err, stderr.String())
			case want.ExitCode != 0 && err == nil:
				t.Fatalf("Run succeeded; MLflow exited %d (%s)", want.ExitCode, wantErr)
			case strings.HasPrefix(wantErr, "Run (ID"):
				if !errors.Is(err, project.ErrRunFailed) || err.Error() != mapRunID(wantErr, want.RunID, res) {
					t.Errorf("Run: %v, want ErrRunFailed and MLflow's %q", err, wantErr)
				}
			case wantErr != "":
				if err.Error() != wantErr {
					t.Errorf("Run: %q\nMLflow: %q", err, wantErr)
				}
			}
			m := strings.NewReplacer("/home/user/cwd", cwd, "/home/user/project", projDir, "/home/user/gitproject", gitDir,
				"http://127.0.0.1:18421", rec.URL).Replace
			mapIDs := func(s string) string { return m(s) }
			if res != nil && want.RunID != "" {
				mapIDs = func(s string) string {
					s = m(s)
					switch s {
					case want.RunID:
						return res.RunID
					case want.ExperimentID:
						return res.ExperimentID
					case "f29e94c56308ec5cf03d6a8b551cbad6e9575d6a":
						return commit
					}
					return s
				}
			}

			// The requests, in order.
			wantReq := cliRequests(transcript, tc.name)
			if tc.name == "01b_path_param_not_found" {
				// MLflow leaves this run RUNNING; berth ends it FAILED.
				wantReq = append(wantReq, exchange{Method: "POST", Path: "/api/2.0/mlflow/runs/update",
					Body: []byte(`{"run_uuid": "` + want.RunID + `", "status": "FAILED", "run_id": "` + want.RunID + `"}`)})
			}
			gotReq := berthRequests(seen)
			if len(gotReq) != len(wantReq) {
				t.Errorf("berth made %d requests, MLflow %d:\nberth: %s\nMLflow: %s", len(gotReq), len(wantReq), describe(gotReq), describe(wantReq))
			}
			for i := range min(len(gotReq), len(wantReq)) {
				g, w := gotReq[i], wantReq[i]
				if g.Method != w.Method || g.Path != w.Path || g.Query != m(w.Query) {
					t.Errorf("request %d: %s %s?%s, MLflow %s %s?%s", i, g.Method, g.Path, g.Query, w.Method, w.Path, w.Query)
					continue
				}
				gb, wb := normalize(t, g.Body, func(s string) string { return s }), normalize(t, w.Body, mapIDs)
				if !reflect.DeepEqual(gb, wb) {
					t.Errorf("request %d %s body:\nberth:  %s\nMLflow: %s", i, g.Path, g.Body, w.Body)
				}
			}
			if want.RunID == "" {
				if res != nil {
					t.Errorf("a run was created (%s); MLflow made none", res.RunID)
				}
				return
			}

			// The run as the server keeps it.
			var got mlflowrest.RunResponse
			if err := direct.Get(context.Background(), "runs/get", url.Values{"run_id": {res.RunID}}, &got); err != nil {
				t.Fatal(err)
			}
			wantStatus := want.Status
			if tc.name == "01b_path_param_not_found" {
				wantStatus = "FAILED"
			}
			if got.Run.Info.Status != wantStatus || res.Status != wantStatus {
				t.Errorf("status %s (result %s), MLflow %s", got.Run.Info.Status, res.Status, wantStatus)
			}
			if got.Run.Info.ExperimentID != res.ExperimentID || got.Run.Info.UserID != "root" {
				t.Errorf("experiment %s, user %s", got.Run.Info.ExperimentID, got.Run.Info.UserID)
			}
			tags := map[string]string{}
			for _, tg := range got.Run.Data.Tags {
				tags[tg.Key] = tg.Value
			}
			for k, v := range want.Tags {
				if k == "mlflow.runName" && tc.req.RunName == "" {
					v = got.Run.Info.RunName // generated by each server
				}
				if tags[k] != mapIDs(v) {
					t.Errorf("tag %s = %q, MLflow %q", k, tags[k], mapIDs(v))
				}
			}
			for k := range tags {
				if _, ok := want.Tags[k]; !ok {
					t.Errorf("tag %s = %q, which MLflow does not set", k, tags[k])
				}
			}
			params := map[string]string{}
			for _, p := range got.Run.Data.Params {
				params[p.Key] = p.Value
			}
			wantParams := map[string]string{}
			for k, v := range want.Params {
				wantParams[k] = mapIDs(v)
			}
			if !reflect.DeepEqual(params, wantParams) {
				t.Errorf("params %v, MLflow %v", params, wantParams)
			}

			// What the child saw.
			if want.ChildEnv != nil {
				root := strings.TrimPrefix(got.Run.Info.ArtifactURI, "mlflow-artifacts:/")
				rc, err := direct.GetArtifact(context.Background(), root+"/child_env.json")
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				wantEnv, _ := json.Marshal(want.ChildEnv)
				if g, w := normalize(t, b, func(s string) string { return s }), normalize(t, wantEnv, mapIDs); !reflect.DeepEqual(g, w) {
					t.Errorf("child_env.json:\nberth:  %s\nMLflow: %s", b, wantEnv)
				}
			}
			// The output, kept.
			root := strings.TrimPrefix(got.Run.Info.ArtifactURI, "mlflow-artifacts:/")
			rc, err := direct.GetArtifact(context.Background(), root+"/"+project.LogArtifact)
			if err != nil {
				t.Fatalf("the run's %s: %v", project.LogArtifact, err)
			}
			logText, _ := io.ReadAll(rc)
			rc.Close()
			if want.Status != "RUNNING" && !strings.Contains(string(logText), "=== Running command '") {
				t.Errorf("%s does not say what ran:\n%s", project.LogArtifact, logText)
			}
		})
	}
}

// mapRunID puts this run's id where MLflow's message has the recorded one.
func mapRunID(msg, recordedID string, res *project.Result) string {
	if res == nil {
		return msg
	}
	return strings.ReplaceAll(msg, recordedID, res.RunID)
}

func describe(ex []exchange) string {
	var parts []string
	for _, e := range ex {
		parts = append(parts, e.Method+" "+strings.TrimPrefix(e.Path, "/api/2.0/mlflow/")+" "+string(e.Body))
	}
	return "\n  " + strings.Join(parts, "\n  ")
}

package server_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// routes36 is testdata/conformance/mlflow3/routes-3.6.txt: section name to
// its rows, "METHOD PATH" to what the file says of it.
func routes36(t *testing.T) map[string]map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "conformance", "mlflow3", "routes-3.6.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			out[section] = map[string]string{}
		default:
			route, status, ok := strings.Cut(line, "\t")
			if !ok || section == "" || len(strings.Fields(route)) != 2 {
				t.Fatalf("routes-3.6.txt: malformed line %q", line)
			}
			out[section][route] = status
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// pathShape replaces a path's parameter segments (MLflow's {name}, gin's
// :name and *name) with {}.
func pathShape(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") || strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

// TestRoutesMLflow36: every MLflow 3.6 route of routes-3.6.txt is served by
// berth's route table or listed as not served with a reason, and the list
// stays true: a served route is in the table, a not-served one is in it
// under neither /api/2.0 nor /api/3.0 (a route served since must move to
// served), and the recorded section is exactly the (method, route) pairs of
// the recorded MLflow 3.6 exchanges.
func TestRoutesMLflow36(t *testing.T) {
	list := routes36(t)
	served := map[string]bool{}
	for _, r := range newServer(t).Routes() {
		served[r.Method+" "+pathShape(r.Path)] = true
	}
	recorded := map[string]bool{}
	for _, name := range []string{"mlflow3-rest-transcript.jsonl", "mlflow3-rest-transcript-version-2.17.2.jsonl"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "conformance", "mlflow3", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var ex struct{ Method, Route string }
			if err := json.Unmarshal([]byte(line), &ex); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			recorded[ex.Method+" "+ex.Route] = true
		}
	}
	var missing, extra []string
	for r := range recorded {
		if _, ok := list["recorded"][r]; !ok {
			missing = append(missing, r)
		}
	}
	for r := range list["recorded"] {
		if !recorded[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 || len(recorded) == 0 {
		t.Errorf("[recorded] differs from the transcripts (%d routes): missing %v, not recorded %v", len(recorded), missing, extra)
	}
	if len(list["declared"]) == 0 {
		t.Error("routes-3.6.txt has no [declared] section")
	}
	for section, rows := range list {
		for route, status := range rows {
			method, path, _ := strings.Cut(route, " ")
			switch {
			case status == "served":
				if !served[method+" "+pathShape(path)] {
					t.Errorf("[%s] %s is listed as served; berth's route table has no %s %s", section, route, method, pathShape(path))
				}
			case strings.HasPrefix(status, "not served: ") && len(strings.TrimSpace(strings.TrimPrefix(status, "not served: "))) > 0:
				if !strings.HasPrefix(path, "/mlflow/") {
					t.Errorf("[%s] %s: a not-served route is written from /mlflow/ and checked under each API prefix", section, route)
				}
				for _, prefix := range []string{"/api/2.0", "/api/3.0", "/ajax-api/2.0", "/ajax-api/3.0"} {
					if served[method+" "+pathShape(prefix+path)] {
						t.Errorf("[%s] %s is listed as not served, but berth serves %s %s%s: list it as served", section, route, method, prefix, path)
					}
				}
			default:
				t.Errorf("[%s] %s: status %q, want \"served\" or \"not served: <reason>\"", section, route, status)
			}
		}
	}
}

package server_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/berthml/berth/server"
)

// transcriptPath is the REST transcript recorded from MLflow 2.17.2,
// committed with the repository (testdata/conformance/README.md).
const transcriptPath = "../testdata/conformance/mlflow-rest-transcript.jsonl"

// exchange is one recorded request and MLflow 2.17.2's answer.
type exchange struct {
	Seq                 int     `json:"seq"`
	Step                string  `json:"step"`
	Method              string  `json:"method"`
	Path                string  `json:"path"`
	Query               string  `json:"query"`
	RequestContentType  *string `json:"request_content_type"`
	RequestBody         *string `json:"request_body"`
	RequestBodyBase64   string  `json:"request_body_base64"`
	Status              int     `json:"status"`
	ResponseContentType string  `json:"response_content_type"`
	ResponseBody        string  `json:"response_body"`
	ResponseBodyBase64  string  `json:"response_body_base64"`
}

// deviation is an exchange where berth deliberately answers differently
// from MLflow: the status and error code berth gives instead, and why.
type deviation struct {
	status int
	code   string
	why    string
}

var deviations = map[int]deviation{
	// Step 154: GET of a missing artifact file.
	210: {404, "RESOURCE_DOES_NOT_EXIST", "MLflow answers 500 INTERNAL_ERROR and leaks its local artifact root; a missing file is the client's 404"},
}

// htmlErrors are exchanges where MLflow answers Flask's HTML error page and
// berth the same status as MLflow's error JSON.
var htmlErrors = map[int]string{
	202: "unknown endpoint: HTML 404 in MLflow, 404 ENDPOINT_NOT_FOUND JSON in berth",
	203: "GET on a POST-only endpoint: HTML 405 in MLflow, 405 BAD_REQUEST JSON in berth",
	226: "GET runs/search: HTML 405 in MLflow, 405 BAD_REQUEST JSON in berth",
}

// ignoredValues are fields whose values differ between servers by nature
// (generated ids, clocks, the user, locations); only their JSON type is
// compared. Run ids in other values are translated before comparing.
var ignoredValues = map[string]bool{
	"experiment_id": true, "run_id": true, "run_uuid": true,
	"artifact_location": true, "artifact_uri": true, "root_uri": true,
	"creation_time": true, "last_update_time": true,
	"creation_timestamp": true, "last_updated_timestamp": true,
	"start_time": true, "end_time": true, "user_id": true,
}

// mlflow3Additions are fields MLflow 3 added to answers (a run's "inputs"
// in runs/create and its "outputs"), which berth sends as MLflow 3 does and
// MLflow 2.17's client ignores. Only their empty form may be extra here:
// the 2.17 transcript has no logged models.
var mlflow3Additions = map[string]bool{"inputs": true, "outputs": true}

func loadTranscript(t *testing.T) []exchange {
	t.Helper()
	f, err := os.Open(transcriptPath)
	if err != nil {
		t.Fatalf("the MLflow conformance transcript is committed under testdata/conformance/ (git checkout -- testdata/conformance): %v", err)
	}
	defer f.Close()
	var out []exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e exchange
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("reading transcript: %v", err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading transcript: %v", err)
	}
	return out
}

// idMap translates MLflow's ids in the transcript into berth's.
type idMap struct {
	runs map[string]string // MLflow run id -> berth run id
	exps map[string]string // MLflow experiment id -> berth experiment id
}

var hexID = regexp.MustCompile(`[0-9a-f]{32}`)

// translate replaces recorded run ids in s with berth's, and recorded
// experiment ids where they stand in artifact paths and URIs.
func (m *idMap) translate(s string) string {
	for old, b := range m.runs {
		s = strings.ReplaceAll(s, old, b)
	}
	return translateExpPaths(s, m.exps)
}

// translateJSON rewrites experiment ids in a JSON request body.
func (m *idMap) translateJSON(body string) string {
	var v map[string]any
	if json.Unmarshal([]byte(body), &v) != nil {
		return m.translate(body)
	}
	changed := false
	if id, ok := v["experiment_id"].(string); ok && m.exps[id] != "" && m.exps[id] != id {
		v["experiment_id"], changed = m.exps[id], true
	}
	if ids, ok := v["experiment_ids"].([]any); ok {
		for i, id := range ids {
			if s, ok := id.(string); ok && m.exps[s] != "" && m.exps[s] != s {
				ids[i], changed = m.exps[s], true
			}
		}
	}
	if !changed {
		return m.translate(body)
	}
	b, _ := json.Marshal(v)
	return m.translate(string(b))
}

func (m *idMap) translateQuery(q string) string {
	return translateExpQuery(q, m.exps, m.translate)
}

// learn records the ids berth gave where MLflow's response had others.
func (m *idMap) learn(want, got any) {
	learnIDs(want, got, func(k, ws, gs string) bool {
		switch {
		case (k == "run_id" || k == "run_uuid") && hexID.MatchString(ws):
			m.runs[ws] = gs
		case k == "experiment_id":
			learnOnce(m.exps, ws, gs)
		default:
			return false
		}
		return true
	})
}

// compare reports how got differs from want: field names, JSON types and
// values, except the values of ignoredValues. Recorded run ids in strings
// are translated first.
func (m *idMap) compare(path string, want, got any) string {
	return jsonDiff{
		translate: m.translate,
		typeOnly:  ignoredValues,
		extraOK:   func(k string, gv any) bool { return mlflow3Additions[k] && jsonOf(gv) == "{}" },
	}.compare(path, want, got)
}

// TestReplayMLflowTranscript replays every exchange the real MLflow client
// had with MLflow 2.17.2's server, in order, against a fresh berth server,
// and compares status codes, error codes, and the answers' field names,
// types and values (ids, clocks and locations excepted).
func TestReplayMLflowTranscript(t *testing.T) {
	exchanges := loadTranscript(t)
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			// The recorded server was MLflow 2.17.2; berth reports
			// DefaultVersion unless told otherwise.
			h := newServerOn(t, b.open(t), server.WithVersion("2.17.2")).Handler()
			ids := &idMap{runs: map[string]string{}, exps: map[string]string{}}
			matched, deliberate := 0, 0
			var mismatches []string
			for _, e := range exchanges {
				msg := replayOne(h, ids, e)
				switch {
				case msg == "" && (deviations[e.Seq] != deviation{} || htmlErrors[e.Seq] != ""):
					deliberate++
				case msg == "":
					matched++
				default:
					mismatches = append(mismatches, fmt.Sprintf("seq %d (step %s %s %s): %s", e.Seq, e.Step, e.Method, e.Path, msg))
				}
			}
			t.Logf("%s: %d of %d exchanges match MLflow 2.17.2; %d differ deliberately; %d mismatch",
				b.name, matched, len(exchanges), deliberate, len(mismatches))
			for _, m := range mismatches {
				t.Error(m)
			}
		})
	}
}

// replayOne sends one exchange and returns "" when berth answers as
// expected.
func replayOne(h http.Handler, ids *idMap, e exchange) string {
	target := ids.translate(e.Path)
	if e.Query != "" {
		target += "?" + ids.translateQuery(e.Query)
	}
	var body []byte
	switch {
	case e.RequestBodyBase64 != "":
		body, _ = base64.StdEncoding.DecodeString(e.RequestBodyBase64)
	case e.RequestBody != nil:
		body = []byte(ids.translateJSON(*e.RequestBody))
	}
	req := httptest.NewRequest(e.Method, "http://berth.test"+target, bytes.NewReader(body))
	if e.RequestContentType != nil {
		req.Header.Set("Content-Type", *e.RequestContentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	got := rec.Body.Bytes()

	wantStatus, wantCode := e.Status, ""
	if d, ok := deviations[e.Seq]; ok {
		wantStatus, wantCode = d.status, d.code
	}
	if rec.Code != wantStatus {
		return fmt.Sprintf("status %d, want %d; body %s", rec.Code, wantStatus, clip(string(got)))
	}
	if htmlErrors[e.Seq] != "" || deviations[e.Seq] != (deviation{}) || !strings.HasPrefix(e.ResponseContentType, "application/json") {
		if wantCode != "" || htmlErrors[e.Seq] != "" {
			var er struct {
				ErrorCode string `json:"error_code"`
			}
			if err := json.Unmarshal(got, &er); err != nil || (wantCode != "" && er.ErrorCode != wantCode) {
				return fmt.Sprintf("error body %s, want error_code %s", clip(string(got)), wantCode)
			}
			return ""
		}
		want := []byte(e.ResponseBody)
		if e.ResponseBodyBase64 != "" {
			want, _ = base64.StdEncoding.DecodeString(e.ResponseBodyBase64)
		}
		if e.ResponseBodyBase64 == "" {
			want = []byte(ids.translate(e.ResponseBody))
		}
		if !bytes.Equal(got, want) {
			return fmt.Sprintf("body %q, want %q", clip(string(got)), clip(string(want)))
		}
		return ""
	}
	return compareAnswer(e.Status, []byte(e.ResponseBody), got, ids)
}

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
	"sort"
	"strconv"
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
	for old, b := range m.exps {
		if old == b {
			continue
		}
		for _, pre := range []string{"mlflow-artifacts:/", "/artifacts/", "path="} {
			s = strings.ReplaceAll(s, pre+old+"/", pre+b+"/")
			s = strings.ReplaceAll(s, pre+old+"%2F", pre+b+"%2F")
		}
	}
	return s
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
	vals := strings.Split(q, "&")
	for i, kv := range vals {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "experiment_id" || k == "experiment_ids") && m.exps[v] != "" {
			vals[i] = k + "=" + m.exps[v]
		}
	}
	return m.translate(strings.Join(vals, "&"))
}

// learn records the ids berth gave where MLflow's response had others.
func (m *idMap) learn(want, got any) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return
		}
		for k, wv := range w {
			ws, wok := wv.(string)
			gs, gok := g[k].(string)
			switch {
			case wok && gok && (k == "run_id" || k == "run_uuid") && hexID.MatchString(ws):
				m.runs[ws] = gs
			case wok && gok && k == "experiment_id":
				if _, known := m.exps[ws]; !known {
					m.exps[ws] = gs
				}
			default:
				m.learn(wv, g[k])
			}
		}
	case []any:
		if g, ok := got.([]any); ok && len(g) == len(w) {
			for i := range w {
				m.learn(w[i], g[i])
			}
		}
	}
}

// compare reports how got differs from want: field names, JSON types and
// values, except the values of ignoredValues. Recorded run ids in strings
// are translated first.
func (m *idMap) compare(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want an object, got %s", path, jsonOf(got))
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case !gok:
				return fmt.Sprintf("%s.%s: missing", path, k)
			case !wok && mlflow3Additions[k] && jsonOf(gv) == "{}":
			case !wok:
				return fmt.Sprintf("%s.%s: not in MLflow's answer (%s)", path, k, jsonOf(gv))
			case ignoredValues[k]:
				if fmt.Sprintf("%T", wv) != fmt.Sprintf("%T", gv) {
					return fmt.Sprintf("%s.%s: type %T, want %T", path, k, gv, wv)
				}
			default:
				if msg := m.compare(path+"."+k, wv, gv); msg != "" {
					return msg
				}
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %s, want %d elements like %s", path, clip(jsonOf(got)), len(w), clip(jsonOf(want)))
		}
		for i := range w {
			if msg := m.compare(path+"["+strconv.Itoa(i)+"]", w[i], g[i]); msg != "" {
				return msg
			}
		}
		return ""
	case string:
		if g, ok := got.(string); !ok || g != m.translate(w) {
			return fmt.Sprintf("%s: got %s, want %s", path, clip(jsonOf(got)), clip(jsonOf(m.translate(w))))
		}
		return ""
	}
	if jsonOf(want) != jsonOf(got) {
		return fmt.Sprintf("%s: got %s, want %s", path, clip(jsonOf(got)), clip(jsonOf(want)))
	}
	return ""
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
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
	var w, g any
	if err := json.Unmarshal([]byte(e.ResponseBody), &w); err != nil {
		return "recorded body is not JSON: " + err.Error()
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return fmt.Sprintf("berth's body is not JSON: %s", clip(string(got)))
	}
	if e.Status != http.StatusOK {
		wc, _ := w.(map[string]any)["error_code"].(string)
		gm, _ := g.(map[string]any)
		gc, _ := gm["error_code"].(string)
		if wc != gc {
			return fmt.Sprintf("error_code %q, want %q (%s)", gc, wc, clip(string(got)))
		}
		if _, ok := gm["message"].(string); !ok || len(gm) != 2 {
			return fmt.Sprintf("error body %s: want exactly error_code and message", clip(string(got)))
		}
		return ""
	}
	ids.learn(w, g)
	return ids.compare("$", w, g)
}

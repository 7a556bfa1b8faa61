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
	"strings"
	"testing"

	"github.com/berthml/berth/server"
)

// The MLflow 3 transcripts (testdata/conformance/mlflow3/README.md): the
// real MLflow 3.6 client against the real MLflow 3.6 server, replayed here
// against berth, exchange by exchange, on SQLite and PostgreSQL.
const (
	mlflow3Transcript       = "../testdata/conformance/mlflow3/mlflow3-rest-transcript.jsonl"
	mlflow3TranscriptLowVer = "../testdata/conformance/mlflow3/mlflow3-rest-transcript-version-2.17.2.jsonl"
)

// mlflow3DoneAreas are the areas of the transcript berth serves: a
// mismatch in one of them fails the test; a mismatch elsewhere is only
// logged. An area joins the list when its routes land; when every area is
// here, the transcript replays with no mismatch at all.
var mlflow3DoneAreas = map[string]bool{
	"tracking":      true,
	"logged-models": true,
	"registry":      true,
	"artifacts":     true,
	"traces":        true,
	"webhooks":      true,
	"prompts":       true,
}

// mlflow3LowVersionDoneAreas is the same list for the second pass, where
// /version answers 2.17.2.
var mlflow3LowVersionDoneAreas = map[string]bool{
	"tracking":      true,
	"logged-models": true,
	"registry":      true,
	"artifacts":     true,
	"traces":        true,
	"webhooks":      true,
	"prompts":       true,
}

// deviation3 is an exchange where berth deliberately answers otherwise
// than MLflow 3.6: the status berth gives (0: MLflow's), its error_code
// when that is not 200, and why. A deviated exchange must still answer
// that status and code; how its body differs is logged, and a deviation
// whose exchange no longer differs at all fails the test, so the list stays
// true.
type deviation3 struct {
	status int
	code   string
	why    string
}

// mlflow3Deviations lists the deliberate differences by transcript file
// and seq.
var mlflow3Deviations = map[string]map[int]deviation3{
	mlflow3Transcript:       otlpBodyDeviations(166, 167, 168, 170, 171, 174, 176),
	mlflow3TranscriptLowVer: spansLocationDeviations(166, 167, 169, 170, 173, 175, 177, 179, 181, 184, 186, 188, 190, 192, 195, 197, 202, 209),
}

// otlpBodyDeviations: berth answers POST /v1/traces with an empty
// ExportTraceServiceResponse in protobuf, as OTLP/HTTP says; MLflow 3.6
// sends the JSON text {"partialSuccess":null} labelled as protobuf, which
// the Go SDK's exporter cannot parse (MLflow's own client ignores it).
func otlpBodyDeviations(seqs ...int) map[int]deviation3 {
	m := map[int]deviation3{}
	for _, s := range seqs {
		m[s] = deviation3{why: "an empty OTLP protobuf response, not JSON labelled as protobuf"}
	}
	return m
}

// spansLocationDeviations: below 3.4 the client uploads spans as a
// traces.json artifact, so berth holds no spans for those traces and
// leaves out mlflow.trace.spansLocation=TRACKING_STORE, which MLflow 3.6
// sets anyway (and then cannot serve the spans): the client reads them from
// the artifact and no trace is lost.
func spansLocationDeviations(seqs ...int) map[int]deviation3 {
	m := map[int]deviation3{}
	for _, s := range seqs {
		m[s] = deviation3{why: "no mlflow.trace.spansLocation on a trace whose spans berth does not hold"}
	}
	return m
}

// mlflow3VolatileFields are fields whose values differ between servers by
// nature (clocks, durations, the server's own words about a failure): only
// their JSON type is compared. Ids are mapped, not listed here.
var mlflow3VolatileFields = map[string]bool{
	"creation_timestamp_ms": true, "last_updated_timestamp_ms": true,
	"creation_timestamp": true, "last_updated_timestamp": true,
	"creation_time": true, "last_update_time": true,
	"start_time": true, "end_time": true,
	// a webhook test's failure text: MLflow's is a Python repr of its
	// connection error.
	"error_message": true,
}

// exchange3 is one recorded exchange of the MLflow 3 transcripts.
type exchange3 struct {
	Seq              int               `json:"seq"`
	Step             string            `json:"step"`
	Method           string            `json:"method"`
	Path             string            `json:"path"`
	Query            string            `json:"query"`
	Route            string            `json:"route"`
	RequestHeaders   map[string]string `json:"request_headers"`
	RequestBodyKind  string            `json:"request_body_kind"`
	RequestBody      json.RawMessage   `json:"request_body"`
	Status           int               `json:"status"`
	ResponseHeaders  map[string]string `json:"response_headers"`
	ResponseBodyKind string            `json:"response_body_kind"`
	ResponseBody     json.RawMessage   `json:"response_body"`
}

func loadTranscript3(t *testing.T, path string) []exchange3 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the MLflow 3 conformance transcript is committed under testdata/conformance/mlflow3/: %v", err)
	}
	defer f.Close()
	var out []exchange3
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e exchange3
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if len(out) == 0 {
		t.Fatalf("%s holds no exchanges", path)
	}
	return out
}

// area3 names the part of the issue an exchange belongs to.
func area3(e exchange3) string {
	r := e.Route
	switch {
	case strings.Contains(r, "/logged-models"), strings.HasSuffix(r, "/runs/outputs"):
		return "logged-models"
	case strings.Contains(r, "/traces"), r == "/version":
		return "traces"
	case strings.Contains(r, "/webhooks"):
		return "webhooks"
	case strings.Contains(r, "/api/3.0/mlflow/datasets"):
		return "datasets"
	case strings.Contains(r, "/registered-models"), strings.Contains(r, "/model-versions"):
		if strings.Contains(strings.ToLower(e.Step), "prompt") {
			return "prompts"
		}
		return "registry"
	case strings.Contains(r, "/mlflow-artifacts"):
		return "artifacts"
	}
	return "tracking"
}

// idMap3 maps the ids MLflow gave to the ones berth gives: experiments,
// runs, logged models (m-), traces (tr-), assessments (a-), webhooks and
// page tokens.
type idMap3 struct {
	exps map[string]string
	ids  map[string]string // any other recorded id -> berth's
}

var (
	hexID32     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	prefixedID  = regexp.MustCompile(`^(m|tr|a)-[0-9a-f]{32}$`)
	uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// idKeys are the fields whose values are ids berth assigns itself.
var idKeys = map[string]bool{
	"run_id": true, "run_uuid": true, "model_id": true, "trace_id": true, "request_id": true,
	"assessment_id": true, "webhook_id": true, "next_page_token": true, "source_run_id": true,
}

func isMappableID(k, v string) bool {
	if k == "next_page_token" {
		return v != ""
	}
	return hexID32.MatchString(v) || prefixedID.MatchString(v) || uuidPattern.MatchString(v)
}

// translate replaces recorded ids in s with berth's, and recorded
// experiment ids where they stand in artifact paths and URIs.
func (m *idMap3) translate(s string) string {
	keys := make([]string, 0, len(m.ids))
	for k := range m.ids {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, old := range keys {
		if b := m.ids[old]; b != old {
			s = strings.ReplaceAll(s, old, b)
			if esc := urlEscapeToken(old); esc != old {
				s = strings.ReplaceAll(s, esc, urlEscapeToken(b))
			}
		}
	}
	return translateExpPaths(s, m.exps)
}

// urlEscapeToken is how a page token stands in a query string.
func urlEscapeToken(s string) string {
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(s)
}

// translateValue rewrites a JSON request value: experiment ids in
// experiment_id(s) fields, other ids wherever they appear in strings.
func (m *idMap3) translateValue(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			x[k] = m.translateValue(k, vv)
		}
		return x
	case []any:
		for i := range x {
			x[i] = m.translateValue(key, x[i])
		}
		return x
	case string:
		if key == "experiment_id" || key == "experiment_ids" {
			if b, ok := m.exps[x]; ok {
				return b
			}
			return x
		}
		return m.translate(x)
	}
	return v
}

func (m *idMap3) translateQuery(q string) string {
	return translateExpQuery(q, m.exps, m.translate)
}

// learn records the ids berth gave where MLflow's answer had others.
func (m *idMap3) learn(want, got any) {
	learnIDs(want, got, func(k, ws, gs string) bool {
		switch {
		case k == "experiment_id":
			learnOnce(m.exps, ws, gs)
		case idKeys[k] && isMappableID(k, ws):
			learnOnce(m.ids, ws, gs)
		default:
			return false
		}
		return true
	})
}

// compare reports how got differs from want: field names, JSON types and
// values (recorded ids translated first), except the values of volatile
// fields, whose types only are compared. Strings holding JSON (such as the
// mlflow.modelVersions tag) are compared as JSON.
func (m *idMap3) compare(path string, want, got any) string {
	return jsonDiff{translate: m.translate, typeOnly: mlflow3VolatileFields, jsonStrings: true}.compare(path, want, got)
}

// body3 decodes a recorded body by its kind.
func body3(kind string, raw json.RawMessage) ([]byte, error) {
	switch kind {
	case "empty", "":
		return nil, nil
	case "json":
		return raw, nil
	case "text":
		var v struct{ Text string }
		err := json.Unmarshal(raw, &v)
		return []byte(v.Text), err
	case "base64":
		var v struct{ Base64 string }
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(v.Base64)
	}
	return nil, fmt.Errorf("unknown body kind %q", kind)
}

// replayOne3 sends one exchange and returns "" when berth answers as
// MLflow did.
func replayOne3(h http.Handler, ids *idMap3, e exchange3, dev *deviation3) string {
	target := ids.translate(e.Path)
	if e.Query != "" {
		target += "?" + ids.translateQuery(e.Query)
	}
	reqBody, err := body3(e.RequestBodyKind, e.RequestBody)
	if err != nil {
		return "recorded request body: " + err.Error()
	}
	switch e.RequestBodyKind {
	case "json":
		var v any
		if err := json.Unmarshal(reqBody, &v); err != nil {
			return "recorded request body is not JSON: " + err.Error()
		}
		reqBody, _ = json.Marshal(ids.translateValue("", v))
	case "text":
		reqBody = []byte(ids.translate(string(reqBody)))
	}
	req := httptest.NewRequest(e.Method, "http://berth.test"+target, bytes.NewReader(reqBody))
	for k, v := range e.RequestHeaders {
		req.Header.Set(k, v)
	}
	if id := req.Header.Get("X-Mlflow-Experiment-Id"); id != "" && ids.exps[id] != "" {
		req.Header.Set("X-Mlflow-Experiment-Id", ids.exps[id])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	got := rec.Body.Bytes()

	wantStatus := e.Status
	if dev != nil && dev.status != 0 {
		wantStatus = dev.status
	}
	if rec.Code != wantStatus {
		return fmt.Sprintf("status %d, want %d; body %s", rec.Code, wantStatus, clip(string(got)))
	}
	if dev != nil && wantStatus != e.Status {
		var er struct {
			ErrorCode string `json:"error_code"`
		}
		if wantStatus != http.StatusOK && (json.Unmarshal(got, &er) != nil || er.ErrorCode != dev.code) {
			return fmt.Sprintf("error body %s, want error_code %s", clip(string(got)), dev.code)
		}
		return ""
	}
	want, err := body3(e.ResponseBodyKind, e.ResponseBody)
	if err != nil {
		return "recorded response body: " + err.Error()
	}
	switch e.ResponseBodyKind {
	case "text":
		if tw := ids.translate(string(want)); string(got) != tw {
			return fmt.Sprintf("body %q, want %q", clip(string(got)), clip(tw))
		}
		return ""
	case "base64":
		if !bytes.Equal(got, want) {
			return fmt.Sprintf("body of %d bytes differs from MLflow's %d bytes", len(got), len(want))
		}
		return ""
	case "empty":
		if len(got) != 0 {
			return fmt.Sprintf("body %q, want none", clip(string(got)))
		}
		return ""
	}
	return compareAnswer(e.Status, want, got, ids)
}

// replayReport3 is the outcome of one replay: mismatches by area, and the
// counts by area and route for the log.
type replayReport3 struct {
	matched    int
	deliberate []string            // deviated exchanges: how each differs, and why
	mismatches map[string][]string // area -> "seq N (route): what"
	byRoute    map[string][2]int   // "area METHOD route" -> matched, mismatched
}

// replay3 replays a whole transcript against a fresh server on b.
func replay3(t *testing.T, b backend, path string, opts ...server.Option) replayReport3 {
	t.Helper()
	exchanges := loadTranscript3(t, path)
	h := newServerOn(t, b.open(t), opts...).Handler()
	ids := &idMap3{exps: map[string]string{}, ids: map[string]string{}}
	rep := replayReport3{mismatches: map[string][]string{}, byRoute: map[string][2]int{}}
	devs := mlflow3Deviations[path]
	for _, e := range exchanges {
		area := area3(e)
		key := area + " " + e.Method + " " + e.Route
		counts := rep.byRoute[key]
		var dev *deviation3
		if d, ok := devs[e.Seq]; ok {
			dev = &d
		}
		msg := replayOne3(h, ids, e, dev)
		switch {
		case dev != nil && msg == "" && dev.status == 0:
			msg = "listed in mlflow3Deviations (" + dev.why + ") but berth answers as MLflow does: take it off the list"
		case dev != nil && (dev.status == 0 || msg == ""):
			rep.deliberate = append(rep.deliberate, fmt.Sprintf("seq %d (%s %s): %s; %s", e.Seq, e.Method, e.Route, dev.why, msg))
			counts[0]++
			rep.byRoute[key] = counts
			continue
		}
		if msg != "" {
			rep.mismatches[area] = append(rep.mismatches[area], fmt.Sprintf("seq %d (step %.40s; %s %s): %s", e.Seq, e.Step, e.Method, e.Route, msg))
			counts[1]++
		} else {
			rep.matched++
			counts[0]++
		}
		rep.byRoute[key] = counts
	}
	return rep
}

// check fails the test on mismatches in done areas and logs the rest,
// route by route.
func (rep replayReport3) check(t *testing.T, done map[string]bool, total int) {
	t.Helper()
	routes := make([]string, 0, len(rep.byRoute))
	for r := range rep.byRoute {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		if c := rep.byRoute[r]; c[1] > 0 {
			t.Logf("%-70s %3d match, %3d mismatch", r, c[0], c[1])
		}
	}
	areas := make([]string, 0, len(rep.mismatches))
	for a := range rep.mismatches {
		areas = append(areas, a)
	}
	sort.Strings(areas)
	notDone := 0
	for _, a := range areas {
		for _, m := range rep.mismatches[a] {
			if done[a] {
				t.Errorf("[%s] %s", a, m)
			} else {
				notDone++
				t.Logf("[%s, not done yet] %s", a, m)
			}
		}
	}
	for _, d := range rep.deliberate {
		t.Logf("deliberate: %s", d)
	}
	t.Logf("%d of %d exchanges match; %d differ deliberately; %d mismatches in areas not yet done", rep.matched, total, len(rep.deliberate), notDone)
}

// TestReplayMLflow3Transcript replays the main pass (the server reporting
// MLflow 3.6) on each backend.
func TestReplayMLflow3Transcript(t *testing.T) {
	total := len(loadTranscript3(t, mlflow3Transcript))
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			replay3(t, b, mlflow3Transcript, server.WithVersion("3.6.1.dev0")).check(t, mlflow3DoneAreas, total)
		})
	}
}

// TestReplayMLflow3LowVersionTranscript replays the second pass, where
// /version answered 2.17.2 and the client stops exporting spans over OTLP.
// Berth's own /version answers 2.17.2 here, so the client path recorded is
// the one berth's clients take.
func TestReplayMLflow3LowVersionTranscript(t *testing.T) {
	total := len(loadTranscript3(t, mlflow3TranscriptLowVer))
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			replay3(t, b, mlflow3TranscriptLowVer, server.WithVersion("2.17.2")).check(t, mlflow3LowVersionDoneAreas, total)
		})
	}
}

// TestArea3 pins the classification the done lists rely on.
func TestArea3(t *testing.T) {
	for _, c := range []struct {
		route, step, want string
	}{
		{"/api/2.0/mlflow/logged-models/{model_id}", "", "logged-models"},
		{"/api/2.0/mlflow/runs/outputs", "", "logged-models"},
		{"/api/2.0/mlflow/runs/log-batch", "", "tracking"},
		{"/api/3.0/mlflow/traces/{trace_id}", "", "traces"},
		{"/v1/traces", "", "traces"},
		{"/version", "", "traces"},
		{"/api/2.0/mlflow/webhooks/{webhook_id}", "", "webhooks"},
		{"/api/2.0/mlflow/model-versions/create", "mlflow.genai.register_prompt(x)", "prompts"},
		{"/api/2.0/mlflow/model-versions/create", "mlflow.register_model(x)", "registry"},
		{"/api/2.0/mlflow-artifacts/artifacts/{path}", "", "artifacts"},
	} {
		if got := area3(exchange3{Route: c.route, Step: c.step}); got != c.want {
			t.Errorf("area3(%s, %q) = %s, want %s", c.route, c.step, got, c.want)
		}
	}
}

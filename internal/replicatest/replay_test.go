package replicatest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/berthml/berth/internal/replicatest"
	"github.com/berthml/berth/server"
	"github.com/berthml/berth/server/servertest"
	"github.com/berthml/berth/webhook"
)

// The recorded MLflow transcripts (testdata/conformance): the 2.17.2
// client's and the 3.6 client's exchanges with the real MLflow server.
const (
	transcript217 = "../../testdata/conformance/mlflow-rest-transcript.jsonl"
	transcript36  = "../../testdata/conformance/mlflow3/mlflow3-rest-transcript.jsonl"
)

// exchange is one recorded exchange, in either transcript's format.
type exchange struct {
	Seq     int
	Step    string
	Method  string
	Path    string
	Query   string
	Headers map[string]string
	Body    []byte
	JSON    bool // Body is JSON
	Status  int  // MLflow's
	Answer  any  // MLflow's JSON answer, nil when it was not JSON
}

// loadExchanges reads a transcript: the 2.17 format (request_body as a
// string or base64) or the MLflow 3 one (bodies by kind).
func loadExchanges(t *testing.T, path string) []exchange {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the MLflow conformance transcripts are committed under testdata/conformance/: %v", err)
	}
	defer f.Close()
	var out []exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var r struct {
			Seq                int               `json:"seq"`
			Step               string            `json:"step"`
			Method             string            `json:"method"`
			Path               string            `json:"path"`
			Query              string            `json:"query"`
			Status             int               `json:"status"`
			RequestHeaders     map[string]string `json:"request_headers"`
			RequestContentType *string           `json:"request_content_type"`
			RequestBodyKind    string            `json:"request_body_kind"`
			RequestBody        json.RawMessage   `json:"request_body"`
			RequestBodyBase64  string            `json:"request_body_base64"`
			ResponseBodyKind   string            `json:"response_body_kind"`
			ResponseBody       json.RawMessage   `json:"response_body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		e := exchange{Seq: r.Seq, Step: r.Step, Method: r.Method, Path: r.Path, Query: r.Query, Status: r.Status, Headers: map[string]string{}}
		for k, v := range r.RequestHeaders {
			e.Headers[k] = v
		}
		var resp []byte
		if r.RequestBodyKind != "" || r.ResponseBodyKind != "" { // MLflow 3 format
			switch r.RequestBodyKind {
			case "json":
				e.Body, e.JSON = r.RequestBody, true
			case "text":
				var v struct{ Text string }
				json.Unmarshal(r.RequestBody, &v)
				e.Body = []byte(v.Text)
			case "base64":
				var v struct{ Base64 string }
				json.Unmarshal(r.RequestBody, &v)
				e.Body, _ = base64.StdEncoding.DecodeString(v.Base64)
			}
			if r.ResponseBodyKind == "json" {
				resp = r.ResponseBody
			}
		} else { // MLflow 2.17 format
			if r.RequestContentType != nil {
				e.Headers["Content-Type"] = *r.RequestContentType
			}
			var s *string
			json.Unmarshal(r.RequestBody, &s)
			switch {
			case r.RequestBodyBase64 != "":
				e.Body, _ = base64.StdEncoding.DecodeString(r.RequestBodyBase64)
			case s != nil:
				e.Body = []byte(*s)
				e.JSON = json.Valid(e.Body)
			}
			var rs string
			json.Unmarshal(r.ResponseBody, &rs)
			resp = []byte(rs)
		}
		if len(resp) > 0 {
			json.Unmarshal(resp, &e.Answer)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// ids maps the ids MLflow gave in a transcript to those a berth server
// gave, learnt from answers as the replay goes.
type ids struct {
	exps map[string]string
	ids  map[string]string
}

func newIDs() *ids { return &ids{exps: map[string]string{}, ids: map[string]string{}} }

var (
	mappable = regexp.MustCompile(`^((m|tr|a)-)?[0-9a-f]{32}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	idKeys   = map[string]bool{"run_id": true, "run_uuid": true, "model_id": true, "trace_id": true, "request_id": true,
		"assessment_id": true, "webhook_id": true, "source_run_id": true}
)

// learn walks MLflow's answer and berth's side by side.
func (m *ids) learn(key string, want, got any) {
	switch w := want.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		for k, v := range w {
			m.learn(k, v, g[k])
		}
	case []any:
		g, _ := got.([]any)
		for i := range w {
			if i < len(g) {
				m.learn(key, w[i], g[i])
			}
		}
	case string:
		g, ok := got.(string)
		if !ok {
			return
		}
		if _, known := m.exps[w]; key == "experiment_id" && !known {
			m.exps[w] = g
		}
		if _, known := m.ids[w]; idKeys[key] && mappable.MatchString(w) && !known {
			m.ids[w] = g
		}
	}
}

// translate replaces recorded ids in s, and recorded experiment ids where
// they stand in artifact paths.
func (m *ids) translate(s string) string {
	keys := make([]string, 0, len(m.ids))
	for k := range m.ids {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, m.ids[k])
	}
	for old, b := range m.exps {
		for _, pre := range []string{"mlflow-artifacts:/", "/artifacts/", "path="} {
			s = strings.ReplaceAll(s, pre+old+"/", pre+b+"/")
			s = strings.ReplaceAll(s, pre+old+"%2F", pre+b+"%2F")
		}
	}
	return s
}

func (m *ids) translateValue(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			x[k] = m.translateValue(k, vv)
		}
	case []any:
		for i := range x {
			x[i] = m.translateValue(key, x[i])
		}
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

func (m *ids) translateQuery(q string) string {
	vals := strings.Split(q, "&")
	for i, kv := range vals {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "experiment_id" || k == "experiment_ids") && m.exps[v] != "" {
			vals[i] = k + "=" + m.exps[v]
		}
	}
	return m.translate(strings.Join(vals, "&"))
}

// outcome is what a server answered to one exchange: its status and
// error_code, which a replay compares.
type outcome struct {
	Status    int
	ErrorCode string
}

func (o outcome) String() string { return fmt.Sprintf("%d %s", o.Status, o.ErrorCode) }

// replay sends every exchange to base in order and returns the outcomes.
func replay(t *testing.T, base string, exchanges []exchange) []outcome {
	t.Helper()
	m := newIDs()
	out := make([]outcome, 0, len(exchanges))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, e := range exchanges {
		target := m.translate(e.Path)
		if e.Query != "" {
			target += "?" + m.translateQuery(e.Query)
		}
		body := e.Body
		if e.JSON {
			var v any
			if json.Unmarshal(body, &v) == nil {
				body, _ = json.Marshal(m.translateValue("", v))
			}
		}
		req, err := http.NewRequest(e.Method, base+target, bytes.NewReader(body))
		if err != nil {
			t.Fatalf("seq %d: %v", e.Seq, err)
		}
		for k, v := range e.Headers {
			if !strings.EqualFold(k, "content-length") && !strings.EqualFold(k, "host") {
				req.Header.Set(k, v)
			}
		}
		if id := req.Header.Get("X-Mlflow-Experiment-Id"); id != "" && m.exps[id] != "" {
			req.Header.Set("X-Mlflow-Experiment-Id", m.exps[id])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("seq %d %s %s: %v", e.Seq, e.Method, e.Path, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		o := outcome{Status: resp.StatusCode}
		var answer any
		if json.Unmarshal(got, &answer) == nil {
			if a, ok := answer.(map[string]any); ok && resp.StatusCode != http.StatusOK {
				o.ErrorCode, _ = a["error_code"].(string)
			}
			if e.Answer != nil && resp.StatusCode == http.StatusOK {
				m.learn("", e.Answer, answer)
			}
		}
		out = append(out, o)
	}
	return out
}

// testReplay replays the MLflow 2.17.2 and 3.6 transcripts through
// HAProxy, and the same transcripts against one berth server in this
// process, and requires the same status and error_code for every exchange:
// the server package's replay tests judge one server against MLflow; this
// one judges three replicas against one server. It also requires the
// requests to have been spread over every replica.
func testReplay(t *testing.T, c *replicatest.Cluster) {
	ctx := context.Background()
	before, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	one := servertest.New(t, server.WithWebhookPolicy(webhook.Policy{AllowHTTP: true, AllowPrivate: true})) // as the replicas' flags
	for _, path := range []string{transcript217, transcript36} {
		exchanges := loadExchanges(t, path)
		want := replay(t, one.URL, exchanges)
		got := replay(t, c.URL, exchanges)
		sameAsMLflow, diff := 0, 0
		for i, e := range exchanges {
			if got[i] != want[i] {
				diff++
				t.Errorf("%s seq %d (%s %s %s): through the replicas %s, one server %s (MLflow %d)",
					filepath.Base(path), e.Seq, e.Step, e.Method, e.Path, got[i], want[i], e.Status)
			}
			if got[i].Status == e.Status {
				sameAsMLflow++
			}
		}
		t.Logf("%s: %d exchanges through HAProxy and 3 replicas; %d answered as one server does, %d differ; %d with MLflow's status",
			filepath.Base(path), len(exchanges), len(exchanges)-diff, diff, sameAsMLflow)
	}
	after, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Replicas {
		n := after[r.Name].Requests - before[r.Name].Requests
		t.Logf("replica %s served %d of the replayed requests", r.Name, n)
		if n < 50 {
			t.Errorf("replica %s served %d requests of the replay: HAProxy did not spread them", r.Name, n)
		}
	}
}

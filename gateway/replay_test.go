package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	_ "github.com/berthml/berth/gateway/provider/builtin"
)

const recorded = "../testdata/conformance/mlflow-deployments/"

// exchange is one line of transcript.jsonl or upstream-transcript.jsonl.
type exchange struct {
	Seq              int               `json:"seq"`
	Step             string            `json:"step"`
	Method           string            `json:"method"`
	Path             string            `json:"path"`
	Query            string            `json:"query"`
	RequestHeaders   map[string]string `json:"request_headers"`
	RequestBodyKind  string            `json:"request_body_kind"`
	RequestBody      json.RawMessage   `json:"request_body"`
	Status           int               `json:"status"`
	ResponseHeaders  map[string]string `json:"response_headers"`
	ResponseBodyKind string            `json:"response_body_kind"`
	ResponseBody     json.RawMessage   `json:"response_body"`
	StreamBroken     any               `json:"stream_broken"`
}

func readExchanges(t *testing.T, name string) []exchange {
	t.Helper()
	b, err := os.ReadFile(recorded + name)
	if err != nil {
		t.Fatal(err)
	}
	return parseExchanges(t, b)
}

func parseExchanges(t *testing.T, b []byte) []exchange {
	t.Helper()
	var out []exchange
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var e exchange
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// body returns a recorded body as bytes: JSON as written, text and base64
// decoded.
func body(kind string, raw json.RawMessage) []byte {
	switch kind {
	case "json":
		return raw
	case "text":
		var t struct{ Text string }
		_ = json.Unmarshal(raw, &t)
		return []byte(t.Text)
	case "base64":
		var b struct{ Base64 string }
		_ = json.Unmarshal(raw, &b)
		d, _ := base64.StdEncoding.DecodeString(b.Base64)
		return d
	}
	return nil
}

func canonJSON(b []byte) (string, bool) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", false
	}
	out, _ := json.Marshal(v)
	return string(out), true
}

// standIn answers as upstream-transcript.jsonl recorded the upstream: it
// finds the recorded exchange with the same path and the same JSON body,
// and replays its answer. A request that MLflow never sent is a test
// failure: berth must send what MLflow sends.
type standIn struct {
	t    *testing.T
	mu   sync.Mutex
	recs []exchange
	got  []string
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	got, _ := canonJSON(b)
	s.mu.Lock()
	s.got = append(s.got, got)
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer sk-test-key-123" {
		s.t.Errorf("upstream got Authorization %q", r.Header.Get("Authorization"))
	}
	for _, e := range s.recs {
		want, _ := canonJSON(e.RequestBody)
		if e.Path == r.URL.Path && want == got {
			for k, v := range e.ResponseHeaders {
				if k != "transfer-encoding" && k != "content-length" {
					w.Header().Set(k, v)
				}
			}
			w.WriteHeader(e.Status)
			_, _ = w.Write(body(e.ResponseBodyKind, e.ResponseBody))
			return
		}
	}
	s.t.Errorf("berth sent the upstream a request MLflow never sent: %s %s", r.URL.Path, got)
	w.WriteHeader(599)
}

// deviation is where berth answers differently from MLflow 2.17.2, on
// purpose (docs/gateway.md, "Where berth differs").
type deviation struct {
	status int
	reason string
	detail string // a substring berth's detail must hold
}

var deviations = map[string]deviation{
	// One counter per endpoint, whichever route is used (MLflow counts
	// /endpoints and /gateway apart and does not limit /v1 at all).
	"ratelimit.legacy.chat-limited.1": {429, "one limit counter per endpoint", "Rate limit exceeded: 2 per 1 minute"},
	"ratelimit.legacy.chat-limited.2": {429, "one limit counter per endpoint", "Rate limit exceeded: 2 per 1 minute"},
	"ratelimit.v1.chat-limited.1":     {429, "the limit applies on /v1 too", "Rate limit exceeded: 2 per 1 minute"},
	"ratelimit.v1.chat-limited.2":     {429, "the limit applies on /v1 too", "Rate limit exceeded: 2 per 1 minute"},
	"ratelimit.v1.chat-limited.3":     {429, "the limit applies on /v1 too", "Rate limit exceeded: 2 per 1 minute"},
	// Upstream failures are 502 naming the provider (MLflow: 500, or a
	// plain-text 500, or a 200 stream cut short).
	"client.predict.chat_down":      {502, "upstream unreachable: 502", "provider openai unreachable"},
	"inv.chat_down":                 {502, "upstream unreachable: 502", "provider openai unreachable"},
	"inv.chat_down.stream":          {502, "a stream that fails before its first chunk is an error answer", "provider openai unreachable"},
	"v1.chat.upstream_down":         {502, "upstream unreachable: 502", "provider openai unreachable"},
	"client.predict.chat_500":       {502, "upstream 500: 502", "The server had an error while processing your request."},
	"inv.chat_500":                  {502, "upstream 500: 502", "The server had an error while processing your request."},
	"inv.chat_500.stream":           {502, "a stream that fails before its first chunk is an error answer", "The server had an error while processing your request."},
	"inv.completions_500":           {502, "upstream 500: 502", "The server had an error while processing your request."},
	"v1.chat.upstream_500":          {502, "upstream 500: 502", "The server had an error while processing your request."},
	"inv.chat_429":                  {429, "the provider is named", "Rate limit reached"},
	"inv.embeddings_badjson":        {502, "an unreadable upstream answer: 502", "provider openai bad_response"},
	"list_endpoints.page_token_bad": {400, "a bad page token is the client's mistake (MLflow: 500)", "Invalid page token"},
	// No Swagger UI.
	"index":   {404, "no Swagger UI", "Not Found"},
	"docs":    {404, "no Swagger UI", "Not Found"},
	"openapi": {404, "no OpenAPI document", "Not Found"},
	"favicon": {404, "no favicon", "Not Found"},
}

// clock is a settable clock for the limit windows.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// recordedGateway starts berth's gateway over config.yaml with its
// upstreams pointed at the stand-in.
func recordedGateway(t *testing.T, opts ...gateway.Option) (*httptest.Server, *standIn) {
	t.Helper()
	up := &standIn{t: t, recs: readExchanges(t, "upstream-transcript.jsonl")}
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	y, err := os.ReadFile(recorded + "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y = bytes.ReplaceAll(y, []byte("http://127.0.0.1:18311"), []byte(upSrv.URL))
	y = bytes.ReplaceAll(y, []byte("127.0.0.1:18319"), []byte(down))
	cfg, err := config.Parse(y, "config.yaml", config.WithLookupEnv(func(k string) (string, bool) {
		return "sk-test-key-123", k == "OPENAI_API_KEY"
	}))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return srv, up
}

// TestReplayMLflowTranscript sends berth every request the recorded
// clients sent MLflow 2.17.2 and compares the answers: status and body,
// exactly (as JSON values; streams event by event), except the documented
// deviations.
func TestReplayMLflowTranscript(t *testing.T) {
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv, _ := recordedGateway(t, gateway.WithClock(clk.Now), gateway.WithBreaker(gateway.BreakerSettings{}))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	afterLimit := 0
	for _, e := range readExchanges(t, "transcript.jsonl") {
		name := fmt.Sprintf("%03d_%s", e.Seq, e.Step)
		if e.Step == "client.predict.chat-limited.after_limit" {
			// The client retried until the minute renewed: the 6th try.
			if afterLimit++; afterLimit == 6 {
				clk.Add(time.Minute)
			}
		}
		t.Run(name, func(t *testing.T) {
			u := srv.URL + e.Path
			if e.Query != "" {
				u += "?" + e.Query
			}
			req, err := http.NewRequest(e.Method, u, bytes.NewReader(body(e.RequestBodyKind, e.RequestBody)))
			if err != nil {
				t.Fatal(err)
			}
			if ct := e.RequestHeaders["content-type"]; ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if d, ok := deviations[e.Step]; ok {
				if resp.StatusCode != d.status || !strings.Contains(string(got), d.detail) {
					t.Errorf("deviation (%s): got %d %s, want %d with %q", d.reason, resp.StatusCode, got, d.status, d.detail)
				}
				if resp.StatusCode >= 500 && resp.StatusCode != 502 && resp.StatusCode != 503 && resp.StatusCode != 504 {
					t.Errorf("status %d", resp.StatusCode)
				}
				return
			}
			if resp.StatusCode != e.Status {
				t.Fatalf("status %d %s, MLflow answered %d %s", resp.StatusCode, got, e.Status, body(e.ResponseBodyKind, e.ResponseBody))
			}
			want := body(e.ResponseBodyKind, e.ResponseBody)
			if strings.HasPrefix(e.ResponseHeaders["content-type"], "text/event-stream") {
				if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
					t.Errorf("content type %q", ct)
				}
				compareStreams(t, got, want, strings.HasPrefix(e.Path, "/v1/"))
				return
			}
			if strings.HasPrefix(e.Path, "/v1/") && e.Status >= 400 {
				got = onlyDetail(t, got)
			}
			g, ok1 := canonJSON(got)
			w, ok2 := canonJSON(want)
			if !ok1 || !ok2 || g != w {
				t.Errorf("body\n got %s\nwant %s", got, want)
			}
		})
	}
}

// onlyDetail keeps MLflow's detail of a /v1 error (berth adds OpenAI's
// error object beside it).
func onlyDetail(t *testing.T, b []byte) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	var e deployments.OpenAIErrorBody
	if err := json.Unmarshal(m["error"], &e); err != nil || e.Message == "" || e.Type == "" {
		t.Errorf("no OpenAI error object in %s", b)
	}
	out, _ := json.Marshal(map[string]json.RawMessage{"detail": m["detail"]})
	return out
}

func events(t *testing.T, b []byte) []string {
	var out []string
	err := deployments.ReadEvents(bytes.NewReader(b), func(d []byte) error {
		out = append(out, string(d))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// compareStreams compares event by event as JSON. On /v1 berth ends with
// [DONE] and repeats a completions chunk's text in choices[].text, for
// OpenAI's clients.
func compareStreams(t *testing.T, got, want []byte, v1 bool) {
	t.Helper()
	g, w := events(t, got), events(t, want)
	if v1 {
		if len(g) == 0 || g[len(g)-1] != "[DONE]" {
			t.Errorf("a /v1 stream does not end with [DONE]: %q", g)
		} else {
			g = g[:len(g)-1]
		}
	} else if len(g) > 0 && g[len(g)-1] == "[DONE]" {
		t.Error("an MLflow stream ends with [DONE]; MLflow sends none")
	}
	if len(g) != len(w) {
		t.Fatalf("%d events, MLflow sent %d:\n%s\n%s", len(g), len(w), got, want)
	}
	for i := range g {
		gi := []byte(g[i])
		if v1 && strings.Contains(g[i], `"text_completion_chunk"`) {
			var m map[string]any
			_ = json.Unmarshal(gi, &m)
			for _, c := range m["choices"].([]any) {
				delete(c.(map[string]any), "text")
			}
			gi, _ = json.Marshal(m)
		}
		a, _ := canonJSON(gi)
		b, _ := canonJSON([]byte(w[i]))
		if a != b {
			t.Errorf("event %d\n got %s\nwant %s", i, g[i], w[i])
		}
	}
}

// TestReplayPaging checks paging against paging-transcript.jsonl: 3002
// endpoints, 3000 a page, MLflow's token.
func TestReplayPaging(t *testing.T) {
	var b strings.Builder
	b.WriteString("endpoints:\n")
	for i := range 3002 {
		fmt.Fprintf(&b, "  - name: e%04d\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: gpt-4o-mini, config: {openai_api_key: k}}\n", i)
	}
	cfg, err := config.Parse([]byte(b.String()), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()
	for _, e := range readExchanges(t, "paging-transcript.jsonl") {
		if e.Path != "/api/2.0/endpoints/" {
			continue
		}
		resp, err := http.Get(srv.URL + e.Path + "?" + e.Query)
		if err != nil {
			t.Fatal(err)
		}
		var got, want struct {
			Endpoints     []map[string]any `json:"endpoints"`
			NextPageToken *string          `json:"next_page_token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		_ = json.Unmarshal(e.ResponseBody, &want)
		if (got.NextPageToken == nil) != (want.NextPageToken == nil) || (got.NextPageToken != nil && *got.NextPageToken != *want.NextPageToken) {
			t.Errorf("%s: next_page_token %v, want %v", e.Step, got.NextPageToken, want.NextPageToken)
		}
		// The recording elides the middle: compare the first two and last two.
		n := len(got.Endpoints)
		if n < 2 || len(want.Endpoints) < 4 && n != len(want.Endpoints) {
			t.Fatalf("%s: %d endpoints", e.Step, n)
		}
		ends := func(l []map[string]any) []map[string]any {
			var out []map[string]any
			for _, x := range l {
				if _, elided := x["_elided"]; !elided {
					out = append(out, x)
				}
			}
			if len(out) > 4 {
				out = append(out[:2], out[len(out)-2:]...)
			}
			return out
		}
		g1, _ := json.Marshal(ends(got.Endpoints))
		w1, _ := json.Marshal(ends(want.Endpoints))
		if string(g1) != string(w1) {
			t.Errorf("%s:\n got %s\nwant %s", e.Step, g1, w1)
		}
	}
}

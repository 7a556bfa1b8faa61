// Package upstreamtest is the fake upstream the provider adapters' tests
// replay their fixtures from: an httptest server that records each request
// and answers with a canned status, headers and body.
package upstreamtest

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/gateway/provider"
)

// Request is one request the server got.
type Request struct {
	Method, Path, Query string
	RequestURI          string // as sent: the escaped path and the query
	Header              http.Header
	Body                []byte
}

// Answer is what the server sends back.
type Answer struct {
	Status      int // 0: 200
	ContentType string
	Header      map[string]string
	Body        []byte
}

// Server is a recording upstream.
type Server struct {
	URL string

	mu     sync.Mutex
	reqs   []Request
	answer Answer
}

// New starts a server answering a for every request; it stops with the test.
func New(t testing.TB, a Answer) *Server {
	s := &Server{answer: a}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{r.Method, r.URL.Path, r.URL.RawQuery, r.RequestURI, r.Header.Clone(), b})
		a := s.answer
		s.mu.Unlock()
		ct := a.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		for k, v := range a.Header {
			w.Header().Set(k, v)
		}
		status := a.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		w.Write(a.Body)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Set changes the answer for later requests.
func (s *Server) Set(a Answer) {
	s.mu.Lock()
	s.answer = a
	s.mu.Unlock()
}

// Last returns the last request; the test fails when there was none.
func (s *Server) Last(t testing.TB) Request {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		t.Fatal("the upstream got no request")
	}
	return s.reqs[len(s.reqs)-1]
}

// Fixture reads testdata/name; a missing file fails the test.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// Build builds the provider registered as name with settings, as the
// gateway would (a plain client, a discarding logger, a fixed clock).
func Build(t testing.TB, name, model, endpointType string, settings map[string]any) provider.Provider {
	t.Helper()
	spec, ok := provider.Lookup(name)
	if !ok {
		t.Fatalf("provider %s is not registered", name)
	}
	p, err := spec.New(provider.Config{Provider: name, Model: model, EndpointType: endpointType, Settings: settings,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return Now }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Now is the fixed clock Build gives providers.
var Now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

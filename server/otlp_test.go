package server_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestOTLPConcurrentRequestsIsolated: concurrent OTLP requests, whose spans
// the server writes together, each get their own answer: the one that
// sends a span of a trace kept in another experiment is refused alone, and
// every other request's trace is stored and readable as soon as it has
// been answered.
func TestOTLPConcurrentRequestsIsolated(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			h := newServerOn(t, b.open(t)).Handler()
			exp := createTraceExperiment(t, h, "otlp-concurrent")
			other := createTraceExperiment(t, h, "otlp-other")
			body := func(n int) string {
				return fmt.Sprintf(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%032x","spanId":"%016x","name":"s",`+
					`"startTimeUnixNano":"1000000","endTimeUnixNano":"3000000","status":{"code":1}}]}]}]}`, n, n)
			}
			post := func(exp string, n int) *httptest.ResponseRecorder {
				req := httptest.NewRequest("POST", "http://berth.test/v1/traces", strings.NewReader(body(n)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Mlflow-Experiment-Id", exp)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			if rec := post(other, 1000); rec.Code != 200 {
				t.Fatalf("seeding trace 1000: %d %s", rec.Code, rec.Body)
			}
			const n = 40
			var wg sync.WaitGroup
			for i := 1; i <= n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					k := i
					if i == n/2 {
						k = 1000 // kept in the other experiment
					}
					rec := post(exp, k)
					if k == 1000 {
						if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"INVALID_PARAMETER_VALUE"`) {
							t.Errorf("trace of another experiment: %d %s", rec.Code, rec.Body)
						}
						return
					}
					if rec.Code != 200 {
						t.Errorf("request %d: %d %s", i, rec.Code, rec.Body)
						return
					}
					get := doTrace(h, "GET", fmt.Sprintf("/api/3.0/mlflow/traces/tr-%032x", k), "")
					if get.Code != 200 || !strings.Contains(get.Body.String(), `"experiment_id": "`+exp+`"`) {
						t.Errorf("trace %d after its answer: %d %s", k, get.Code, get.Body)
					}
				}()
			}
			wg.Wait()
		})
	}
}

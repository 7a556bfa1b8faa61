package serve_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/serve"
)

// TestSwapUnderLoad replaces a model again and again while clients score
// it: no request fails, every replaced model is closed once its requests
// are done, and answers name the version that served them.
func TestSwapUnderLoad(t *testing.T) {
	ortest.Init(t)
	s := serve.New()
	load := func(version int) *serve.Model {
		m, err := serve.LoadModel(context.Background(), "iris", strconv.Itoa(version), fixture("iris_logreg"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := load(1)
	s.Add(first)
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer s.Close()

	var (
		stop     atomic.Bool
		requests atomic.Int64
		wg       sync.WaitGroup
		failures = make(chan string, 100)
	)
	body := `{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}`
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				r := post(t, ts.URL+"/v2/models/iris/infer", body)
				requests.Add(1)
				if r.status != http.StatusOK {
					select {
					case failures <- strconv.Itoa(r.status) + " " + string(r.body):
					default:
					}
				}
			}
		}()
	}
	var replaced []*serve.Model
	prev := first
	for v := 2; v <= 21; v++ {
		time.Sleep(20 * time.Millisecond)
		next := load(v)
		s.Add(next)
		replaced = append(replaced, prev)
		prev = next
	}
	stop.Store(true)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("request failed during a swap: %s", f)
	}
	if requests.Load() < 100 {
		t.Errorf("only %d requests ran across the swaps", requests.Load())
	}
	for _, m := range replaced {
		if _, err := m.Predictor().Predict(context.Background(), nil, nil); err == nil {
			t.Errorf("version %s still runs after it was replaced and its requests finished", m.Version)
		}
	}
	r := do(t, http.MethodGet, ts.URL+"/v2/models/iris", "", nil)
	if v := r.json(t)["versions"].([]any)[0]; v != "21" {
		t.Errorf("serving version %v, want the last one added, 21", v)
	}
}

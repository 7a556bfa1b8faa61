package serve_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/internal/iristest"
	"github.com/berthml/berth/serve"
)

// TestDriftListener: every closed window of every monitored model reaches
// the listeners, named by model and version.
func TestDriftListener(t *testing.T) {
	type call struct {
		model, version string
		w              drift.WindowResult
	}
	var (
		mu    sync.Mutex
		calls []call
	)
	ts := newDriftServer(t, iristest.ModelWithReference(t),
		serve.WithDriftOptions(drift.WithWindowRows(2), drift.WithWindowTime(0)),
		serve.WithDriftListener(func(model, version string, w drift.WindowResult) {
			mu.Lock()
			calls = append(calls, call{model, version, w})
			mu.Unlock()
		}))
	rows := strings.TrimSuffix(strings.Repeat("[5.1, 3.5, 1.4, 0.2],", 4), ",")
	body := `{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [` + rows + `]}}`
	for range 2 {
		if r := post(t, ts.URL+"/models/iris/invocations", body); r.status != 200 {
			t.Fatalf("scoring: %d %s", r.status, r.body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) == 0 {
		t.Fatal("the listener heard of no window")
	}
	for i, c := range calls {
		if c.model != "iris" || c.version != "1" || c.w.Window != int64(i+1) || len(c.w.Features) != 4 {
			t.Errorf("call %d: %s %s window %d, %d features", i, c.model, c.version, c.w.Window, len(c.w.Features))
		}
	}
}

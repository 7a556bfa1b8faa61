package serve_test

import (
	"math"
	"slices"
	"testing"

	"github.com/berthml/berth/serve"
)

func TestUsage(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}, {"diabetes", "diabetes_linreg"}})
	if got := ts.srv.Usage(); len(got) != 2 || got[0].Requests != 0 || got[1].Requests != 0 {
		t.Fatalf("Usage before any request = %+v, want two versions with no requests", got)
	}
	good := `{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2]]}}`
	for _, r := range []struct{ path, body string }{
		{"/invocations", good},
		{"/invocations", good},
		{"/models/iris/invocations", `{"dataframe_split": {"columns": ["sepal_length"], "data": [[1]]}}`}, // 400
		{"/v2/models/iris/infer", `{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}`},
		{"/v1/models/iris:predict", `{"instances": [[5.1, 3.5, 1.4, 0.2]]}`},
		{"/v2/models/nope/infer", `{}`}, // no model: not in Usage
	} {
		post(t, ts.URL+r.path, r.body)
	}

	got := ts.srv.Usage()
	if len(got) != 2 || got[0].Model != "diabetes" || got[1].Model != "iris" {
		t.Fatalf("Usage = %+v, want diabetes then iris", got)
	}
	if d := got[0]; d.Requests != 0 || d.Sum != 0 || d.Counts[len(d.Counts)-1] != 0 {
		t.Errorf("diabetes usage = %+v, want nothing served", d)
	}
	u := got[1]
	if u.Version != "1" || u.Requests != 5 || u.ClientErrors != 1 || u.ServerErrors != 0 {
		t.Errorf("iris usage: version %q, %d requests, %d client errors, %d server errors; want 1, 5, 1, 0",
			u.Version, u.Requests, u.ClientErrors, u.ServerErrors)
	}
	if len(u.Bounds) == 0 || len(u.Counts) != len(u.Bounds) || !slices.IsSorted(u.Bounds) {
		t.Fatalf("iris histogram: bounds %v, counts %v", u.Bounds, u.Counts)
	}
	// Every answer's time is observed, the 400 too.
	if n := u.Counts[len(u.Counts)-1]; n != 5 || u.Count != 5 {
		t.Errorf("requests under the last bound = %d, observed %d; want 5 and 5", n, u.Count)
	}
	if u.Sum <= 0 {
		t.Errorf("request seconds = %v, want > 0", u.Sum)
	}
	if p := u.Quantile(0.5); math.IsNaN(p) || p <= 0 || p > u.Bounds[len(u.Bounds)-1] {
		t.Errorf("median latency = %v", p)
	}

	// One more request: Since the snapshot counts just it.
	post(t, ts.URL+"/invocations", good)
	d := ts.srv.Usage()[1].Since(u)
	if d.Model != "iris" || d.Requests != 1 || d.ClientErrors != 0 || d.Counts[len(d.Counts)-1] != 1 || d.Count != 1 || d.Sum <= 0 {
		t.Errorf("usage since the snapshot = %+v, want one request", d)
	}
	if !slices.Equal(u.Bounds, d.Bounds) {
		t.Errorf("Since changed the bounds: %v", d.Bounds)
	}
}

func TestUsageSince(t *testing.T) {
	now := serve.Usage{Model: "iris", Version: "2", Requests: 10, ClientErrors: 3, ServerErrors: 2,
		Bounds: []float64{0.1, 1}, Counts: []int64{6, 9}, Sum: 4.5}
	prev := serve.Usage{Model: "iris", Version: "2", Requests: 4, ClientErrors: 1, ServerErrors: 2,
		Bounds: []float64{0.1, 1}, Counts: []int64{2, 4}, Sum: 1.5}
	d := now.Since(prev)
	if d.Model != "iris" || d.Version != "2" || d.Requests != 6 || d.ClientErrors != 2 || d.ServerErrors != 0 ||
		!slices.Equal(d.Counts, []int64{4, 5}) || d.Sum != 3 || !slices.Equal(d.Bounds, now.Bounds) {
		t.Errorf("Since = %+v", d)
	}
	if z := now.Since(serve.Usage{}); z.Requests != 10 || !slices.Equal(z.Counts, now.Counts) || z.Sum != 4.5 {
		t.Errorf("Since(zero) = %+v, want the usage itself", z)
	}
	d.Counts[0] = 99
	if now.Counts[0] != 6 {
		t.Error("Since shares its counts with the receiver")
	}
}

func TestUsageQuantile(t *testing.T) {
	bounds := []float64{0.1, 0.2, 0.5}
	cases := []struct {
		name            string
		requests, count int64
		counts          []int64
		q, want         float64
	}{
		{"empty", 0, 0, []int64{0, 0, 0}, 0.5, math.NaN()},
		{"no buckets", 3, 3, nil, 0.5, math.NaN()},
		{"first bucket from 0", 10, 10, []int64{10, 10, 10}, 0.5, 0.05},
		{"first bucket top", 4, 4, []int64{4, 4, 4}, 1, 0.1},
		{"interpolated", 10, 10, []int64{2, 6, 10}, 0.5, 0.175},   // rank 5: 3 of the 4 in (0.1, 0.2]
		{"third bucket", 10, 10, []int64{2, 6, 10}, 0.95, 0.4625}, // rank 9.5: 3.5 of the 4 in (0.2, 0.5]
		{"skips empty buckets", 4, 4, []int64{0, 0, 4}, 0.25, 0.275},
		{"past the last bound", 10, 10, []int64{2, 4, 6}, 0.9, 0.5}, // 4 answers slower than 0.5s
		// Requests counted whose time is not observed yet do not count:
		// rank 1 of 2, not 2.5 of 5 (which would be past every bound).
		{"requests ahead of the histogram", 5, 2, []int64{1, 2, 2}, 0.5, 0.1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := serve.Usage{Requests: c.requests, Count: c.count, Bounds: bounds, Counts: c.counts}
			if c.counts == nil {
				u.Bounds = nil
			}
			got := u.Quantile(c.q)
			if math.IsNaN(c.want) != math.IsNaN(got) || (!math.IsNaN(c.want) && math.Abs(got-c.want) > 1e-9) {
				t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
			}
		})
	}
}

func TestUsageAdd(t *testing.T) {
	a := serve.Usage{Model: "a", Version: "1", Requests: 3, ClientErrors: 1, Count: 3, Sum: 0.3,
		Bounds: []float64{0.1, 1}, Counts: []int64{2, 3}}
	b := serve.Usage{Model: "b", Version: "1", Requests: 2, ServerErrors: 1, Count: 2, Sum: 1.5,
		Bounds: []float64{0.1, 1}, Counts: []int64{0, 1}}
	sum := a.Add(b)
	if sum.Model != "a" || sum.Requests != 5 || sum.ClientErrors != 1 || sum.ServerErrors != 1 || sum.Count != 5 ||
		sum.Sum != 1.8 || !slices.Equal(sum.Counts, []int64{2, 4}) || !slices.Equal(sum.Bounds, a.Bounds) {
		t.Errorf("Add = %+v", sum)
	}
	if z := (serve.Usage{}).Add(b); !slices.Equal(z.Bounds, b.Bounds) || !slices.Equal(z.Counts, b.Counts) {
		t.Errorf("zero.Add = %+v, want b's buckets", z)
	}
	sum.Counts[0] = 99
	if a.Counts[0] != 2 {
		t.Error("Add shares its counts with the receiver")
	}
}

package serve_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/serve"
)

// deadlinePredictor is slowPredictor that also takes a deadline apart
// (flavors.DeadlinePredictor), and tells which way it was called.
type deadlinePredictor struct {
	slowPredictor
	calls chan deadlineCall
}

type deadlineCall struct {
	before      bool      // PredictBefore, not Predict
	deadline    time.Time // PredictBefore's
	ctxDeadline bool      // whether ctx carried a deadline
}

var _ flavors.DeadlinePredictor = (*deadlinePredictor)(nil)

func (p *deadlinePredictor) Predict(ctx context.Context, in []*flavors.Tensor, out []string) ([]*flavors.Tensor, error) {
	_, ok := ctx.Deadline()
	p.calls <- deadlineCall{ctxDeadline: ok}
	return p.slowPredictor.Predict(ctx, in, out)
}

func (p *deadlinePredictor) PredictBefore(ctx context.Context, deadline time.Time, in []*flavors.Tensor, _ []string) ([]*flavors.Tensor, error) {
	_, ok := ctx.Deadline()
	p.calls <- deadlineCall{before: true, deadline: deadline, ctxDeadline: ok}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-time.After(p.delay):
	case <-timer.C:
		return nil, fmt.Errorf("running: %w", context.DeadlineExceeded)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return []*flavors.Tensor{{Name: "y", DType: flavors.Float32, Shape: in[0].Shape, Data: in[0].Data}}, nil
}

// TestTimeoutDeadlinePredictor: a predictor that takes the deadline apart
// gets --timeout's deadline, counted from the request's start, with no
// context derived for it, and its timeout answers 504 as a context's
// does; where something else waits (a cap on concurrent runs), the
// deadline comes in a context as before.
func TestTimeoutDeadlinePredictor(t *testing.T) {
	const timeout = 80 * time.Millisecond
	for _, c := range []struct {
		name   string
		opts   []serve.Option
		before bool
	}{
		{"direct", nil, true},
		{"with a cap on concurrent runs", []serve.Option{serve.WithMaxConcurrentRuns(2)}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &deadlinePredictor{slowPredictor: slowPredictor{delay: 5 * time.Second}, calls: make(chan deadlineCall, 4)}
			s := serve.New(append([]serve.Option{serve.WithTimeout(timeout)}, c.opts...)...)
			l := &flavors.Loaded{Model: &flavors.Model{Dir: "slow", MLmodel: &flavors.MLmodel{}}, Flavor: "fake", Predictor: p}
			m, err := serve.NewModel("slow", "1", "slow", l)
			if err != nil {
				t.Fatal(err)
			}
			s.Add(m)
			s.MarkReady()
			ts := httptest.NewServer(s.Handler())
			defer ts.Close()
			start := time.Now()
			r := post(t, ts.URL+"/invocations", slowBody)
			took := time.Since(start)
			if r.status != http.StatusGatewayTimeout || r.json(t)["error_code"] != "DEADLINE_EXCEEDED" {
				t.Fatalf("got %d %s, want 504 DEADLINE_EXCEEDED", r.status, r.body)
			}
			call := <-p.calls
			if call.before != c.before || call.ctxDeadline == c.before {
				t.Fatalf("called %+v; want PredictBefore %v, a deadline in ctx %v", call, c.before, !c.before)
			}
			if c.before && (call.deadline.Before(start) || call.deadline.After(start.Add(timeout+took))) {
				t.Fatalf("deadline %v after the request's start, want %v", call.deadline.Sub(start), timeout)
			}
			if took > 4*time.Second {
				t.Errorf("504 came after %v, want it at the deadline", took)
			}
		})
	}
}

// TestTimeoutStopsONNXRun: a real ONNX Runtime inference (256 images of
// the CNN, seconds of work here) past --timeout is stopped at the
// deadline through the flavor's PredictBefore and answers 504.
func TestTimeoutStopsONNXRun(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"cnn", "cnn64"}}, serve.WithTimeout(100*time.Millisecond))
	x := &flavors.Tensor{Name: "input", DType: flavors.Float32, Shape: []int64{256, 3, 64, 64}, Data: make([]float32, 256*3*64*64)}
	in, err := oip.NewBinaryInput(x)
	if err != nil {
		t.Fatal(err)
	}
	body, hl, err := oip.EncodeInferRequest(&oip.InferenceRequest{Inputs: []oip.RequestInput{in}})
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, http.MethodPost, ts.URL+"/v2/models/cnn/infer", oip.ContentTypeBinary, body,
		oip.HeaderInferenceContentLength, strconv.Itoa(hl))
	if r.status != http.StatusGatewayTimeout {
		t.Fatalf("got %d %.300s, want 504", r.status, r.body)
	}
}

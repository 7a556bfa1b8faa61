package judge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/evaluate/llm"
	"github.com/berthml/berth/internal/numpy"
)

// Judge answers a judge prompt with the judge model's text. ok is false
// when the answer held no text (MLflow then has None).
type Judge interface {
	Judge(ctx context.Context, prompt string) (text string, ok bool, err error)
}

// Gateway asks an MLflow Deployments (berth gateway) endpoint, as MLflow's
// call_deployments_api does for an endpoints:/NAME judge: the endpoint's
// type is looked up first; a chat endpoint gets the prompt as one user
// message, a completions endpoint as the prompt; Parameters go with it.
type Gateway struct {
	Client     *deployments.Client
	Endpoint   string
	Parameters Parameters
	// Retries is how many times a call the gateway answered 429 (a key's
	// or endpoint's limit) or 503 is tried again, after Backoff, doubled
	// each time (MLflow's deployments client retries these too).
	// NewGateway sets 4 and 1s.
	Retries int
	Backoff time.Duration

	once sync.Once
	typ  string
	err  error
}

// NewGateway returns a Gateway for endpoint with DefaultParameters.
func NewGateway(c *deployments.Client, endpoint string) *Gateway {
	return &Gateway{Client: c, Endpoint: endpoint, Parameters: DefaultParameters(), Retries: 4, Backoff: time.Second}
}

// Check looks the endpoint up (once) and refuses one that is neither chat
// nor completions.
func (g *Gateway) Check(ctx context.Context) error {
	g.once.Do(func() {
		e, err := g.Client.GetEndpoint(ctx, g.Endpoint)
		if err != nil {
			g.err = fmt.Errorf("judge endpoint %s: %w", g.Endpoint, err)
			return
		}
		g.typ = e.EndpointType
		if g.typ != deployments.TypeChat && g.typ != deployments.TypeCompletions {
			g.err = fmt.Errorf("judge endpoint %s is %s: a judge needs an %s or %s endpoint", g.Endpoint, g.typ, deployments.TypeChat, deployments.TypeCompletions)
		}
	})
	return g.err
}

// Judge asks the endpoint, trying again on 429 and 503 as Retries says.
func (g *Gateway) Judge(ctx context.Context, prompt string) (string, bool, error) {
	if err := g.Check(ctx); err != nil {
		return "", false, err
	}
	wait := g.Backoff
	for try := 0; ; try++ {
		text, ok, err := g.ask(ctx, prompt)
		var he *deployments.HTTPError
		if err == nil || try >= g.Retries || !errors.As(err, &he) || (he.Status != http.StatusTooManyRequests && he.Status != http.StatusServiceUnavailable) {
			return text, ok, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", false, ctx.Err()
		case <-t.C:
		}
		wait *= 2
	}
}

func (g *Gateway) ask(ctx context.Context, prompt string) (string, bool, error) {
	p := g.Parameters
	extra := deployments.Extra{"top_p": json.RawMessage(strconv.FormatFloat(p.TopP, 'f', -1, 64))}
	if g.typ == deployments.TypeCompletions {
		resp, err := g.Client.Completions(ctx, g.Endpoint, &deployments.CompletionsRequest{Prompt: prompt,
			Temperature: &p.Temperature, MaxTokens: &p.MaxTokens, Extra: extra})
		if err != nil {
			return "", false, err
		}
		if len(resp.Choices) == 0 {
			return "", false, nil
		}
		return resp.Choices[0].Text, true, nil
	}
	resp, err := g.Client.Chat(ctx, g.Endpoint, &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", prompt)},
		Temperature: &p.Temperature, MaxTokens: &p.MaxTokens, Extra: extra})
	if err != nil {
		return "", false, err
	}
	if len(resp.Choices) == 0 || resp.Choices[0].Message.Content == nil {
		return "", false, nil
	}
	return *resp.Choices[0].Message.Content, true, nil
}

// Rows are what the metrics are computed on, one entry per row; a nil
// entry is Python's None.
type Rows struct {
	Inputs  []*string
	Outputs []*string
	// Context holds the grading context columns by MLflow's name:
	// "targets" (the ground truth), "context".
	Context map[string][]*string
}

// ErrMissingColumn is wrapped by Evaluate's error when a metric needs a
// column that Rows lacks.
var ErrMissingColumn = errors.New("missing column")

// Result is the judge metrics' aggregates under MLflow's keys (Names in
// order), their per-row columns, and what went wrong on the way.
type Result struct {
	Metrics  map[string]float64
	Names    []string
	Columns  []llm.Column
	Warnings []string
}

// Options of Evaluate. The zero value asks 10 rows at once (MLflow's
// max_workers) and reports no progress.
type Options struct {
	// Concurrency is how many judge calls run at once (0: 10).
	Concurrency int
	// Progress, when set, is called after every call with the calls done
	// and the total (rows × metrics), from any goroutine, one at a time.
	Progress func(done, total int)
}

// DefaultConcurrency is MLflow's max_workers default for judge calls.
const DefaultConcurrency = 10

// Needs reports the columns m needs besides the outputs: "inputs" when it
// includes the input, then its grading context columns.
func (m *Metric) Needs() []string {
	var out []string
	if m.IncludeInput {
		out = append(out, "inputs")
	}
	return append(out, m.GradingContextColumns...)
}

// Evaluate asks j to grade every row for every metric, at most
// o.Concurrency calls at once. A failed call is that row's verdict (no
// score; the justification says why), never the evaluation's error; only
// a missing column or a cancelled ctx is.
func Evaluate(ctx context.Context, j Judge, ms []*Metric, rows Rows, o Options) (*Result, error) {
	n := len(rows.Outputs)
	for _, m := range ms {
		if m.IncludeInput && len(rows.Inputs) != n {
			return nil, fmt.Errorf("%s needs the inputs: %w", m.Name, ErrMissingColumn)
		}
		for _, c := range m.GradingContextColumns {
			if len(rows.Context[c]) != n {
				return nil, fmt.Errorf("%s needs %q: %w", m.Name, c, ErrMissingColumn)
			}
		}
	}
	conc := o.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	verdicts := make([][]Verdict, len(ms))
	for i := range ms {
		verdicts[i] = make([]Verdict, n)
	}
	total := n * len(ms)
	var (
		done   atomic.Int64
		report sync.Mutex
		wg     sync.WaitGroup
	)
	jobs := make(chan int)
	for range max(1, min(conc, total)) {
		wg.Go(func() {
			for k := range jobs {
				mi, row := k/n, k%n
				verdicts[mi][row] = judgeRow(ctx, j, ms[mi], rows, row)
				d := done.Add(1)
				if o.Progress != nil {
					report.Lock()
					o.Progress(int(d), total)
					report.Unlock()
				}
			}
		})
	}
send:
	for k := range total {
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- k:
		case <-ctx.Done():
			break send
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &Result{Metrics: map[string]float64{}}
	for mi, m := range ms {
		r.add(m.Name, verdicts[mi])
	}
	return r, nil
}

// judgeRow renders one row's prompt, asks, and reads the answer as
// _score_model_on_one_payload does.
func judgeRow(ctx context.Context, j Judge, m *Metric, rows Rows, row int) Verdict {
	var input *string
	if m.IncludeInput {
		input = rows.Inputs[row]
	}
	kvs := make([]KV, len(m.GradingContextColumns))
	for i, c := range m.GradingContextColumns {
		kvs[i] = KV{Key: c, Value: "None"}
		if v := rows.Context[c][row]; v != nil {
			kvs[i].Value = *v
		}
	}
	text, ok, err := j.Judge(ctx, m.Prompt(input, rows.Outputs[row], kvs))
	if err != nil {
		return failed(failedScore + err.Error())
	}
	if !ok {
		return Verdict{}
	}
	return Parse(text)
}

// add records a metric's verdicts: the NAME/v1/score and
// NAME/v1/justification columns, and mean, variance and p90 (numpy's)
// over the scores read. With no score read there are no aggregates
// (MLflow's would be NaN and None) and a warning says so.
func (r *Result) add(name string, vs []Verdict) {
	key := name + "/" + Version
	scores, justs := make([]any, len(vs)), make([]any, len(vs))
	var got []float64
	failures := 0
	for i, v := range vs {
		if v.Score != nil {
			scores[i] = *v.Score
			got = append(got, *v.Score)
		} else {
			failures++
		}
		if v.Justification != nil {
			justs[i] = *v.Justification
		}
	}
	r.Columns = append(r.Columns, llm.Column{Name: key + "/score", Values: scores}, llm.Column{Name: key + "/justification", Values: justs})
	if failures > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %d of %d rows have no score (the judge's answer could not be read or the call failed; see %s/justification)", key, failures, len(vs), key))
	}
	if len(got) == 0 {
		return
	}
	for _, a := range []struct {
		name string
		v    float64
	}{{"mean", numpy.Mean(got)}, {"variance", numpy.Var(got)}, {"p90", numpy.Percentile(got, 90)}} {
		r.Names = append(r.Names, key+"/"+a.name)
		r.Metrics[key+"/"+a.name] = a.v
	}
}

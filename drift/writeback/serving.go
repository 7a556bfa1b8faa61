package writeback

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
)

// Tags set on the registered model version by [Writer.Serving].
const (
	TagServingLastReport = "berth.serving.last_report"
	TagServingInstance   = "berth.serving.instance"
)

// ServingWindow is what a model version served over one report interval.
type ServingWindow struct {
	Step                                            int64 // 1 for the first report of this server process for this version
	Start, End                                      time.Time
	Requests, ClientErrors, ServerErrors            int64
	LatencyMean, LatencyP50, LatencyP95, LatencyP99 float64 // seconds; NaN when Requests == 0
}

// ServingMetrics returns the metrics a serving report is logged as, at
// step s.Step and time s.End: serving.requests, serving.request_rate
// (requests per second of the interval), serving.interval_s (the
// interval's length, so that readers know when a report is overdue),
// serving.client_errors (4xx),
// serving.server_errors (5xx), serving.error_rate (server errors per
// request; left out without requests) and serving.latency_mean_ms,
// serving.latency_p50_ms, serving.latency_p95_ms, serving.latency_p99_ms
// (milliseconds; left out when NaN).
func ServingMetrics(s ServingWindow) []mlflowrest.Metric {
	ts, step := mlflowrest.Int64(s.End.UnixMilli()), mlflowrest.Int64(s.Step)
	var ms []mlflowrest.Metric
	add := func(k string, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			ms = append(ms, mlflowrest.Metric{Key: k, Value: mlflowrest.Float64(v), Timestamp: ts, Step: step})
		}
	}
	add("serving.requests", float64(s.Requests))
	if secs := s.End.Sub(s.Start).Seconds(); secs > 0 {
		add("serving.request_rate", float64(s.Requests)/secs)
		add("serving.interval_s", secs)
	}
	add("serving.client_errors", float64(s.ClientErrors))
	add("serving.server_errors", float64(s.ServerErrors))
	if s.Requests > 0 {
		add("serving.error_rate", float64(s.ServerErrors)/float64(s.Requests))
	}
	add("serving.latency_mean_ms", s.LatencyMean*1000)
	add("serving.latency_p50_ms", s.LatencyP50*1000)
	add("serving.latency_p95_ms", s.LatencyP95*1000)
	add("serving.latency_p99_ms", s.LatencyP99*1000)
	return ms
}

// Serving writes s, a serving report of model's version, now: it logs
// [ServingMetrics] to the version's monitoring run (found or created) and
// tags the model version with the report's end ([TagServingLastReport])
// and the serving instance ([TagServingInstance], when [WithInstance]
// named one).
func (wr *Writer) Serving(ctx context.Context, model, version string, s ServingWindow) error {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	k := key{model, version}
	run, err := wr.run(ctx, k)
	if err != nil {
		return fmt.Errorf("writing serving report %d of %s version %s: %w", s.Step, model, version, err)
	}
	if err := wr.logMetrics(ctx, k, run.id, ServingMetrics(s)); err != nil {
		return fmt.Errorf("logging serving report %d of %s version %s: %w", s.Step, model, version, err)
	}
	tags := []mlflowrest.SetModelVersionTagRequest{{Key: TagServingLastReport, Value: s.End.UTC().Format(time.RFC3339)}}
	if wr.opts.instance != "" {
		tags = append(tags, mlflowrest.SetModelVersionTagRequest{Key: TagServingInstance, Value: wr.opts.instance})
	}
	for _, t := range tags {
		t.Name, t.Version = model, version
		if err := wr.c.Post(ctx, "model-versions/set-tag", t, nil); err != nil {
			return fmt.Errorf("tagging %s version %s: %w", model, version, err)
		}
	}
	return nil
}

package writeback

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/webhook"
)

// Tags set on each monitoring run and on the registered model version.
const (
	TagModel        = "berth.model"
	TagModelVersion = "berth.model_version"
	TagInstance     = "berth.instance" // the server, host:port, when [WithInstance] names one
	TagProcess      = "berth.process"  // with TagInstance: which process of that server (a Writer's random id)
	TagSourceName   = "mlflow.source.name"
	SourceName      = "berth serve"

	TagStatus       = "berth.drift.status"
	TagLastWindow   = "berth.drift.last_window"
	TagWorstFeature = "berth.drift.worst_feature"
	// TagRule says the last window's status and the rule behind it in
	// one line (drift.WindowResult.Summary), such as "drift: 1 of 4
	// features after Benjamini–Hochberg at q=0.01, 2 consecutive
	// drifting windows (drift from 2)".
	TagRule = "berth.drift.rule"
)

// maxBatch is the most metrics one runs/log-batch call carries (MLflow's
// limit is 1000).
const maxBatch = 1000

type key struct{ model, version string }

// job is one queued write: a drift window, or a serving report when s is
// set.
type job struct {
	key
	w drift.WindowResult
	s *ServingWindow
	p *drift.PeriodResult // a period's counts to upload
	m *merge              // a period to merge
}

// monitoringRun is a found or created monitoring run.
type monitoringRun struct {
	id          string
	artifactURI string
}

// Writer writes what berth serve observes (closed drift windows, serving
// reports) to a tracking server. It is safe for concurrent use.
type Writer struct {
	c    *mlflowrest.Client
	opts options

	mu     sync.Mutex // guards expID, runs, status; serialises Window and Serving
	expID  string
	runs   map[key]monitoringRun
	status map[key]drift.Status // last status written, "" unknown

	queue   chan job
	dropped atomic.Int64
	hooks   *webhook.Sender // nil without WithWebhook
	process string          // random; tells this process's runs from an earlier one's on the same instance
}

// New returns a Writer that writes through client.
func New(client *mlflowrest.Client, opts ...Option) *Writer {
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	wr := &Writer{c: client, opts: o, runs: map[key]monitoringRun{}, status: map[key]drift.Status{},
		queue: make(chan job, o.queue), process: rand.Text()}
	if o.webhook != "" {
		wr.hooks = webhook.NewSender(append([]webhook.Option{webhook.WithPolicy(o.webhookPolicy),
			webhook.WithLogger(o.logger)}, o.delivery...)...)
	}
	return wr
}

// RunName is the name of the monitoring run of a model version.
func RunName(model, version string) string { return model + "-v" + version + "-monitoring" }

// Window writes w, a closed window of model's version, now: it logs the
// window's metrics to the version's monitoring run (found or created),
// uploads the window's full comparison as [WindowArtifact] when it has
// one, tags the model version with the drift status, and calls the
// webhook when the status changed.
func (wr *Writer) Window(ctx context.Context, model, version string, w drift.WindowResult) error {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	k := key{model, version}
	run, err := wr.run(ctx, k)
	if err != nil {
		return fmt.Errorf("writing drift window %d of %s version %s: %w", w.Window, model, version, err)
	}
	if err := wr.logMetrics(ctx, k, run.id, Metrics(w)); err != nil {
		return fmt.Errorf("logging drift window %d of %s version %s: %w", w.Window, model, version, err)
	}
	if w.Report != nil {
		// Best effort: a tracking server whose artifacts are not proxied
		// (or a failed upload) must not cost the version its status.
		if err := wr.uploadWindow(ctx, run, NewWindowFile(model, version, w)); err != nil {
			wr.opts.logger.Warn("uploading the drift window's histograms", "model", model, "version", version,
				"window", w.Window, "artifact", WindowArtifact, "error", err)
		}
	}
	if wr.opts.merge {
		// The version's tags carry the merged verdict of all replicas
		// (Merge); this replica's own goes on its monitoring run.
		if err := wr.tagRun(ctx, run.id, w); err != nil {
			return fmt.Errorf("tagging the monitoring run of %s version %s: %w", model, version, err)
		}
		return nil
	}
	prev, known := wr.status[k]
	if !known {
		prev = wr.versionStatus(ctx, k)
	}
	worst := WorstFeature(w)
	tags := []mlflowrest.SetModelVersionTagRequest{
		{Key: TagStatus, Value: string(w.Status)},
		{Key: TagLastWindow, Value: w.End.UTC().Format(time.RFC3339)},
		{Key: TagRule, Value: w.Summary()},
	}
	if worst != "" {
		tags = append(tags, mlflowrest.SetModelVersionTagRequest{Key: TagWorstFeature, Value: worst})
	}
	for _, t := range tags {
		t.Name, t.Version = model, version
		if err := wr.c.Post(ctx, "model-versions/set-tag", t, nil); err != nil {
			return fmt.Errorf("tagging %s version %s: %w", model, version, err)
		}
	}
	wr.status[k] = w.Status
	if wr.opts.webhook != "" && w.Status != prev && (prev != "" || w.Status != drift.StatusOK) {
		ev := Event{Model: model, Version: version, Status: w.Status, PreviousStatus: prev,
			Window: w.Window, WorstFeature: worst, Time: w.End.UTC()}
		if err := wr.notify(ctx, ev); err != nil {
			wr.opts.logger.Warn("calling the drift webhook", "model", model, "version", version, "error", err)
		}
	}
	return nil
}

// tagRun tags a replica's monitoring run with its own drift status after
// window w ([TagStatus], [TagRule], [TagLastWindow], [TagWorstFeature]).
func (wr *Writer) tagRun(ctx context.Context, runID string, w drift.WindowResult) error {
	tags := [][2]string{{TagStatus, string(w.Status)}, {TagLastWindow, w.End.UTC().Format(time.RFC3339)}, {TagRule, w.Summary()}}
	if worst := WorstFeature(w); worst != "" {
		tags = append(tags, [2]string{TagWorstFeature, worst})
	}
	for _, t := range tags {
		if err := wr.c.Post(ctx, "runs/set-tag", mlflowrest.SetTagRequest{RunID: runID, Key: t[0], Value: t[1]}, nil); err != nil {
			return err
		}
	}
	return nil
}

// logMetrics logs metrics to the run runID of k in batches; when the run
// is gone it is forgotten, to be found or created next time.
func (wr *Writer) logMetrics(ctx context.Context, k key, runID string, metrics []mlflowrest.Metric) error {
	for i := 0; i < len(metrics); i += maxBatch {
		batch := mlflowrest.LogBatchRequest{RunID: runID, Metrics: metrics[i:min(i+maxBatch, len(metrics))]}
		if err := wr.c.Post(ctx, "runs/log-batch", batch, nil); err != nil {
			var apiErr *mlflowrest.ErrorResponse
			if errors.As(err, &apiErr) && apiErr.ErrorCode == mlflowrest.CodeResourceDoesNotExist {
				delete(wr.runs, k) // the run was deleted: find or create it next time
			}
			return err
		}
	}
	return nil
}

// versionStatus reads the drift status tag of a model version, "" when
// it has none or cannot be read.
func (wr *Writer) versionStatus(ctx context.Context, k key) drift.Status {
	var got mlflowrest.ModelVersionResponse
	q := url.Values{"name": {k.model}, "version": {k.version}}
	if err := wr.c.Get(ctx, "model-versions/get", q, &got); err != nil {
		return ""
	}
	for _, t := range got.ModelVersion.Tags {
		if t.Key == TagStatus {
			return drift.Status(t.Value)
		}
	}
	return ""
}

// run finds or creates the monitoring run of k.
func (wr *Writer) run(ctx context.Context, k key) (monitoringRun, error) {
	if r, ok := wr.runs[k]; ok {
		return r, nil
	}
	if err := wr.ensureExperiment(ctx); err != nil {
		return monitoringRun{}, err
	}
	var found mlflowrest.SearchRunsResponse
	filter := fmt.Sprintf("tags.`%s` = '%s' and tags.`%s` = '%s' and tags.`%s` = '%s'",
		TagModel, quote(k.model), TagModelVersion, quote(k.version), TagSourceName, quote(SourceName))
	tags := []mlflowrest.RunTag{
		{Key: TagModel, Value: k.model}, {Key: TagModelVersion, Value: k.version},
		{Key: TagSourceName, Value: SourceName},
	}
	if inst := wr.opts.instance; inst != "" {
		// Each serving process has its own run: its windows are of its own
		// traffic, its serving figures are summed with the others' by
		// readers, and its steps, which start at 1, never mix with those
		// of the process that served on the same host:port before it.
		filter += fmt.Sprintf(" and tags.`%s` = '%s'", TagProcess, quote(wr.process))
		tags = append(tags, mlflowrest.RunTag{Key: TagInstance, Value: inst}, mlflowrest.RunTag{Key: TagProcess, Value: wr.process})
	}
	err := wr.c.Post(ctx, "runs/search", mlflowrest.SearchRunsRequest{
		ExperimentIDs: []string{wr.expID}, Filter: filter, RunViewType: "ACTIVE_ONLY",
		MaxResults: 1, OrderBy: []string{"attributes.start_time ASC"}}, &found)
	if err != nil {
		return monitoringRun{}, fmt.Errorf("searching the monitoring run: %w", err)
	}
	if len(found.Runs) > 0 {
		r := monitoringRun{found.Runs[0].Info.RunID, found.Runs[0].Info.ArtifactURI}
		wr.runs[k] = r
		return r, nil
	}
	var created mlflowrest.RunResponse
	err = wr.c.Post(ctx, "runs/create", mlflowrest.CreateRunRequest{
		ExperimentID: wr.expID, RunName: RunName(k.model, k.version),
		StartTime: mlflowrest.Int64(time.Now().UnixMilli()), Tags: tags}, &created)
	if err != nil {
		return monitoringRun{}, fmt.Errorf("creating the monitoring run: %w", err)
	}
	r := monitoringRun{created.Run.Info.RunID, created.Run.Info.ArtifactURI}
	wr.runs[k] = r
	return r, nil
}

// ensureExperiment finds or creates the monitoring experiment, once. Of
// replicas that start together, several may find it missing and create
// it; those that lose the race (RESOURCE_ALREADY_EXISTS) read the
// winner's, rather than failing their first write.
func (wr *Writer) ensureExperiment(ctx context.Context) error {
	if wr.expID != "" {
		return nil
	}
	id, err := wr.c.EnsureExperiment(ctx, wr.opts.experiment)
	if err != nil {
		return err
	}
	wr.expID = id
	return nil
}

func quote(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Metrics returns the metrics a window is logged as, at step w.Window and
// time w.End: per feature and output column drift.<feature>.psi,
// .ks_pvalue, .ks_pvalue_adjusted, .chi2_pvalue, .chi2_pvalue_adjusted,
// .wasserstein, .js_distance (those computed) and .drifted (0 or 1); then
// drift.share (the share of drifted input features), drift.rows,
// drift.status (the model's status after persistence: 0 ok, 1 warning,
// 2 drift), drift.verdict (the window's own, same scale) and
// drift.consecutive (drifting windows in a row). Characters
// MLflow does not allow in metric keys become underscores in <feature>
// ("petal length (cm)" → "petal length _cm_").
func Metrics(w drift.WindowResult) []mlflowrest.Metric {
	ts, step := mlflowrest.Int64(w.End.UnixMilli()), mlflowrest.Int64(w.Window)
	var ms []mlflowrest.Metric
	add := func(k string, v *float64) {
		if v != nil && !math.IsNaN(*v) {
			ms = append(ms, mlflowrest.Metric{Key: k, Value: mlflowrest.Float64(*v), Timestamp: ts, Step: step})
		}
	}
	num := func(v float64) *float64 { return &v }
	drifted := 0
	if w.Report != nil {
		for _, f := range w.Report.Features {
			p := "drift." + metricName(f.Feature) + "."
			add(p+"psi", f.PSI)
			add(p+"ks_pvalue", f.KSPValue)
			add(p+"ks_pvalue_adjusted", f.KSPAdjusted)
			add(p+"js_distance", f.JSDistance)
			add(p+"chi2_pvalue", f.Chi2PValue)
			add(p+"chi2_pvalue_adjusted", f.Chi2PAdjusted)
			add(p+"wasserstein", f.Wasserstein)
			add(p+"drifted", num(b2f(f.Drifted)))
		}
		add("drift.share", num(w.Report.DriftShare))
	} else {
		inputs := 0
		for _, f := range w.Features {
			p := "drift." + metricName(f.Feature) + "."
			add(p+"psi", f.PSI)
			add(p+"js_distance", f.JS)
			add(p+"drifted", num(b2f(f.Drifted)))
			if !f.Output {
				inputs++
				if f.Drifted {
					drifted++
				}
			}
		}
		if inputs > 0 {
			add("drift.share", num(float64(drifted)/float64(inputs)))
		}
	}
	add("drift.rows", num(float64(w.Rows)))
	add("drift.status", num(StatusValue(w.Status)))
	if w.Verdict != "" {
		add("drift.verdict", num(StatusValue(w.Verdict)))
		add("drift.consecutive", num(float64(w.Consecutive)))
	}
	return ms
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// StatusValue maps a status to the drift.status metric: 0 ok, 1 warning,
// 2 drift (-1 for anything else).
func StatusValue(s drift.Status) float64 {
	switch s {
	case drift.StatusOK:
		return 0
	case drift.StatusWarning:
		return 1
	case drift.StatusDrift:
		return 2
	}
	return -1
}

// WorstFeature returns the input feature of w that drifted with the
// highest PSI, else the input with the highest PSI — an output column
// only when no input has one (outputs drift because inputs do) — or ""
// when no column has a PSI.
func WorstFeature(w drift.WindowResult) string {
	worst, best, output, drifted := "", math.Inf(-1), true, false
	for _, f := range w.Features {
		if f.PSI == nil || math.IsNaN(*f.PSI) {
			continue
		}
		switch {
		case output && !f.Output, // an input beats any output
			output == f.Output && f.Drifted && !drifted, // a drifted column beats one that did not
			output == f.Output && f.Drifted == drifted && *f.PSI > best:
			worst, best, output, drifted = f.Feature, *f.PSI, f.Output, f.Drifted
		}
	}
	return worst
}

// metricName makes a feature name fit in an MLflow metric key: runes
// MLflow refuses (and slashes, which would make the key a path) become
// underscores, and the name is cut to leave room for the prefix and
// statistic within MLflow's 250 characters.
func metricName(feature string) string {
	const maxLen = 200
	b := make([]rune, 0, len(feature))
	for _, r := range feature {
		if !(r == '_' || r == '-' || r == '.' || r == ' ' || r == ':' || unicode.IsLetter(r) || unicode.IsNumber(r)) {
			r = '_'
		}
		b = append(b, r)
	}
	if len(b) > maxLen {
		b = b[:maxLen]
	}
	return string(b)
}

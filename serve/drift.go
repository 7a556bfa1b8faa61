package serve

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// WithDrift turns live drift monitoring on or off: a model whose directory
// holds a reference profile (drift.FileName) has the inputs of every
// successful scoring request compared with it, window by window. Default:
// on.
func WithDrift(on bool) Option { return func(o *options) { o.drift = on } }

// WithDriftOptions configures each model's drift monitor (window size and
// age, thresholds, history). Default: the drift package's defaults.
func WithDriftOptions(opts ...drift.MonitorOption) Option {
	return func(o *options) { o.driftOpts = append(o.driftOpts, opts...) }
}

// WithDriftListener has f called with every closed drift window of every
// model, after the window's metrics are counted. f runs on the monitor's
// callback path, in the scoring request that closed the window: it must
// return quickly (hand slow work to a queue). Default: none.
func WithDriftListener(f func(model, version string, w drift.WindowResult)) Option {
	return func(o *options) { o.driftListeners = append(o.driftListeners, f) }
}

// WithDriftPeriods has each model's drift monitor also count its rows by
// wall-clock period of length d (drift.PeriodOf: aligned on the Unix
// clock, so replicas cut the same periods) and f called with each
// period's counts once it is over, for merging with other replicas'.
// Like a window listener, f runs on the scoring path and must return
// quickly. d <= 0 turns it off. Default: off.
func WithDriftPeriods(d time.Duration, f func(model, version string, p drift.PeriodResult)) Option {
	return func(o *options) {
		o.driftPeriod = d
		if f != nil {
			o.periodListeners = append(o.periodListeners, f)
		}
	}
}

// FlushDriftPeriods hands on the counts of the period each model's drift
// monitor is filling, marked partial (drift.Monitor.FlushPeriod): a
// server that stops calls it once it no longer scores, so that its last
// rows still count when the other replicas merge the period.
func (s *Server) FlushDriftPeriods() {
	for _, m := range s.Models() {
		if m.monitor != nil {
			m.monitor.FlushPeriod()
		}
	}
}

// driftTap feeds one feature from one model input or output tensor:
// column col of a [rows, width] tensor, or the whole of a vector when
// width is 1; or, with sum set, the per-sample summaries of a rank >= 3
// input to the features sum lists.
type driftTap struct {
	tensor  string
	col     int
	width   int
	feature int // index in the monitor: the reference's features, then its outputs
	sum     *summaryTap
}

// summaryTap feeds the channel summaries of a rank >= 3 input.
type summaryTap struct {
	rank, axis, channels int
	// feats holds the monitor's feature index of each channel's summary,
	// channel*len(drift.SummaryStats)+stat, or -1.
	feats []int
}

// loadDriftReference reads dir's reference profile, if it has one, and
// works out which input tensor columns feed which of its features. A
// reference that cannot be read or used is logged and ignored: drift
// monitoring never keeps a model from serving.
func (m *Model) loadDriftReference(dir string, log *slog.Logger) {
	path := filepath.Join(dir, drift.FileName)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		log.Warn("reading the drift reference", "model", m.Name, "path", path, "error", err)
		return
	}
	defer f.Close()
	ref, err := drift.ReadProfile(f)
	if err != nil {
		log.Warn("reading the drift reference", "model", m.Name, "path", path, "error", err)
		return
	}
	taps := driftTaps(m.Signature(), m.Predictor().Inputs(), ref)
	if len(taps) == 0 {
		log.Debug("no model input maps to a feature of the drift reference; drift is not monitored",
			"model", m.Name, "path", path)
		return
	}
	m.driftRef, m.driftTaps = ref, taps
	m.driftOutTaps = driftOutputTaps(m.Signature(), m.Predictor().Outputs(), ref)
}

// driftOutputTaps maps model outputs to the reference's output columns,
// named as drift.OutputColumns names them.
func driftOutputTaps(sig *flavors.Signature, outputs []flavors.TensorInfo, ref *drift.Profile) []driftTap {
	var inputs []string
	if sig != nil && sig.Inputs != nil {
		for _, c := range sig.Inputs.Columns {
			inputs = append(inputs, c.Name)
		}
	}
	var taps []driftTap
	for _, c := range drift.OutputColumns(outputs, inputs) {
		for j := range ref.Outputs {
			if ref.Outputs[j].Name == c.Name {
				taps = append(taps, driftTap{tensor: c.Tensor, col: c.Index, width: c.Width, feature: len(ref.Features) + j})
			}
		}
	}
	return taps
}

// driftTaps maps model inputs to reference features. A single input fed
// by a named column signature is a [rows, k] stack of its k columns in
// signature order; otherwise an input feeds the feature of its own name
// when it holds one value per row.
func driftTaps(sig *flavors.Signature, inputs []flavors.TensorInfo, ref *drift.Profile) []driftTap {
	index := func(name string) int {
		for i := range ref.Features {
			if ref.Features[i].Name == name {
				return i
			}
		}
		return -1
	}
	if taps, ok := sourceTaps(inputs, ref); ok {
		return taps
	}
	var taps []driftTap
	if len(inputs) == 1 && sig != nil && sig.Inputs != nil && !sig.Inputs.IsTensor() && sig.Inputs.HasNames() {
		cols, in := sig.Inputs.Columns, inputs[0]
		k := len(cols)
		scalar := true
		for _, c := range cols {
			if _, ok := c.Type.DType(); !ok {
				scalar = false
			}
		}
		fits := (len(in.Shape) == 2 && (in.Shape[1] < 0 || in.Shape[1] == int64(k))) || (k == 1 && len(in.Shape) == 1)
		if scalar && fits {
			for j, c := range cols {
				if i := index(c.Name); i >= 0 {
					taps = append(taps, driftTap{tensor: in.Name, col: j, width: k, feature: i})
				}
			}
			return taps
		}
	}
	for _, in := range inputs {
		i := index(in.Name)
		vector := len(in.Shape) == 1 || (len(in.Shape) == 2 && in.Shape[1] == 1)
		if i >= 0 && vector {
			taps = append(taps, driftTap{tensor: in.Name, width: 1, feature: i})
		}
	}
	return taps
}

// sourceTaps maps model inputs to the features of a reference made for a
// model whose inputs are tensors (features with a drift.Source): column j
// of a [rows, N] input feeds the feature of column j, a rank >= 3 input
// its channel summaries. An input is found by name, or is the model's
// only input. ok is false for a reference of named columns.
func sourceTaps(inputs []flavors.TensorInfo, ref *drift.Profile) (taps []driftTap, ok bool) {
	sums := map[string]*summaryTap{}
	for i := range ref.Features {
		src := ref.Features[i].Source
		if src == nil {
			continue
		}
		ok = true
		in := -1
		for j := range inputs {
			if inputs[j].Name == src.Tensor {
				in = j
			}
		}
		if in < 0 && len(inputs) == 1 {
			in = 0
		}
		if in < 0 || len(inputs[in].Shape) != src.Rank {
			continue
		}
		name := inputs[in].Name
		if src.Rank <= 2 {
			taps = append(taps, driftTap{tensor: name, col: src.Column, width: src.Width, feature: i})
			continue
		}
		st := sums[name]
		if st == nil {
			st = &summaryTap{rank: src.Rank, axis: src.Axis, channels: src.Channels,
				feats: slices.Repeat([]int{-1}, max(src.Channels, 1)*len(drift.SummaryStats))}
			sums[name] = st
			taps = append(taps, driftTap{tensor: name, width: 1, feature: -1, sum: st})
		}
		if st.axis != src.Axis || st.channels != src.Channels {
			continue
		}
		st.feats[max(src.Column, 0)*len(drift.SummaryStats)+slices.Index(drift.SummaryStats, src.Stat)] = i
	}
	return taps, ok
}

// summaryRows checks that t fits a summary tap and returns its rows and
// summarizer.
func summaryRows(t *flavors.Tensor, st *summaryTap) (int, *drift.Summarizer, bool) {
	if len(t.Shape) != st.rank || (st.axis > 0 && t.Shape[st.axis] != int64(st.channels)) {
		return 0, nil, false
	}
	s, err := drift.NewSummarizer(t.Shape[1:], st.axis)
	if err != nil {
		return 0, nil, false
	}
	n := int(t.Shape[0])
	if n < 0 || t.Len() != n*s.Size() {
		return 0, nil, false
	}
	return n, s, true
}

// observeDrift feeds a scored request's inputs and outputs to m's drift
// monitor; it does nothing for a model without one. Outputs the request
// did not ask for are not recorded.
func (m *Model) observeDrift(inputs, outputs []*flavors.Tensor) {
	if m.monitor == nil {
		return
	}
	rows := -1
	var sums [][]float64 // per summary tap, computed outside the monitor's lock
	for _, tap := range m.driftTaps {
		t := tensorNamed(inputs, tap.tensor)
		if t == nil {
			return
		}
		var n int
		ok := false
		if tap.sum != nil {
			var s *drift.Summarizer
			if n, s, ok = summaryRows(t, tap.sum); ok {
				out := make([]float64, n*s.Channels*len(drift.SummaryStats))
				ok = drift.SummarizeRows(s, t.Data, n, out)
				sums = append(sums, out)
			}
		} else {
			n, ok = drift.RowsOf(t, tap.width)
		}
		if !ok || (rows >= 0 && n != rows) {
			return // a shape the mapping does not fit: skip the request
		}
		rows = n
	}
	if rows <= 0 {
		return
	}
	m.monitor.Record(rows, func(r drift.Recorder) {
		k := 0
		for _, tap := range m.driftTaps {
			if tap.sum != nil {
				recordSummaries(r, tap.sum, sums[k], rows)
				k++
				continue
			}
			recordTap(r, tensorNamed(inputs, tap.tensor), tap, rows)
		}
		for _, tap := range m.driftOutTaps {
			if t := tensorNamed(outputs, tap.tensor); t != nil {
				if n, ok := drift.RowsOf(t, tap.width); ok && n == rows {
					recordTap(r, t, tap, rows)
				}
			}
		}
	})
}

func tensorNamed(ts []*flavors.Tensor, name string) *flavors.Tensor {
	for _, t := range ts {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func recordTap(r drift.Recorder, t *flavors.Tensor, tap driftTap, rows int) {
	switch d := t.Data.(type) {
	case []float32:
		for i := range rows {
			r.Float32(tap.feature, d[i*tap.width+tap.col])
		}
	case []float64:
		recordNums(r, d, tap, rows)
	case []int8:
		recordNums(r, d, tap, rows)
	case []int16:
		recordNums(r, d, tap, rows)
	case []int32:
		recordNums(r, d, tap, rows)
	case []int64:
		recordNums(r, d, tap, rows)
	case []uint8:
		recordNums(r, d, tap, rows)
	case []uint16:
		recordNums(r, d, tap, rows)
	case []uint32:
		recordNums(r, d, tap, rows)
	case []uint64:
		recordNums(r, d, tap, rows)
	case []bool:
		for i := range rows {
			if d[i*tap.width+tap.col] {
				r.String(tap.feature, "true")
			} else {
				r.String(tap.feature, "false")
			}
		}
	case []string:
		for i := range rows {
			r.String(tap.feature, d[i*tap.width+tap.col])
		}
	default:
		for range rows {
			r.Null(tap.feature)
		}
	}
}

// recordSummaries records rows samples' channel summaries, as
// drift.SummarizeRows laid them out.
func recordSummaries(r drift.Recorder, st *summaryTap, vals []float64, rows int) {
	k := len(vals) / rows
	for i := range rows {
		for j, f := range st.feats[:k] {
			if f >= 0 {
				r.Float(f, vals[i*k+j])
			}
		}
	}
}

type number interface {
	~float64 | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

func recordNums[T number](r drift.Recorder, d []T, tap driftTap, rows int) {
	for i := range rows {
		r.Float(tap.feature, float64(d[i*tap.width+tap.col]))
	}
}

// startDrift gives m a drift monitor when it has a usable reference and
// monitoring is on.
func (s *Server) startDrift(m *Model) {
	if !s.opts.drift || m.driftRef == nil {
		return
	}
	count := s.metrics.drift.windowClosed(m.Name, m.Version)
	name, version, listeners := m.Name, m.Version, s.opts.driftListeners
	opts := append(append([]drift.MonitorOption(nil), s.opts.driftOpts...),
		drift.OnWindow(func(w drift.WindowResult) {
			count(w)
			for _, l := range listeners {
				l(name, version, w)
			}
		}))
	if pl := s.opts.periodListeners; s.opts.driftPeriod > 0 && len(pl) > 0 {
		opts = append(opts, drift.WithPeriod(s.opts.driftPeriod, func(p drift.PeriodResult) {
			for _, l := range pl {
				l(name, version, p)
			}
		}))
	}
	mon, err := drift.NewMonitor(m.driftRef, opts...)
	if err != nil {
		s.opts.logger.Warn("starting the drift monitor", "model", m.Name, "error", err)
		return
	}
	m.monitor = mon
	s.metrics.drift.windows.WithLabelValues(m.Name, m.Version)
	s.opts.logger.Info("monitoring drift", "model", m.Name, "version", m.Version,
		"features", len(m.driftRef.Features), "mapped", len(m.driftTaps), "outputs", len(m.driftOutTaps))
}

// tickDrift closes drift windows that have grown old on a model that
// gets no requests, once a second until ctx is done.
func (s *Server) tickDrift(ctx context.Context) {
	if !s.opts.drift {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, m := range s.Models() {
				if m.monitor != nil {
					m.monitor.Tick()
				}
			}
		}
	}
}

// driftResponse is the answer of GET /v2/models/{m}/drift.
type driftResponse struct {
	Model     string               `json:"model"`
	Version   string               `json:"version"`
	Reference driftReference       `json:"reference"`
	Window    drift.WindowState    `json:"window"`
	Last      *lastWindow          `json:"last"`
	History   []drift.WindowResult `json:"history"`
}

type driftReference struct {
	Features []referenceFeature `json:"features"`
}

type referenceFeature struct {
	Name       string     `json:"name"`
	Kind       drift.Kind `json:"kind"`
	Count      int64      `json:"count"`
	Nulls      int64      `json:"nulls"`
	Min        *float64   `json:"min,omitempty"`
	Max        *float64   `json:"max,omitempty"`
	Mean       *float64   `json:"mean,omitempty"`
	Bins       int        `json:"bins,omitempty"`
	Categories int        `json:"categories,omitempty"`
}

// lastWindow is the last closed window with its full report.
type lastWindow struct {
	Window int64     `json:"window"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Rows   int64     `json:"rows"`
	// Status is the model's status after the window (drift.Persist), as
	// the metrics, write-back and pages show it; it hides the report's
	// own, which is Verdict. Summary says the rule in one line.
	Status      drift.Status `json:"status"`
	Verdict     drift.Status `json:"verdict"`
	Consecutive int          `json:"consecutive"`
	Persistence int          `json:"persistence"`
	Summary     string       `json:"summary"`
	*drift.Report
}

// driftStatus answers GET /v2/models/{m}[/versions/{v}]/drift.
func (s *Server) driftStatus(c *gin.Context) {
	m, err := s.model(c.Param("model"), c.Param("version"))
	if err != nil {
		s.writeError(c, protoV2, err)
		return
	}
	defer m.release()
	if m.monitor == nil {
		s.writeError(c, protoV2, noMonitorError(m))
		return
	}
	mon := m.monitor
	resp := driftResponse{Model: m.Name, Version: m.Version, Window: mon.Current(), History: mon.History()}
	for _, f := range mon.Reference().Features {
		rf := referenceFeature{Name: f.Name, Kind: f.Kind, Count: f.Count, Nulls: f.Nulls}
		if n := f.Numeric; n != nil && f.Count > 0 {
			rf.Min, rf.Max, rf.Mean = &n.Min, &n.Max, &n.Mean
			rf.Bins = len(n.Counts)
		}
		if cs := f.Categorical; cs != nil {
			rf.Categories = len(cs.Categories)
		}
		resp.Reference.Features = append(resp.Reference.Features, rf)
	}
	if last := mon.Last(); last != nil {
		resp.Last = &lastWindow{Window: last.Window, Start: last.Start, End: last.End, Rows: last.Rows, Report: last.Report,
			Status: last.Status, Verdict: last.Verdict, Consecutive: last.Consecutive, Persistence: last.Persistence, Summary: last.Summary()}
	}
	c.JSON(http.StatusOK, resp)
}

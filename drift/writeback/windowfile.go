package writeback

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
)

// WindowArtifact is where, in the monitoring run's artifacts, the latest
// drift window's full comparison ([WindowFile]) is kept; each window
// overwrites it.
const WindowArtifact = "drift/window.json"

// WindowFile is the JSON of [WindowArtifact]: a closed drift window with
// each feature's statistics and the bin or category counts they were
// computed from.
type WindowFile struct {
	Model   string `json:"model"`
	Version string `json:"version"`
	Window  int64  `json:"window"`
	Start   string `json:"start"` // RFC 3339, UTC
	End     string `json:"end"`
	Rows    int64  `json:"rows"`
	// Status is the model's status after the window (drift.Persist),
	// Verdict the window's own; Consecutive counts the drifting windows
	// in a row, Persistence the number drift needs; Summary says it all
	// in one line.
	Status      drift.Status `json:"status"`
	Verdict     drift.Status `json:"verdict"`
	Consecutive int          `json:"consecutive"`
	Persistence int          `json:"persistence"`
	Summary     string       `json:"summary"`
	// Thresholds are those the window was judged by; nil without a
	// report.
	Thresholds *WindowThresholds   `json:"thresholds"`
	Features   []WindowFileFeature `json:"features"`
}

// WindowThresholds are the thresholds of a [WindowFile] (see
// [drift.Thresholds]).
type WindowThresholds struct {
	PSIWarning float64 `json:"psi_warning"`
	PSIDrift   float64 `json:"psi_drift"`
	KSPValue   float64 `json:"ks_pvalue"`
	JSDistance float64 `json:"js_distance"`
	JSMinCount int64   `json:"js_min_count"`
	Chi2PValue float64 `json:"chi2_pvalue"`
	// Wasserstein is the normed Wasserstein distance from which a large
	// sample's numeric feature may drift.
	Wasserstein float64 `json:"wasserstein"`
	DriftShare  float64 `json:"drift_share"`
}

// WindowFileFeature is one input feature or output column of a
// [WindowFile]. A statistic that does not apply is null.
type WindowFileFeature struct {
	Feature    string       `json:"feature"`
	Kind       drift.Kind   `json:"kind"`
	Output     bool         `json:"output"`
	Status     drift.Status `json:"status"`
	Drifted    bool         `json:"drifted"`
	PSI        *float64     `json:"psi"`
	KSPValue   *float64     `json:"ks_pvalue"`
	JSDistance *float64     `json:"js_distance"`
	Chi2PValue *float64     `json:"chi2_pvalue"`
	// KSPAdjusted and Chi2PAdjusted are adjusted by Benjamini–Hochberg.
	KSPAdjusted   *float64 `json:"ks_pvalue_adjusted"`
	Chi2PAdjusted *float64 `json:"chi2_pvalue_adjusted"`
	Wasserstein   *float64 `json:"wasserstein"`
	// Labels names each bin or category; Reference and Current count
	// the reference's and the window's rows in each.
	Labels    []string `json:"labels"`
	Reference []int64  `json:"reference"`
	Current   []int64  `json:"current"`
}

// NewWindowFile returns the [WindowFile] of w, a window of model's
// version: one feature per element of w.Report.Features, in order (none
// when w has no report).
func NewWindowFile(model, version string, w drift.WindowResult) WindowFile {
	wf := WindowFile{Model: model, Version: version, Window: w.Window,
		Start: w.Start.UTC().Format(time.RFC3339), End: w.End.UTC().Format(time.RFC3339),
		Rows: w.Rows, Status: w.Status, Verdict: w.Verdict, Consecutive: w.Consecutive, Persistence: w.Persistence,
		Summary: w.Summary(), Features: []WindowFileFeature{}}
	if w.Report == nil {
		return wf
	}
	th := w.Report.Thresholds
	wf.Thresholds = &WindowThresholds{PSIWarning: th.PSIWarning, PSIDrift: th.PSIDrift, KSPValue: th.KSPValue,
		JSDistance: th.JSDistance, JSMinCount: th.JSMinCount, Chi2PValue: th.Chi2PValue, Wasserstein: th.Wasserstein, DriftShare: th.DriftShare}
	for _, f := range w.Report.Features {
		wf.Features = append(wf.Features, WindowFileFeature{
			Feature: f.Feature, Kind: f.Kind, Output: f.Output, Status: f.Status, Drifted: f.Drifted,
			PSI: finite(f.PSI), KSPValue: finite(f.KSPValue), JSDistance: finite(f.JSDistance), Chi2PValue: finite(f.Chi2PValue),
			KSPAdjusted: finite(f.KSPAdjusted), Chi2PAdjusted: finite(f.Chi2PAdjusted), Wasserstein: finite(f.Wasserstein),
			Labels:    orEmpty(f.Labels),
			Reference: orEmpty(f.Reference),
			Current:   orEmpty(f.Current),
		})
	}
	return wf
}

// finite returns a copy of v, nil when v is nil, NaN or infinite (JSON
// has no number for those).
func finite(v *float64) *float64 {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return nil
	}
	c := *v
	return &c
}

// orEmpty makes a nil slice an empty one, so it is written as [] rather
// than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// uploadWindow writes wf as the run's [WindowArtifact], replacing the
// previous one.
func (wr *Writer) uploadWindow(ctx context.Context, run monitoringRun, wf WindowFile) error {
	root, err := mlflowrest.ArtifactProxyPath(run.artifactURI)
	if err != nil {
		return err
	}
	b, err := json.Marshal(wf)
	if err != nil {
		return err
	}
	return wr.c.PutArtifact(ctx, root+"/"+WindowArtifact, bytes.NewReader(b))
}

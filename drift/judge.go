package drift

import (
	"fmt"
	"time"
)

// A window's verdict: what one closed window (live, or a period merged
// from replicas) is judged to be, and the one function that judges it.

// WindowResult is the outcome of one closed window.
type WindowResult struct {
	Window int64     `json:"window"` // 1 for the first window
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Rows   int64     `json:"rows"`
	// Status is the model's status after this window by [Persist]: drift
	// once Persistence windows in a row drifted. Metrics, alerts,
	// write-back and the pages show it.
	Status Status `json:"status"`
	// Verdict is the window's own status, as its Report's.
	Verdict Status `json:"verdict"`
	// Consecutive counts the drifting windows in a row ending here;
	// Persistence is the number the status needs to drift.
	Consecutive int            `json:"consecutive"`
	Persistence int            `json:"persistence"`
	Features    []FeatureScore `json:"features"`
	// Report is the full comparison of the window with the reference.
	Report *Report `json:"-"`
}

// FeatureScore is one feature's statistics in a window; a statistic that
// does not apply is nil.
type FeatureScore struct {
	Feature string   `json:"feature"`
	PSI     *float64 `json:"psi"`
	KS      *float64 `json:"ks"`
	JS      *float64 `json:"js"`
	Chi2    *float64 `json:"chi2"`
	// Wasserstein is the normed Wasserstein distance; KSPAdjusted and
	// Chi2PAdjusted the p-values adjusted by Benjamini–Hochberg.
	Wasserstein   *float64 `json:"wasserstein,omitempty"`
	KSPAdjusted   *float64 `json:"ks_pvalue_adjusted,omitempty"`
	Chi2PAdjusted *float64 `json:"chi2_pvalue_adjusted,omitempty"`
	Drifted       bool     `json:"drifted"`
	Status        Status   `json:"status"`
	Output        bool     `json:"output,omitempty"`
}

// Summary says the window's status and the rule behind it in one line,
// such as "drift: 3 of 13 features after Benjamini–Hochberg at q=0.05, 2
// consecutive windows (drift from 2)".
func (w *WindowResult) Summary() string {
	if w.Report == nil {
		return string(w.Status)
	}
	s := w.Report.Summary()
	if i := len(w.Report.Status); w.Status != w.Report.Status {
		s = string(w.Status) + s[i:]
	}
	win := "windows"
	if w.Consecutive == 1 {
		win = "window"
	}
	return s + fmt.Sprintf(", %d consecutive drifting %s (drift from %d)", w.Consecutive, win, max(w.Persistence, 1))
}

// Persist carries the alert state from one window to the next: given a
// window's verdict, the number of drifting windows in a row before it,
// and the number an alert needs, it returns the window's status and the
// new count. The status is drift once persistence windows in a row
// drifted; a drifting window short of that warns. The live monitor, and
// through it the metrics, alerts, write-back and pages, decide with it.
func Persist(verdict Status, consecutive, persistence int) (Status, int) {
	if verdict != StatusDrift {
		return verdict, 0
	}
	consecutive++
	if consecutive >= max(persistence, 1) {
		return StatusDrift, consecutive
	}
	return StatusWarning, consecutive
}

// Judge compares counts (a window, or a period merged from replicas) with
// ref by [Compare] and carries the decision on by [Persist] from the
// consecutive drifting windows before it: the result's Status, Verdict,
// Consecutive, Persistence, Features and Report are set; its Window,
// Start, End and Rows are left for the caller. Every window berth judges,
// live or merged, is judged by it.
func Judge(ref, counts *Profile, th Thresholds, consecutive, persistence int) (WindowResult, error) {
	rep, err := Compare(ref, counts, th)
	if err != nil {
		return WindowResult{}, err
	}
	res := WindowResult{Report: rep, Verdict: rep.Status, Persistence: persistence}
	res.Status, res.Consecutive = Persist(rep.Status, consecutive, persistence)
	res.Features = make([]FeatureScore, len(rep.Features))
	for i, f := range rep.Features {
		res.Features[i] = FeatureScore{Feature: f.Feature, PSI: f.PSI, KS: f.KSStatistic, JS: f.JSDistance,
			Chi2: f.Chi2, Wasserstein: f.Wasserstein, KSPAdjusted: f.KSPAdjusted, Chi2PAdjusted: f.Chi2PAdjusted,
			Drifted: f.Drifted, Status: f.Status, Output: f.Output}
	}
	return res, nil
}

// DefaultPersistence is the number of consecutive drifting windows the
// live monitor needs before a model's status is drift.
const DefaultPersistence = 2

package chart

import (
	"math"

	"github.com/berthml/berth/drift"
)

// FeatureHistogram is the histogram of one feature of a drift report or
// window: its reference and current counts per bin; currentName names the
// current bars ("window 3"; "current" when empty).
func FeatureHistogram(f drift.FeatureResult, currentName string) Histogram {
	return Histogram{Feature: f.Feature, Labels: f.Labels, Reference: f.Reference, Current: f.Current, CurrentName: currentName}
}

// FeatureTimeline is the timeline of the PSI, KS statistic and JS
// distance of the nth feature named feature (nth counts from 0: a model's
// inputs and outputs may share a name, and the monitor lists them in the
// same order in every window) over windows, oldest first, against th's
// PSI warning and drift thresholds.
func FeatureTimeline(feature string, nth int, windows []drift.WindowResult, th drift.Thresholds) Timeline {
	n := len(windows)
	ws, status := make([]int64, n), make([]string, n)
	psi, ks, js := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range windows {
		ws[i] = windows[i].Window
		js[i], ks[i], psi[i] = Missing, Missing, Missing
		if f := scoreOf(&windows[i], feature, nth); f != nil {
			status[i] = string(f.Status)
			js[i], ks[i], psi[i] = value(f.JS), value(f.KS), value(f.PSI)
		}
	}
	return DriftTimeline(feature, ws, status, psi, ks, js, th.PSIWarning, th.PSIDrift)
}

// DriftTimeline is the timeline of a feature's PSI, KS statistic and JS
// distance (one value per window, [Missing] where there is none; a nil
// slice draws no series) against the PSI warning and drift thresholds
// (zero draws none): the series, names and colours of every drift
// timeline, the web UI's included.
func DriftTimeline(feature string, windows []int64, status []string, psi, ks, js []float64, psiWarning, psiDrift float64) Timeline {
	t := Timeline{Feature: feature, Windows: windows, Status: status,
		Thresholds: []Threshold{{"PSI warning", "warning", psiWarning}, {"PSI drift", "drift", psiDrift}}}
	// PSI last, on top.
	for _, s := range []Series{
		{Name: "JS", Class: "js", Color: ColorJS, Dash: "5 3", Values: js},
		{Name: "KS D", Class: "ks", Color: ColorKS, Values: ks},
		{Name: "PSI", Class: "psi", Color: ColorPSI, Values: psi},
	} {
		if s.Values != nil {
			t.Series = append(t.Series, s)
		}
	}
	return t
}

// value is *p, or Missing when p is nil.
func value(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// scoreOf returns the nth (from 0) score of w named feature, or nil.
func scoreOf(w *drift.WindowResult, feature string, nth int) *drift.FeatureScore {
	for j := range w.Features {
		if f := &w.Features[j]; f.Feature == feature {
			if nth == 0 {
				return f
			}
			nth--
		}
	}
	return nil
}

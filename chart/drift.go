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
	t := Timeline{Feature: feature, Windows: make([]int64, len(windows)), Status: make([]string, len(windows)),
		Thresholds: []Threshold{{"PSI warning", "warning", th.PSIWarning}, {"PSI drift", "drift", th.PSIDrift}}}
	js := Series{Name: "JS", Class: "js", Color: ColorJS, Dash: "5 3", Values: make([]float64, len(windows))}
	ks := Series{Name: "KS D", Class: "ks", Color: ColorKS, Values: make([]float64, len(windows))}
	psi := Series{Name: "PSI", Class: "psi", Color: ColorPSI, Values: make([]float64, len(windows))}
	for i := range windows {
		t.Windows[i] = windows[i].Window
		js.Values[i], ks.Values[i], psi.Values[i] = Missing, Missing, Missing
		if f := scoreOf(&windows[i], feature, nth); f != nil {
			t.Status[i] = string(f.Status)
			js.Values[i], ks.Values[i], psi.Values[i] = value(f.JS), value(f.KS), value(f.PSI)
		}
	}
	t.Series = []Series{js, ks, psi} // PSI last, on top
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

package drift

// WindowFeatures lists the features of a window to show, with the last window's
// statistics and counts: those of its report when it has one, else of its
// scores with the reference's counts. Before any window closes they are
// the reference's features (and outputs) with no current counts. The
// drift pages (package chart) draw one section per feature it returns.
func WindowFeatures(ref *Profile, last *WindowResult) []FeatureResult {
	if last != nil && last.Report != nil {
		return last.Report.Features
	}
	seen := map[string]int{}
	refResult := func(name string) FeatureResult { // the next feature of ref named name
		fr := FeatureResult{Feature: name}
		nth := seen[name]
		seen[name]++
		if ref == nil {
			return fr
		}
		for i, f := range append(append([]Feature(nil), ref.Features...), ref.Outputs...) {
			if f.Name != name {
				continue
			}
			if nth > 0 {
				nth--
				continue
			}
			fr.Kind, fr.Output = f.Kind, i >= len(ref.Features)
			switch {
			case f.Numeric != nil:
				fr.Labels, fr.Reference = binLabels(f.Numeric.Edges), f.Numeric.Counts
			case f.Categorical != nil:
				fr.Labels = append([]string(nil), f.Categorical.Categories...)
				fr.Reference = append([]int64(nil), f.Categorical.Counts...)
				if f.Categorical.Other > 0 {
					fr.Labels, fr.Reference = append(fr.Labels, OtherCategory), append(fr.Reference, f.Categorical.Other)
				}
			}
			break
		}
		return fr
	}
	var out []FeatureResult
	if last != nil {
		for _, s := range last.Features {
			fr := refResult(s.Feature)
			fr.PSI, fr.KSStatistic, fr.JSDistance, fr.Chi2 = s.PSI, s.KS, s.JS, s.Chi2
			fr.Wasserstein, fr.KSPAdjusted, fr.Chi2PAdjusted = s.Wasserstein, s.KSPAdjusted, s.Chi2PAdjusted
			fr.Drifted, fr.Status, fr.Output = s.Drifted, s.Status, s.Output
			out = append(out, fr)
		}
		return out
	}
	if ref != nil {
		for _, fs := range [][]Feature{ref.Features, ref.Outputs} {
			for _, f := range fs {
				out = append(out, refResult(f.Name))
			}
		}
	}
	return out
}

// RuleText explains the decision rule in one paragraph of the report and
// the live page.
const RuleText = `A numeric feature is tested by Kolmogorov–Smirnov and by chi-squared on its bins, a categorical one by chi-squared;
the p-values of all input features are adjusted together by Benjamini–Hochberg, and a feature drifts when an adjusted p-value is below q.
From the large-sample size on, it must also have moved by a normed Wasserstein distance, a Jensen–Shannon distance or a PSI above its threshold;
smaller significant changes warn. PSI is computed on bins merged to the sample size.`

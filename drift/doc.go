// Package drift builds reference profiles of a model's input features and
// compares a current window of data against them.
//
// A [Profile] holds, per feature, mergeable summary statistics: for numeric
// features the count, nulls, min, max, mean, population variance and a
// histogram over bin edges taken from the reference data (equal-frequency
// bins from its quantiles, plus an underflow and an overflow bin); for
// categorical features the frequencies of the reference's top-k categories
// plus an "other" bucket. A current window is profiled against the
// reference ([WithReference]) so that both share the same bins, and
// [Compare] computes per-feature PSI, two-sample Kolmogorov–Smirnov,
// chi-squared, normed Wasserstein and Jensen–Shannon statistics from them
// and decides by one rule: the p-values of all input features adjusted
// together by Benjamini–Hochberg, a distance required from 1,000 values a
// side, PSI on bins merged to the sample size. [Persist] carries the
// decision across a [Monitor]'s windows; everything that shows a drift
// status (reports, metrics, alerts, write-back, pages) shows theirs.
// [Judge] is the two together; a [Monitor] with [WithPeriod] also counts
// rows by wall-clock period ([PeriodOf]) so that replicas' counts of one
// period can be summed ([MergePeriods]) and judged once.
//
// Features of a model whose inputs are tensors carry a [Source] naming the
// tensor column, or the per-sample channel summary of an image or
// sequence, that feeds them (see [TensorInputs], [TensorColumns] and
// [SummaryColumns]).
//
// All statistics work on the binned representation, so the KS statistic is
// the largest CDF gap at the bin edges: a lower bound on the KS statistic
// of the raw samples, and equal to it whenever the raw gap is largest at a
// bin edge. The testdata/drift goldens show the gap on realistic data.
package drift

package evaluate

import "github.com/berthml/berth/internal/numpy"

// Floating-point reductions in the order numpy performs them, so that results
// match scikit-learn's to the last bit where the inputs allow.

// mean is np.mean / np.average without weights.
func mean(a []float64) float64 { return numpy.Mean(a) }

// weightedAverage is np.average(a, weights=w): sum(a*w) / sum(w).
func weightedAverage(a, w []float64) float64 {
	prod := make([]float64, len(a))
	for i := range a {
		prod[i] = a[i] * w[i]
	}
	return numpy.PairwiseSum(prod) / numpy.PairwiseSum(w)
}

// trapz is np.trapz(y, x): sum(diff(x) * (y[1:] + y[:-1]) / 2.0).
func trapz(y, x []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	terms := make([]float64, len(x)-1)
	for i := range terms {
		terms[i] = (x[i+1] - x[i]) * (y[i+1] + y[i]) / 2.0
	}
	return numpy.PairwiseSum(terms)
}

// auc is sklearn.metrics.auc: the trapezoidal area under y(x), for x
// monotonic in either direction. ok is false where sklearn raises (fewer than
// two points, or x neither increasing nor decreasing).
func auc(x, y []float64) (area float64, ok bool) {
	if len(x) < 2 {
		return 0, false
	}
	direction := 1.0
	anyNeg, allNonPos := false, true
	for i := 1; i < len(x); i++ {
		d := x[i] - x[i-1]
		if d < 0 {
			anyNeg = true
		}
		if d > 0 {
			allNonPos = false
		}
	}
	if anyNeg {
		if !allNonPos {
			return 0, false
		}
		direction = -1
	}
	return direction * trapz(y, x), true
}

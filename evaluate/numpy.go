package evaluate

// Floating-point reductions in the order numpy performs them, so that results
// match scikit-learn's to the last bit where the inputs allow.

// pwBlock is numpy's PW_BLOCKSIZE.
const pwBlock = 128

// pairwiseSum is numpy's pairwise summation (numpy/core/src/umath/loops_utils.h,
// pairwise_sum): sequential below 8 values, eight accumulators up to 128, and
// halves (on a multiple of 8) above. np.sum and np.mean of a float64 array use it.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		res := 0.0
		for _, v := range a {
			res += v
		}
		return res
	case n <= pwBlock:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			r[0] += a[i+0]
			r[1] += a[i+1]
			r[2] += a[i+2]
			r[3] += a[i+3]
			r[4] += a[i+4]
			r[5] += a[i+5]
			r[6] += a[i+6]
			r[7] += a[i+7]
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
	}
}

// mean is np.mean / np.average without weights.
func mean(a []float64) float64 { return pairwiseSum(a) / float64(len(a)) }

// weightedAverage is np.average(a, weights=w): sum(a*w) / sum(w).
func weightedAverage(a, w []float64) float64 {
	prod := make([]float64, len(a))
	for i := range a {
		prod[i] = a[i] * w[i]
	}
	return pairwiseSum(prod) / pairwiseSum(w)
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
	return pairwiseSum(terms)
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

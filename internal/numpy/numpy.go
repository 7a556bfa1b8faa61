// Package numpy holds floating-point reductions computed in the order numpy
// computes them, so that berth's figures match scikit-learn's and MLflow's to
// the last bit where the inputs allow. Conversions such as float64(x*y) are
// deliberate: they keep the compiler from fusing a multiply and an add, which
// numpy does not do.
package numpy

import (
	"math"
	"slices"
)

// pwBlock is numpy's PW_BLOCKSIZE.
const pwBlock = 128

// PairwiseSum is numpy's pairwise summation (numpy/core/src/umath/loops_utils.h,
// pairwise_sum): sequential below 8 values, eight accumulators up to 128, and
// halves (on a multiple of 8) above. np.sum and np.mean of a float64 array use it.
func PairwiseSum(a []float64) float64 {
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
		return PairwiseSum(a[:n2]) + PairwiseSum(a[n2:])
	}
}

// Mean is np.mean / np.average without weights.
func Mean(a []float64) float64 { return PairwiseSum(a) / float64(len(a)) }

// Var is np.var (ddof 0): the mean of the squared deviations, both sums
// pairwise.
func Var(a []float64) float64 {
	m := Mean(a)
	d := make([]float64, len(a))
	for i, v := range a {
		x := v - m
		d[i] = float64(x * x)
	}
	return PairwiseSum(d) / float64(len(a))
}

// Percentile is np.percentile(a, q) with the default linear method,
// computed as numpy 1.22+ does (virtual index, then its _lerp).
func Percentile(a []float64, q float64) float64 {
	s := append([]float64(nil), a...)
	slices.Sort(s)
	n := len(s)
	q = q / 100
	vi := float64(float64(float64(n)*q)+(1+float64(q*(1-1-1)))) - 1
	prev := math.Floor(vi)
	gamma := vi - prev
	lo := int(min(max(prev, 0), float64(n-1)))
	hi := int(min(max(prev+1, 0), float64(n-1)))
	a0, b0 := s[lo], s[hi]
	diff := b0 - a0
	if gamma >= 0.5 {
		return b0 - float64(diff*(1-gamma))
	}
	return a0 + float64(diff*gamma)
}

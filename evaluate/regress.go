package evaluate

import (
	"math"

	"github.com/berthml/berth/internal/numpy"
)

// float64 machine epsilon: sklearn's MAPE floor (np.finfo(np.float64).eps).
const eps64 = 0x1p-52

// Regress evaluates a regressor's predictions: MLflow's _get_regressor_metrics
// (example_count, mean_absolute_error, mean_squared_error,
// root_mean_squared_error, sum_on_target, mean_on_target, r2_score, max_error,
// mean_absolute_percentage_error).
//
// r2_score follows sklearn's force_finite rule: 1 for a perfect fit, 0 for an
// imperfect fit of a constant target. With a single row it is left out (sklearn
// answers NaN). mean_absolute_percentage_error divides by max(|y|, eps) as
// sklearn does, so a zero target gives a huge but finite term.
func Regress(yTrue, yPred []float64) (*Result, error) {
	n := len(yTrue)
	if n == 0 {
		return nil, inputErr(ErrEmpty, "y_true", "no rows to evaluate")
	}
	if len(yPred) != n {
		return nil, inputErr(ErrLength, "y_pred", "%d predictions for %d targets", len(yPred), n)
	}
	for i := range n {
		if !isFinite(yTrue[i]) {
			return nil, inputErr(ErrNonFinite, "y_true", "row %d: target is %v", i, yTrue[i])
		}
		if !isFinite(yPred[i]) {
			return nil, inputErr(ErrNonFinite, "y_pred", "row %d: prediction is %v", i, yPred[i])
		}
	}
	absErr := make([]float64, n)
	sqErr := make([]float64, n)
	pctErr := make([]float64, n)
	maxErr := 0.0
	for i := range n {
		d := yTrue[i] - yPred[i]
		absErr[i] = math.Abs(yPred[i] - yTrue[i])
		sqErr[i] = d * d
		pctErr[i] = absErr[i] / math.Max(math.Abs(yTrue[i]), eps64)
		maxErr = math.Max(maxErr, math.Abs(d))
	}
	// MLflow: sum(y), Python's left-to-right sum.
	sum := 0.0
	for _, y := range yTrue {
		sum += y
	}
	mse := mean(sqErr)

	r := &Result{ModelType: Regressor}
	r.set("example_count", float64(n))
	r.set("mean_absolute_error", mean(absErr))
	r.set("mean_squared_error", mse)
	r.set("root_mean_squared_error", math.Sqrt(mse))
	r.set("sum_on_target", sum)
	r.set("mean_on_target", sum/float64(n))
	if n < 2 {
		r.warnf("r2_score left out: R² is not defined for a single row (sklearn answers NaN)")
	} else {
		r.set("r2_score", r2(yTrue, sqErr))
	}
	r.set("max_error", maxErr)
	r.set("mean_absolute_percentage_error", mean(pctErr))
	return r, nil
}

// r2 is sklearn.metrics.r2_score with force_finite=True.
func r2(yTrue, sqErr []float64) float64 {
	num := numpy.PairwiseSum(sqErr)
	m := mean(yTrue)
	dev := make([]float64, len(yTrue))
	for i, y := range yTrue {
		dev[i] = (y - m) * (y - m)
	}
	den := numpy.PairwiseSum(dev)
	switch {
	case num == 0:
		return 1
	case den == 0:
		return 0
	}
	return 1 - num/den
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

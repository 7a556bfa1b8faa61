package evaluate

import (
	"cmp"
	"math"
	"slices"
	"strconv"
)

// Labels returns the distinct labels of sets in the order np.unique gives them:
// by value when every label is a finite number (the CSV column or the model
// output was numeric), else by code point. Two spellings of one number ("1" and
// "1.0") are an error: MLflow would see one class, berth cannot tell which text
// to keep.
func Labels(sets ...[]string) ([]string, error) {
	seen := map[string]bool{}
	var labels []string
	for _, set := range sets {
		for _, l := range set {
			if !seen[l] {
				seen[l] = true
				labels = append(labels, l)
			}
		}
	}
	nums := make(map[string]float64, len(labels))
	numeric := true
	for _, l := range labels {
		v, err := strconv.ParseFloat(l, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			numeric = false
			break
		}
		nums[l] = v
	}
	if !numeric {
		slices.Sort(labels)
		return labels, nil
	}
	slices.SortFunc(labels, func(a, b string) int {
		if c := cmp.Compare(nums[a], nums[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for i := 1; i < len(labels); i++ {
		if nums[labels[i]] == nums[labels[i-1]] {
			return nil, inputErr(ErrLabel, "labels", "%q and %q are the same number; write labels the same way in the targets and the predictions", labels[i-1], labels[i])
		}
	}
	return labels, nil
}

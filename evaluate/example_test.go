package evaluate_test

import (
	"fmt"

	"github.com/berthml/berth/evaluate"
)

func ExampleClassify() {
	yTrue := []string{"0", "0", "1", "1", "1", "0"}
	yPred := []string{"0", "1", "1", "1", "0", "0"}
	proba := [][]float64{{0.8, 0.2}, {0.4, 0.6}, {0.3, 0.7}, {0.1, 0.9}, {0.6, 0.4}, {0.7, 0.3}}
	r, err := evaluate.Classify(yTrue, yPred, proba, []string{"0", "1"}, "")
	if err != nil {
		panic(err)
	}
	for _, name := range r.MetricNames() {
		fmt.Printf("%s %.4f\n", name, r.Metrics[name])
	}
	// Output:
	// true_negatives 2.0000
	// false_positives 1.0000
	// false_negatives 1.0000
	// true_positives 2.0000
	// example_count 6.0000
	// accuracy_score 0.6667
	// recall_score 0.6667
	// precision_score 0.6667
	// f1_score 0.6667
	// log_loss 0.4791
	// roc_auc 0.8889
	// precision_recall_auc 0.9167
}

func ExampleRegress() {
	r, err := evaluate.Regress([]float64{3, -0.5, 2, 7}, []float64{2.5, 0.0, 2, 8})
	if err != nil {
		panic(err)
	}
	for _, name := range r.MetricNames() {
		fmt.Printf("%s %.4f\n", name, r.Metrics[name])
	}
	// Output:
	// example_count 4.0000
	// mean_absolute_error 0.5000
	// mean_squared_error 0.3750
	// root_mean_squared_error 0.6124
	// sum_on_target 11.5000
	// mean_on_target 2.8750
	// r2_score 0.9486
	// max_error 1.0000
	// mean_absolute_percentage_error 0.3274
}

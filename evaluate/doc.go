// Package evaluate computes MLflow's default evaluation metrics for a model's
// predictions, the curves behind them, and the artifacts MLflow logs with them.
//
// The metrics follow MLflow 2.x's built-in classifier and regressor
// evaluators (mlflow/models/evaluation/default_evaluator.py and, from 2.15,
// evaluators/classifier.py and regressor.py), which call scikit-learn; the
// numbers are computed the way scikit-learn 1.2 computes them, down to the
// summation order where it matters, and the tests match them to sklearn's own
// results (testdata/evaluate/golden.json).
//
// Classify takes labels as text and, optionally, class probabilities;
// Regress takes numbers. Both return a Result holding the metrics under
// MLflow's names, and WriteArtifacts writes per_class_metrics.csv,
// confusion_matrix.png, roc_curve_plot.png and precision_recall_curve_plot.png
// as they apply.
//
// Model runs a loaded model over labelled data (CSV or JSON Lines) in
// batches, through the decoder berth serve uses, picks the outputs that
// hold its labels, probabilities or values, and evaluates them against the
// target column that ReadTarget reads.
//
// Every value in Result.Metrics is a number: where scikit-learn would raise or
// answer NaN (a ROC AUC with one class present, an R² of one row), the metric
// is left out and Result.Warnings says why.
package evaluate

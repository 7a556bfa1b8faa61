#!/usr/bin/python3
"""Make the goldens for berth's evaluate package: predictions and the metrics
MLflow's default evaluator computes on them with scikit-learn.

Run from the repository root with Debian's interpreter (python3-sklearn 1.2.1,
python3-numpy, python3-onnx):

    /usr/bin/python3 testdata/evaluate/make_golden.py

Writes testdata/evaluate/golden.json. Everything is seeded or read from the
committed fixtures, so reruns give the same file.

The metric code below restates MLflow 2.x's built-in evaluator
(mlflow/models/evaluation/default_evaluator.py, from 2.15 also
evaluators/classifier.py and regressor.py): _get_binary_classifier_metrics,
_get_multiclass_classifier_metrics, _get_common_classifier_metrics,
_get_classifier_per_class_metrics_collection_df, _gen_classifier_curve and
_get_regressor_metrics, with the label_list rule of _validate_label_list
(sorted np.unique(y_true ∪ y_pred), positive label last; pos_label defaults to
the last label). MLflow itself is not packaged for Debian, so its calls are
copied, not imported; every number comes from sklearn.metrics.

Where berth departs from MLflow (documented in evaluate/classify.go):
  - a binary problem's ROC and PR curves score the positive label's own
    probability column (MLflow takes column 1 whatever pos_label is; the two
    agree for the default pos_label);
  - the model's classes join the label list when probabilities are given.
None of the cases below exercise a difference except "binary_pos_label_0",
whose curves are computed on the positive label's column.

Case format (all labels as strings, as berth sees them):
  {"name", "model_type", "y_true", "y_pred", "proba" (null or rows),
   "classes" (null or the proba columns' labels), "pos_label" ("" = default),
   "metrics": {MLflow name: value}, "labels", "confusion",
   "per_class": [per_class_metrics.csv rows], "roc"/"pr": [{"label", "x", "y", "auc"}]}
Regressor cases hold numbers in y_true / y_pred and only "metrics".
Fixture cases ("fixture": model directory, "data": CSV) hold the predictions
the committed ONNX model makes, evaluated with numpy in the graph's float32
precision (the same math make_fixtures.py checks against sklearn); their
probabilities are float32 values widened to float64.
"""

import json
import os
import warnings

import numpy as np
import onnx
import pandas as pd
import sklearn
from onnx import numpy_helper
from sklearn import metrics as sk_metrics

HERE = os.path.dirname(os.path.abspath(__file__))  # .../testdata/evaluate
TESTDATA = os.path.dirname(HERE)
MAX_CLASSES_FOR_MULTICLASS_ROC_PR = 10


# ---------------------------------------------------------------------------
# MLflow's evaluator, restated


def binary_sum_up(positive_class_index, positive_class, y, y_pred, y_probs):
    # _get_binary_sum_up_label_pred_prob
    y_bin = np.where(np.array(y) == positive_class, 1, 0)
    y_pred_bin = None if y_pred is None else np.where(np.array(y_pred) == positive_class, 1, 0)
    y_prob_bin = None if y_probs is None else np.array(y_probs)[:, positive_class_index]
    return y_bin, y_pred_bin, y_prob_bin


def common_classifier_metrics(y_true, y_pred, y_proba, labels, average, pos_label):
    m = {
        "example_count": len(y_true),
        "accuracy_score": sk_metrics.accuracy_score(y_true, y_pred),
        "recall_score": sk_metrics.recall_score(y_true, y_pred, average=average, pos_label=pos_label),
        "precision_score": sk_metrics.precision_score(y_true, y_pred, average=average,
                                                      pos_label=pos_label),
        "f1_score": sk_metrics.f1_score(y_true, y_pred, average=average, pos_label=pos_label),
    }
    if y_proba is not None:
        m["log_loss"] = sk_metrics.log_loss(y_true, y_proba, labels=labels)
    return m


def binary_classifier_metrics(y_true, y_pred, y_proba=None, labels=None, pos_label=1):
    tn, fp, fn, tp = sk_metrics.confusion_matrix(y_true, y_pred).ravel()
    return {"true_negatives": tn, "false_positives": fp, "false_negatives": fn,
            "true_positives": tp,
            **common_classifier_metrics(y_true, y_pred, y_proba, labels, "binary", pos_label)}


def multiclass_classifier_metrics(y_true, y_pred, y_proba, labels):
    m = common_classifier_metrics(y_true, y_pred, y_proba, labels, "weighted", None)
    if y_proba is not None:
        m["roc_auc"] = sk_metrics.roc_auc_score(y_true=y_true, y_score=y_proba, average="weighted",
                                                multi_class="ovr")
    return m


def label_list(y_true, y_pred, pos_label):
    labels = np.unique(np.concatenate([y_true, y_pred]))
    labels.sort()
    if len(labels) <= 2:
        if pos_label is None:
            pos_label = labels[-1]
        else:
            labels = np.delete(labels, np.where(labels == pos_label))
            labels = np.append(labels, pos_label)
    return labels, pos_label


def curve(y_bin, score, pos_label):
    # _gen_classifier_curve's gen_line_x_y_label_auc for "roc" and "pr"
    fpr, tpr, _ = sk_metrics.roc_curve(y_bin, score, pos_label=pos_label)
    roc_auc = sk_metrics.roc_auc_score(y_true=np.where(y_bin == pos_label, 1, 0), y_score=score)
    precision, recall, _ = sk_metrics.precision_recall_curve(y_bin, score, pos_label=pos_label)
    ap = sk_metrics.average_precision_score(y_true=y_bin, y_score=score, pos_label=pos_label)
    return (fpr, tpr, roc_auc), (recall, precision, ap)


def curve_json(label, x, y, a):
    return {"label": str(label), "x": [float(v) for v in x], "y": [float(v) for v in y],
            "auc": float(a)}


def evaluate_classifier(y_true, y_pred, y_probs=None, pos_label=None):
    """y_probs columns are in sorted label order (the model's classes_)."""
    labels, pos_label = label_list(y_true, y_pred, pos_label)
    out = {"labels": [str(v) for v in labels]}
    if len(labels) == 2:
        out["pos_label"] = str(pos_label)
        m = binary_classifier_metrics(y_true, y_pred, y_probs, labels, pos_label)
        if y_probs is not None:
            pos_col = list(np.sort(labels)).index(pos_label)
            (fpr, tpr, ra), (rec, prec, ap) = curve(np.array(y_true), y_probs[:, pos_col], pos_label)
            m["roc_auc"] = ra
            m["precision_recall_auc"] = ap
            out["roc"] = [curve_json(pos_label, fpr, tpr, ra)]
            out["pr"] = [curve_json(pos_label, rec, prec, ap)]
        out["per_class"] = []
    else:
        m = multiclass_classifier_metrics(y_true, y_pred, y_probs, labels)
        rows = []
        for i, c in enumerate(labels):
            y_bin, y_pred_bin, _ = binary_sum_up(i, c, y_true, y_pred, None)
            row = {"positive_class": str(c)}
            row.update({k: float(v) for k, v in
                        binary_classifier_metrics(y_bin, y_pred_bin, pos_label=1).items()})
            rows.append(row)
        if y_probs is not None and len(labels) <= MAX_CLASSES_FOR_MULTICLASS_ROC_PR:
            out["roc"], out["pr"] = [], []
            for i, c in enumerate(labels):
                y_bin, _, y_prob_bin = binary_sum_up(i, c, y_true, labels, y_probs)
                (fpr, tpr, ra), (rec, prec, ap) = curve(y_bin, y_prob_bin, 1)
                rows[i]["roc_auc"] = float(ra)
                rows[i]["precision_recall_auc"] = float(ap)
                out["roc"].append(curve_json(c, fpr, tpr, ra))
                out["pr"].append(curve_json(c, rec, prec, ap))
        out["per_class"] = rows
    out["metrics"] = {k: float(v) for k, v in m.items()}
    # rows true, columns predicted, in label_list order (positive label last)
    out["confusion"] = sk_metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist()
    return out


def regressor_metrics(y, y_pred):
    # _get_regressor_metrics (sample_weights=None)
    sum_on_target = sum(y)
    return {
        "example_count": len(y),
        "mean_absolute_error": sk_metrics.mean_absolute_error(y, y_pred),
        "mean_squared_error": sk_metrics.mean_squared_error(y, y_pred),
        "root_mean_squared_error": sk_metrics.mean_squared_error(y, y_pred, squared=False),
        "sum_on_target": sum_on_target,
        "mean_on_target": sum_on_target / len(y),
        "r2_score": sk_metrics.r2_score(y, y_pred),
        "max_error": sk_metrics.max_error(y, y_pred),
        "mean_absolute_percentage_error": sk_metrics.mean_absolute_percentage_error(y, y_pred),
    }


# ---------------------------------------------------------------------------
# cases


def classifier_case(name, y_true, y_pred, proba=None, pos_label=None, note=None):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = None
    if proba is not None:
        proba = np.asarray(proba, dtype=np.float64)
        classes = np.unique(np.concatenate([y_true, y_pred]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero_division and friends: sklearn warns, gives 0
        ev = evaluate_classifier(y_true, y_pred, proba, pos_label)
    case = {
        "name": name, "model_type": "classifier",
        "y_true": [str(v) for v in y_true], "y_pred": [str(v) for v in y_pred],
        "proba": None if proba is None else proba.tolist(),
        "classes": None if classes is None else [str(v) for v in classes],
        "pos_label": "" if pos_label is None else str(pos_label),
    }
    if note:
        case["note"] = note
    case.update(ev)
    return case


def regressor_case(name, y_true, y_pred, note=None):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    case = {"name": name, "model_type": "regressor",
            "y_true": y_true.tolist(), "y_pred": y_pred.tolist(),
            "metrics": {k: float(v) for k, v in regressor_metrics(y_true, y_pred).items()}}
    if note:
        case["note"] = note
    return case


def synthetic_cases(rng):
    cases = []

    # Binary 0/1 with scores on a 0.1 grid: many ties, which roc_curve's
    # drop_intermediate and the PR curve must group.
    n = 60
    y = rng.integers(0, 2, n)
    s = np.clip(np.round(0.35 * y + rng.uniform(0, 0.65, n), 1), 0, 1)
    cases.append(classifier_case("binary_ties", y, (s >= 0.5).astype(int),
                                 np.column_stack([1 - s, s])))

    # Same, 300 rows, scores unrounded: numpy's pairwise sums split above 128.
    n = 300
    y = rng.integers(0, 2, n)
    s = 1 / (1 + np.exp(-(1.4 * (2 * y - 1) + rng.normal(0, 1.5, n))))
    cases.append(classifier_case("binary_300", y, (s > 0.5).astype(int),
                                 np.column_stack([1 - s, s])))

    # String labels, default positive label = last sorted ("yes"); probabilities
    # that do not sum to 1 and exact 0 / 1 (log_loss clips and renormalises).
    y = np.array(["no", "yes", "yes", "no", "yes", "no", "no", "yes", "yes", "no", "yes", "no"])
    p_yes = np.array([0.2, 0.9, 1.0, 0.0, 0.6, 0.45, 0.7, 0.3, 0.55, 0.1, 0.8, 0.5])
    p_no = np.array([0.9, 0.2, 0.0, 1.0, 0.5, 0.5, 0.3, 0.8, 0.4, 0.8, 0.1, 0.6])
    pred = np.where(p_yes > p_no, "yes", "no")
    cases.append(classifier_case("binary_strings_unnormalised", y, pred,
                                 np.column_stack([p_no, p_yes])))

    # Positive label 0: precision/recall/f1 of class 0; true_negatives..
    # true_positives stay in sorted label order, as MLflow's ravel() gives them.
    n = 40
    y = rng.integers(0, 2, n)
    s = np.round(np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1), 2)
    cases.append(classifier_case("binary_pos_label_0", y, (s >= 0.5).astype(int),
                                 np.column_stack([1 - s, s]), pos_label=0,
                                 note="curves score column 0, the positive label's"))

    # Binary without probabilities, and with a class never predicted
    # (precision of class 1 is 0/0 -> 0).
    cases.append(classifier_case("binary_labels_only", [0, 1, 1, 0, 1, 0, 0, 1], [0, 1, 0, 0, 1, 1, 0, 1]))
    cases.append(classifier_case("binary_never_predicted", [0, 1, 1, 0, 1, 0, 0, 0], [0] * 8,
                                 note="precision_score and f1_score 0 by zero_division"))

    # Iris-like multiclass with string labels and Dirichlet probabilities.
    names = np.array(["setosa", "versicolor", "virginica"])
    n = 90
    t = rng.integers(0, 3, n)
    alpha = np.ones((n, 3))
    alpha[np.arange(n), t] += 3.0
    proba = np.array([rng.dirichlet(a) for a in alpha])
    cases.append(classifier_case("multiclass_iris_like", names[t], names[proba.argmax(axis=1)], proba))

    # Four numeric classes; class 3 occurs in y_true but is never predicted
    # (zero_division), and 10 sorts after 2 (numeric, not lexical, order).
    labels = np.array([1, 2, 3, 10])
    n = 50
    t = rng.integers(0, 4, n)
    alpha = np.ones((n, 4))
    alpha[np.arange(n), t] += 2.0
    proba = np.array([rng.dirichlet(a) for a in alpha])
    pred_idx = proba.argmax(axis=1)
    pred_idx[pred_idx == 2] = 0  # label 3 never predicted
    cases.append(classifier_case("multiclass_zero_division", labels[t], labels[pred_idx], proba,
                                 note="label 3 is never predicted"))

    # Multiclass without probabilities.
    cases.append(classifier_case("multiclass_labels_only", ["a", "b", "c", "a", "b", "c", "a"],
                                 ["a", "c", "c", "a", "b", "b", "b"]))

    # Twelve classes: roc_auc over all, but no per-class curves (> 10 classes).
    k, n = 12, 240
    t = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
    alpha = np.ones((n, k))
    alpha[np.arange(n), t] += 4.0
    proba = np.array([rng.dirichlet(a) for a in alpha])
    cases.append(classifier_case("multiclass_12_classes", t, proba.argmax(axis=1), proba))

    # Regressors.
    n = 200
    y = np.round(rng.normal(10, 4, n), 1)
    y[::17] = 0.0  # zeros in y_true: MAPE divides by eps
    cases.append(regressor_case("regressor_zeros_in_target", y, y + rng.normal(0, 1.2, n),
                                note="mean_absolute_percentage_error is huge: |err| / eps"))
    y = rng.normal(-3, 2, 150)
    cases.append(regressor_case("regressor_150", y, 0.8 * y + rng.normal(0, 0.5, 150)))
    cases.append(regressor_case("regressor_constant_target", [2.0] * 5, [1.0, 2.0, 3.0, 2.0, 2.5],
                                note="r2_score 0: constant target, imperfect fit"))
    cases.append(regressor_case("regressor_perfect", [1.0, 2.0, 4.0], [1.0, 2.0, 4.0]))
    return cases


# ---------------------------------------------------------------------------
# fixtures: the committed ONNX models' predictions


def initializers(model_dir):
    m = onnx.load(os.path.join(TESTDATA, "models", model_dir, "model.onnx"))
    return {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def linear_classifier_case(model_dir, csv, name):
    df = pd.read_csv(os.path.join(TESTDATA, "data", csv), float_precision="round_trip")
    X = df.drop(columns=["target"]).to_numpy(np.float64)
    w = initializers(model_dir)
    x32 = X.astype(np.float32)
    if "mean" in w:  # breast_cancer_logreg: Sub(mean) -> Div(scale) first
        x32 = (x32 - w["mean"]) / w["scale"]
    logits = x32 @ w["W"] + w["B"]
    proba = softmax(logits).astype(np.float32)
    pred = logits.argmax(axis=1)
    case = classifier_case(name, df["target"].to_numpy(), pred, proba.astype(np.float64))
    case.update({"fixture": "testdata/models/" + model_dir, "data": "testdata/data/" + csv,
                 "target": "target"})
    return case


def fixture_cases():
    cases = [linear_classifier_case("iris_logreg", "iris.csv", "fixture_iris_logreg")]
    if os.path.isdir(os.path.join(TESTDATA, "models", "breast_cancer_logreg")):
        cases.append(linear_classifier_case("breast_cancer_logreg", "breast_cancer.csv",
                                            "fixture_breast_cancer_logreg"))
    df = pd.read_csv(os.path.join(TESTDATA, "data", "diabetes.csv"), float_precision="round_trip")
    X = df.drop(columns=["target"]).to_numpy(np.float64)
    w = initializers("diabetes_linreg")
    pred = (X.astype(np.float32) @ w["W"] + w["B"]).astype(np.float64)[:, 0]
    case = regressor_case("fixture_diabetes_linreg", df["target"].to_numpy(), pred)
    case.update({"fixture": "testdata/models/diabetes_linreg", "data": "testdata/data/diabetes.csv",
                 "target": "target"})
    cases.append(case)
    return cases


def main():
    assert sklearn.__version__ == "1.2.1", "goldens are sklearn 1.2.1's, got " + sklearn.__version__
    rng = np.random.default_rng(20261128)
    golden = {
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__,
                     "onnx": onnx.__version__},
        "cases": synthetic_cases(rng) + fixture_cases(),
    }
    # One case per line: diffs stay readable, the file stays small.
    lines = ['{"versions": %s,' % json.dumps(golden["versions"]), ' "cases": [']
    lines.append(",\n".join("  " + json.dumps(c) for c in golden["cases"]))
    lines.append(" ]}")
    with open(os.path.join(HERE, "golden.json"), "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(lines) + "\n")
    for c in golden["cases"]:
        print("%-34s %s" % (c["name"], ", ".join("%s=%.6g" % kv for kv in c["metrics"].items())))


if __name__ == "__main__":
    main()

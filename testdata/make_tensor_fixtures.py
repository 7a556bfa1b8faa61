#!/usr/bin/python3
"""Write testdata/models/breast_cancer_tensor: a model logged from numpy arrays.

Run from the repository root with Debian's interpreter (see make_fixtures.py,
whose helpers it uses):

    /usr/bin/python3 testdata/make_tensor_fixtures.py

breast_cancer_tensor is the breast cancer classifier of make_fixtures.py
(StandardScaler + LogisticRegression on the 569 rows of sklearn's data set),
with the signature MLflow infers when a model is logged with a numpy input
example: one unnamed tensor input float64 [-1, 30] (no column names), and
its graph computes in float64 throughout, as a model fed numpy float64
arrays would.  The drift tests profile it from testdata/data/breast_cancer.csv,
whose header gives the features their names.  Deterministic: fixed model
uuid and time, like every fixture.
"""

import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (its helpers; its main() does not run)

NAME = "breast_cancer_tensor"
INDEX = 40  # utc_time_created offset, after make_fixtures.py's fixtures


def main():
    bc = load_breast_cancer()
    X = bc.data
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, bc.target)
    scaler, lr = pipe[0], pipe[1]
    assert [int(c) for c in lr.classes_] == [0, 1]
    W = np.stack([np.zeros(X.shape[1]), lr.coef_[0]], axis=1)  # [30, 2]
    B = np.asarray([0.0, lr.intercept_[0]])

    z = (X - scaler.mean_) / scaler.scale_
    _, probs, labels = mf.eval_linear(z, W, B, np.float64)
    err = mf.assert_close(probs, pipe.predict_proba(X), what=NAME + " probabilities")
    assert np.array_equal(labels, pipe.predict(X)), NAME + " labels"
    print("%s: numpy(float64 graph) vs sklearn predict_proba on 569 rows: max abs err %.3g"
          % (NAME, err))

    nodes, inits = mf.linear_classifier_nodes("scaled", W, B, np.float64)
    nodes[:0] = [
        helper.make_node("Sub", ["input", "mean"], ["centred"], name="sub"),
        helper.make_node("Div", ["centred", "scale"], ["scaled"], name="div"),
    ]
    inits += [numpy_helper.from_array(scaler.mean_.astype(np.float64), "mean"),
              numpy_helper.from_array(scaler.scale_.astype(np.float64), "scale")]
    graph = helper.make_graph(
        nodes, NAME,
        [helper.make_tensor_value_info("input", TensorProto.DOUBLE, ["N", X.shape[1]])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.DOUBLE, ["N", 2])],
        initializer=inits)
    rows = X[mf.BREAST_CANCER_ROWS]
    f = mf.Fixture(NAME)
    f.index = INDEX
    f.write(model_proto=mf.make_model(graph),
            sig=mf.signature([mf.tensorspec("float64", [-1, X.shape[1]])],
                             [mf.tensorspec("int64", [-1], "label"),
                              mf.tensorspec("float64", [-1, 2], "probabilities")]),
            example=X[mf.BREAST_CANCER_EXAMPLE_ROWS],
            expected={"inputs": {"input": rows.tolist()},
                      "outputs": {"label": pipe.predict(rows).tolist(),
                                  "probabilities": pipe.predict_proba(rows).tolist()}})
    print("%s: %d bytes" % (NAME, mf.dir_size(f.dir)))


if __name__ == "__main__":
    main()

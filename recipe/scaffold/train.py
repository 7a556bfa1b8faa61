#!/usr/bin/python3
"""Train step of a berth recipe: fit scikit-learn on --data, export the model
to ONNX with onnx.helper (as berth's testdata/make_fixtures.py does: no
skl2onnx), check the graph against sklearn with numpy, and write an MLflow
model directory to $BERTH_RECIPE_OUTPUT/model.

Runs with Debian's /usr/bin/python3 (python3-sklearn, python3-onnx).
Deterministic: fixed random_state, fixed model_uuid and creation time.
"""
import argparse
import csv
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    t = header.index("target")
    cols = [h for i, h in enumerate(header) if i != t]
    X = np.array([[float(v) for i, v in enumerate(r) if i != t] for r in body])
    y = np.array([float(r[t]) for r in body])
    return cols, X, y


def graph(cols, W, B, classifier):
    x = "input"
    inits = [numpy_helper.from_array(W.astype(np.float32), "W"),
             numpy_helper.from_array(B.astype(np.float32), "B")]
    nodes = [helper.make_node("MatMul", [x, "W"], ["z0"]), helper.make_node("Add", ["z0", "B"], ["z"])]
    if classifier:
        k = W.shape[1]
        nodes += [helper.make_node("Softmax", ["z"], ["probabilities"], axis=1),
                  helper.make_node("ArgMax", ["z"], ["label"], axis=1, keepdims=0)]
        outs = [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
                helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", k])]
    else:
        nodes[-1] = helper.make_node("Reshape", ["z", "shape"], ["variable"])
        inits.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), "shape"))
        outs = [helper.make_tensor_value_info("variable", TensorProto.FLOAT, ["N"])]
    g = helper.make_graph(nodes, "recipe_model",
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["N", len(cols)])], outs,
                          initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="berth-recipe")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--model-type", default="classifier")
    a = ap.parse_args()
    out = os.path.join(os.environ["BERTH_RECIPE_OUTPUT"], "model")
    os.makedirs(out, exist_ok=True)
    cols, X, y = read(a.data)
    classifier = a.model_type == "classifier"
    X32 = X.astype(np.float32).astype(np.float64)
    if classifier:
        from sklearn.linear_model import LogisticRegression
        est = LogisticRegression(max_iter=1000, random_state=0).fit(X32, y.astype(int))
        W, B = est.coef_.T, est.intercept_
        z = X32 @ W + B
        assert np.array_equal(z.argmax(axis=1), est.predict(X32)), "ONNX graph disagrees with sklearn"
        outputs = [{"name": "label", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}},
                   {"name": "probabilities", "type": "tensor",
                    "tensor-spec": {"dtype": "float32", "shape": [-1, W.shape[1]]}}]
        print("train accuracy %.4f" % (est.predict(X32) == y).mean())
    else:
        from sklearn.linear_model import Ridge
        est = Ridge(alpha=0.01).fit(X32, y)
        W, B = est.coef_.reshape(-1, 1), np.array([est.intercept_])
        assert np.allclose((X32 @ W + B).ravel(), est.predict(X32)), "ONNX graph disagrees with sklearn"
        outputs = [{"name": "variable", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]
        print("train r2 %.4f" % est.score(X32, y))
    m = graph(cols, W, B, classifier)
    with open(os.path.join(out, "model.onnx"), "wb") as f:
        f.write(m.SerializeToString())
    inputs = [{"type": "float", "name": c, "required": True} for c in cols]
    mlmodel = (
        "flavors:\n  onnx:\n    code: null\n    data: model.onnx\n    onnx_session_options: null\n"
        "    onnx_version: %s\n    providers:\n    - CPUExecutionProvider\n"
        "  python_function:\n    data: model.onnx\n    loader_module: mlflow.onnx\n    python_version: 3.11.2\n"
        "mlflow_version: 2.17.2\nmodel_uuid: 00000000000000000000000000000000\n"
        "signature:\n  inputs: '%s'\n  outputs: '%s'\n  params: null\n"
        "utc_time_created: '2026-01-01 00:00:00.000000'\n"
    ) % (onnx.__version__, json.dumps(inputs), json.dumps(outputs))
    with open(os.path.join(out, "MLmodel"), "w") as f:
        f.write(mlmodel)
    print("model written to", out)


if __name__ == "__main__":
    main()

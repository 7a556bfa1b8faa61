#!/usr/bin/python3
"""Regenerate berth's test fixtures under testdata/.

Run from the repository root with Debian's interpreter (its python3-sklearn,
python3-onnx, python3-pandas, python3-yaml packages load only there):

    /usr/bin/python3 testdata/make_fixtures.py

Pinned toolchain the committed files were made with: Python 3.11.2,
scikit-learn 1.2.1, onnx 1.12.0, numpy 1.24.2, pandas 1.5.3, PyYAML 6.0.

What it writes (see testdata/README.md for the full list):
  testdata/data/iris.csv, testdata/data/diabetes.csv, testdata/data/breast_cancer.csv
  testdata/models/<name>/  MLflow 2.17.2-format model directories

Every run is deterministic: fixed random_state, fixed model_uuid /
utc_time_created, no timestamps or random names anywhere, so re-running gives
byte-identical files.  Every ONNX graph is checked with onnx.checker and
evaluated with numpy against scikit-learn's own predictions; the script aborts
(AssertionError) if anything disagrees.

ONNX graphs are built with onnx.helper (skl2onnx and Python onnxruntime are not
packaged for Debian 12).  The MLmodel files copy the layout real MLflow 2.17.2
writes (see testdata/conformance/models.md): yaml.safe_dump(default_flow_style=
False) of the model dict, signatures as json.dumps strings, input examples as
MLflow's _Example writes them, model_size_bytes = bytes of the directory before
MLmodel/conda.yaml/python_env.yaml/requirements.txt are written.

Files that MLflow would NOT write, added for tests: expected.json in every
model directory, and generate_sklearn_network.py (provenance) in
models/sklearn_randomforest/.  They are written after model_size_bytes is
computed, so they are not counted in it.

Options:
  --conformance DIR   where mlflow-scoring-transcript.jsonl lives
                      (default: <repo>/testdata/conformance).  The script
                      stops if it is missing; the files written do not
                      depend on it.
"""

import argparse
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid

import numpy as np
import onnx
import pandas as pd
import yaml
from onnx import TensorProto, checker, helper, numpy_helper
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))  # .../testdata
REPO = os.path.dirname(HERE)
DATA_DIR = os.path.join(HERE, "data")
MODELS_DIR = os.path.join(HERE, "models")

IRIS_COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
DIABETES_COLUMNS = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]

# Rows whose sklearn predictions go into expected.json.
IRIS_ROWS = [0, 50, 100, 149]
DIABETES_ROWS = [0, 1, 2, 3, 4]
# Rows used as MLflow input examples (input_example.json / serving_input_example.json).
IRIS_EXAMPLE_ROWS = [0, 50, 100]
DIABETES_EXAMPLE_ROWS = [0, 1, 2]
BREAST_CANCER_ROWS = [0, 19, 100, 568]  # malignant, benign, malignant, benign
BREAST_CANCER_EXAMPLE_ROWS = [0, 1, 2]
# The probe rows used throughout testdata/conformance/mlflow-scoring-transcript.jsonl.
PROBE_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.9, 3.2, 5.7, 2.3]]
PROBE_LABELS = [0, 2]

OPSET = 13          # default ONNX domain
ML_OPSET = 3        # ai.onnx.ml (TreeEnsembleClassifier-3, ZipMap-1, LabelEncoder-2)
PRODUCER = "berth-testdata"
PRODUCER_VERSION = "1"

# onnxruntime_go's sklearn model, copied verbatim (MIT licence, (c) Nathan Otterness).
ORT_GO_MODULE = "github.com/yalue/onnxruntime_go@v1.27.0"
RF_ONNX_SHA256 = "1280af9bc628c4fca5d20c63368c1af1c1051cf7d92347dbfbb954c4771a25b7"

# --- verbatim environment files, as MLflow 2.17.2 wrote them in testdata/conformance/models ---
ONNX_REQUIREMENTS = "mlflow==2.17.2\nonnx==1.12.0\nonnxruntime==1.30.0"
ONNX_CONDA = (
    "channels:\n- conda-forge\ndependencies:\n- python=3.11.2\n- pip<=23.0.1\n- pip:\n"
    "  - mlflow==2.17.2\n  - onnx==1.12.0\n  - onnxruntime==1.30.0\nname: mlflow-env\n"
)
SKLEARN_PINS = [
    "mlflow==2.17.2",
    "cloudpickle==2.2.0",
    "joblib==1.2.0",
    "lz4==4.0.2",
    "packaging==23.0",
    "psutil==5.9.4",
    "pyyaml==6.0",
    "scikit-learn==1.2.1",
    "scipy==1.10.1",
    "threadpoolctl==3.1.0",
    "typing-extensions==4.4.0",
]
SKLEARN_REQUIREMENTS = "\n".join(SKLEARN_PINS)
SKLEARN_CONDA = (
    "channels:\n- conda-forge\ndependencies:\n- python=3.11.2\n- pip<=23.0.1\n- pip:\n"
    + "".join("  - %s\n" % p for p in SKLEARN_PINS)
    + "name: mlflow-env\n"
)
PYTHON_ENV = (
    "python: 3.11.2\nbuild_dependencies:\n- pip==23.0.1\n- setuptools==66.1.1\n"
    "- wheel==0.38.4\ndependencies:\n- -r requirements.txt\n"
)


# ---------------------------------------------------------------------------
# small helpers


def write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def write_json(path, obj, indent=None):
    write_text(path, json.dumps(obj, indent=indent))


def fresh_dir(path):
    # Only ever called on testdata/models/<name>.
    assert os.path.commonpath([path, MODELS_DIR]) == MODELS_DIR and path != MODELS_DIR
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)


def dir_size(path):
    # mlflow.utils.file_utils.get_total_file_size: sum of all file sizes under path.
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def fixed_uuid(name):
    return uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/berthml/berth/testdata/models/" + name).hex


def fixed_time(index):
    # str(datetime) like MLflow's str(datetime.utcnow()); fixed for reproducibility.
    return str(datetime.datetime(2026, 11, 28, 6, 0, index, 250000 + index))


def assert_close(actual, expected, rtol=1e-5, atol=1e-6, what=""):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    err = np.abs(actual - expected)
    ok = err <= atol + rtol * np.abs(expected)
    assert ok.all(), "%s: max abs err %g" % (what, err.max())
    return float(err.max())


# ---------------------------------------------------------------------------
# MLflow-format pieces


def colspec(type_, name=None, required=True):
    d = {"type": type_}
    if name is not None:
        d["name"] = name
    d["required"] = required
    return d


def tensorspec(dtype, shape, name=None):
    d = {}
    if name is not None:
        d["name"] = name
    d["type"] = "tensor"
    d["tensor-spec"] = {"dtype": dtype, "shape": list(shape)}
    return d


def signature(inputs, outputs):
    # mlflow.models.ModelSignature.to_dict: Schema.to_json() == json.dumps([spec.to_dict()...])
    return {
        "inputs": json.dumps(inputs) if inputs else None,
        "outputs": json.dumps(outputs) if outputs else None,
        "params": None,
    }


def save_example(model_dir, example):
    """Write input_example.json / serving_input_example.json like mlflow.models.utils._Example.

    example: pandas.DataFrame, numpy.ndarray or dict of name -> numpy.ndarray.
    Returns the saved_input_example_info dict.
    """
    info = {"artifact_path": "input_example.json"}
    if isinstance(example, pd.DataFrame):
        data = example.where(example.notnull(), None).to_dict(orient="split")
        del data["index"]
        serving = {"dataframe_split": data}
        info["type"] = "dataframe"
        info["pandas_orient"] = "split"
    elif isinstance(example, np.ndarray):
        data = example.tolist()
        serving = {"inputs": data}
        info["type"] = "ndarray"
    elif isinstance(example, dict):
        assert all(isinstance(v, np.ndarray) for v in example.values())
        data = {k: v.tolist() for k, v in example.items()}
        serving = {"inputs": data}
        info["type"] = "ndarray"
    else:
        raise TypeError(type(example))
    write_json(os.path.join(model_dir, "input_example.json"), data)
    write_json(os.path.join(model_dir, "serving_input_example.json"), serving, indent=2)
    info["serving_input_path"] = "serving_input_example.json"
    return info


def onnx_flavors():
    return {
        "onnx": {
            "code": None,
            "data": "model.onnx",
            "onnx_session_options": None,
            "onnx_version": onnx.__version__,
            "providers": ["CUDAExecutionProvider", "CPUExecutionProvider"],
        },
        "python_function": {
            "data": "model.onnx",
            "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
            "loader_module": "mlflow.onnx",
            "python_version": "3.11.2",
        },
    }


def sklearn_flavors():
    return {
        "python_function": {
            "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
            "loader_module": "mlflow.sklearn",
            "model_path": "model.pkl",
            "predict_fn": "predict",
            "python_version": "3.11.2",
        },
        "sklearn": {
            "code": None,
            "pickled_model": "model.pkl",
            "serialization_format": "cloudpickle",
            "sklearn_version": "1.2.1",
        },
    }


def write_mlmodel(model_dir, name, index, flavors, sig, example_info, requirements, conda):
    mlmodel = {
        "flavors": flavors,
        "mlflow_version": "2.17.2",
        "model_size_bytes": dir_size(model_dir),
        "model_uuid": fixed_uuid(name),
        "utc_time_created": fixed_time(index),
    }
    if example_info is not None:
        mlmodel["saved_input_example_info"] = example_info
    if sig is not None:
        mlmodel["signature"] = sig
    write_text(os.path.join(model_dir, "MLmodel"), yaml.safe_dump(mlmodel, default_flow_style=False))
    write_text(os.path.join(model_dir, "conda.yaml"), conda)
    write_text(os.path.join(model_dir, "python_env.yaml"), PYTHON_ENV)
    write_text(os.path.join(model_dir, "requirements.txt"), requirements)


class Fixture:
    """One model directory: ONNX model + MLmodel + examples + expected.json."""

    counter = 0

    def __init__(self, name):
        Fixture.counter += 1
        self.name = name
        self.index = Fixture.counter
        self.dir = os.path.join(MODELS_DIR, name)
        fresh_dir(self.dir)

    def write(self, model_proto=None, onnx_bytes=None, sig=None, example=None, expected=None,
              flavors=None, requirements=ONNX_REQUIREMENTS, conda=ONNX_CONDA, extras=()):
        if model_proto is not None:
            onnx_bytes = model_proto.SerializeToString()
        if onnx_bytes is not None:
            with open(os.path.join(self.dir, "model.onnx"), "wb") as f:
                f.write(onnx_bytes)
        info = save_example(self.dir, example) if example is not None else None
        write_mlmodel(self.dir, self.name, self.index, flavors or onnx_flavors(), sig, info,
                      requirements, conda)
        if expected is not None:
            write_json(os.path.join(self.dir, "expected.json"), expected, indent=1)
        for fname, content in extras:
            with open(os.path.join(self.dir, fname), "wb") as f:
                f.write(content)


# ---------------------------------------------------------------------------
# ONNX builders


def check(m):
    """onnx.checker.check_model(full_check=True).

    onnx 1.12's shape inference fails on every graph with a ZipMap ("type case unsupported for
    symbolic shape inference. inferred=5", also for skl2onnx's own sklearn_randomforest.onnx), so
    such graphs get the plain checker, and the full check runs on a copy with the ZipMap nodes
    cut off and their inputs exposed as graph outputs.
    """
    zipmaps = [n for n in m.graph.node if n.op_type == "ZipMap"]
    if not zipmaps:
        checker.check_model(m, full_check=True)
        return
    checker.check_model(m)
    cut = onnx.ModelProto()
    cut.CopyFrom(m)
    zip_outputs = {o for n in zipmaps for o in n.output}
    keep = [n for n in cut.graph.node if n.op_type != "ZipMap"]
    del cut.graph.node[:]
    cut.graph.node.extend(keep)
    outs = [o for o in cut.graph.output if o.name not in zip_outputs]
    del cut.graph.output[:]
    cut.graph.output.extend(outs)
    for n in zipmaps:
        cut.graph.output.append(helper.make_tensor_value_info(n.input[0], TensorProto.FLOAT, ["N", 3]))
    checker.check_model(cut, full_check=True)


def make_model(graph, ml=False):
    opsets = [helper.make_opsetid("", OPSET)]
    if ml:
        opsets.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
    m = helper.make_model(graph, opset_imports=opsets, producer_name=PRODUCER,
                          producer_version=PRODUCER_VERSION)
    m.ir_version = 8
    check(m)
    # Round-trip through bytes so what we verify is what we write.
    return onnx.load_from_string(m.SerializeToString())


def linear_classifier_nodes(x_name, weight, bias, dtype, with_softmax=True, with_label=True,
                            prob_name="probabilities", label_name="label"):
    """MatMul + Add (+ Softmax) (+ ArgMax on the logits) nodes and initializers."""
    W = numpy_helper.from_array(weight.astype(dtype), "W")
    B = numpy_helper.from_array(bias.astype(dtype), "B")
    nodes = [
        helper.make_node("MatMul", [x_name, "W"], ["logits0"], name="matmul"),
        helper.make_node("Add", ["logits0", "B"], ["logits"], name="add"),
    ]
    if with_softmax:
        nodes.append(helper.make_node("Softmax", ["logits"], [prob_name], name="softmax", axis=1))
    if with_label:
        nodes.append(helper.make_node("ArgMax", ["logits"], [label_name], name="argmax", axis=1,
                                      keepdims=0))
    return nodes, [W, B]


def np_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def eval_linear(X, W, B, dtype):
    """numpy evaluation of MatMul+Add(+Softmax/ArgMax) in the graph's precision."""
    logits = X.astype(dtype) @ W.astype(dtype) + B.astype(dtype)
    return logits, np_softmax(logits).astype(dtype), logits.argmax(axis=1).astype(np.int64)


# --- TreeEnsembleClassifier: build from sklearn trees, evaluate attributes with numpy ---


def tree_ensemble_attributes(forest, n_classes):
    """skl2onnx-style attributes of ai.onnx.ml.TreeEnsembleClassifier for a RandomForestClassifier."""
    a = {k: [] for k in [
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_hitrates",
        "nodes_modes", "nodes_truenodeids", "nodes_falsenodeids",
        "nodes_missing_value_tracks_true", "class_treeids", "class_nodeids", "class_ids",
        "class_weights"]}
    n_trees = len(forest.estimators_)
    for t, est in enumerate(forest.estimators_):
        tree = est.tree_
        for node in range(tree.node_count):
            leaf = tree.children_left[node] == -1
            a["nodes_treeids"].append(t)
            a["nodes_nodeids"].append(node)
            a["nodes_featureids"].append(0 if leaf else int(tree.feature[node]))
            a["nodes_values"].append(0.0 if leaf else float(tree.threshold[node]))
            a["nodes_hitrates"].append(1.0)
            a["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            a["nodes_truenodeids"].append(0 if leaf else int(tree.children_left[node]))
            a["nodes_falsenodeids"].append(0 if leaf else int(tree.children_right[node]))
            a["nodes_missing_value_tracks_true"].append(0)
            if leaf:
                value = tree.value[node][0]
                proba = value / value.sum()  # sklearn 1.2 stores weighted counts
                for c in range(n_classes):
                    a["class_treeids"].append(t)
                    a["class_nodeids"].append(node)
                    a["class_ids"].append(c)
                    a["class_weights"].append(float(proba[c]) / n_trees)
    return a


def attrs_from_node(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def eval_tree_ensemble_classifier(attrs, X):
    """Evaluate TreeEnsembleClassifier attributes (float32 semantics, post_transform NONE).

    Returns (labels int64 [N], scores float32 [N, n_classes]).
    """
    X = np.asarray(X, dtype=np.float32)
    assert attrs.get("post_transform", b"NONE") in (b"NONE", "NONE")
    labels = list(attrs["classlabels_int64s"])
    modes = [m.decode() if isinstance(m, bytes) else m for m in attrs["nodes_modes"]]
    nodes = {}
    for i, (t, n) in enumerate(zip(attrs["nodes_treeids"], attrs["nodes_nodeids"])):
        nodes[(t, n)] = i
    values = np.asarray(attrs["nodes_values"], dtype=np.float32)
    leaf_weights = {}
    for t, n, c, w in zip(attrs["class_treeids"], attrs["class_nodeids"], attrs["class_ids"],
                          attrs["class_weights"]):
        leaf_weights.setdefault((t, n), []).append((c, np.float32(w)))
    trees = sorted(set(attrs["nodes_treeids"]))
    scores = np.zeros((X.shape[0], len(labels)), dtype=np.float32)
    ops = {
        "BRANCH_LEQ": lambda x, v: x <= v, "BRANCH_LT": lambda x, v: x < v,
        "BRANCH_GTE": lambda x, v: x >= v, "BRANCH_GT": lambda x, v: x > v,
        "BRANCH_EQ": lambda x, v: x == v, "BRANCH_NEQ": lambda x, v: x != v,
    }
    for r in range(X.shape[0]):
        for t in trees:
            i = nodes[(t, 0)]
            while modes[i] != "LEAF":
                x = X[r, attrs["nodes_featureids"][i]]
                go_true = ops[modes[i]](x, values[i])
                nxt = attrs["nodes_truenodeids"][i] if go_true else attrs["nodes_falsenodeids"][i]
                i = nodes[(t, nxt)]
            for c, w in leaf_weights.get((t, attrs["nodes_nodeids"][i]), []):
                scores[r, c] += w
    return np.asarray(labels, dtype=np.int64)[scores.argmax(axis=1)], scores


# ---------------------------------------------------------------------------
# data


def fmt(v):
    return repr(float(v))


def write_datasets(iris, diabetes):
    os.makedirs(DATA_DIR, exist_ok=True)
    lines = [",".join(IRIS_COLUMNS + ["target"])]
    for x, y in zip(iris.data, iris.target):
        lines.append(",".join([fmt(v) for v in x] + [str(int(y))]))
    write_text(os.path.join(DATA_DIR, "iris.csv"), "\n".join(lines) + "\n")
    lines = [",".join(DIABETES_COLUMNS + ["target"])]
    for x, y in zip(diabetes.data, diabetes.target):
        lines.append(",".join([fmt(v) for v in x] + [fmt(y)]))
    write_text(os.path.join(DATA_DIR, "diabetes.csv"), "\n".join(lines) + "\n")
    # Read back: the CSVs must reproduce sklearn's arrays exactly.
    df = pd.read_csv(os.path.join(DATA_DIR, "iris.csv"), float_precision="round_trip")
    assert list(df.columns) == IRIS_COLUMNS + ["target"]
    assert np.array_equal(df[IRIS_COLUMNS].to_numpy(), iris.data)
    assert np.array_equal(df["target"].to_numpy(), iris.target)
    df = pd.read_csv(os.path.join(DATA_DIR, "diabetes.csv"), float_precision="round_trip")
    assert np.array_equal(df[DIABETES_COLUMNS].to_numpy(), diabetes.data)
    assert np.array_equal(df["target"].to_numpy(), diabetes.target)


# ---------------------------------------------------------------------------
# fixtures


def as_f32_then_f64(X):
    """What a float32 model actually sees, back in float64 for sklearn."""
    return np.asarray(X, dtype=np.float32).astype(np.float64)


def build_iris_logreg_graph(W, B, input_name="input", graph_name="iris_logreg"):
    nodes, inits = linear_classifier_nodes(input_name, W, B, np.float32)
    graph = helper.make_graph(
        nodes, graph_name,
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])],
        initializer=inits)
    return make_model(graph)


def iris_logreg_fixtures(iris, logreg, report):
    X = iris.data
    W = logreg.coef_.T  # [4,3]
    B = logreg.intercept_  # [3]
    # numpy evaluation of the float32 graph vs sklearn on all 150 rows
    _, probs32, labels32 = eval_linear(X, W, B, np.float32)
    sk_proba = logreg.predict_proba(as_f32_then_f64(X))
    sk_label = logreg.predict(as_f32_then_f64(X))
    err = assert_close(probs32, sk_proba, what="iris_logreg probabilities")
    assert np.array_equal(labels32, sk_label), "iris_logreg labels"
    report.append("iris_logreg: numpy(float32 graph) vs sklearn predict_proba on 150 rows: "
                  "max abs err %.3g; labels 150/150 equal; train accuracy %.4f"
                  % (err, (sk_label == iris.target).mean()))

    model = build_iris_logreg_graph(W, B)
    rows = X[IRIS_ROWS]
    expected = {
        "inputs": {"input": rows.tolist()},
        "outputs": {
            "label": logreg.predict(as_f32_then_f64(rows)).tolist(),
            "probabilities": logreg.predict_proba(as_f32_then_f64(rows)).tolist(),
        },
    }
    out_sig = [tensorspec("int64", [-1], "label"), tensorspec("float32", [-1, 3], "probabilities")]
    ex32 = X[IRIS_EXAMPLE_ROWS].astype(np.float32)

    # 1. iris_logreg: ColSpec float x4 inputs (DataFrame float32 example) + named tensor outputs,
    #    i.e. infer_signature(DataFrame[float32], {"label": ..., "probabilities": ...}).
    f = Fixture("iris_logreg")
    f.write(model_proto=model,
            sig=signature([colspec("float", c) for c in IRIS_COLUMNS], out_sig),
            example=pd.DataFrame(ex32, columns=IRIS_COLUMNS),
            expected=expected)

    # 2. iris_logreg_tensor: same graph, Tensor(float32, [-1, 4]) input.
    f = Fixture("iris_logreg_tensor")
    f.write(model_proto=build_iris_logreg_graph(W, B),
            sig=signature([tensorspec("float32", [-1, 4])], out_sig),
            example=ex32,
            expected=expected)

    # 5. multi_input: "sepal" [N,2] + "petal" [N,2] -> Concat(axis=1) -> iris logreg.
    nodes, inits = linear_classifier_nodes("features", W, B, np.float32)
    nodes.insert(0, helper.make_node("Concat", ["sepal", "petal"], ["features"], name="concat", axis=1))
    graph = helper.make_graph(
        nodes, "iris_logreg_multi_input",
        [helper.make_tensor_value_info("sepal", TensorProto.FLOAT, ["N", 2]),
         helper.make_tensor_value_info("petal", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])],
        initializer=inits)
    f = Fixture("multi_input")
    f.write(model_proto=make_model(graph),
            sig=signature([tensorspec("float32", [-1, 2], "sepal"),
                           tensorspec("float32", [-1, 2], "petal")], out_sig),
            example={"sepal": ex32[:, :2], "petal": ex32[:, 2:]},
            expected={"inputs": {"sepal": rows[:, :2].tolist(), "petal": rows[:, 2:].tolist()},
                      "outputs": expected["outputs"]})

    # 6. batch_k: DOUBLE input [N,4] (ColSpec double x4), Cast to float inside the graph,
    #    single output "probabilities" float32 [N,3].
    nodes, inits = linear_classifier_nodes("input_f32", W, B, np.float32, with_label=False)
    nodes.insert(0, helper.make_node("Cast", ["input"], ["input_f32"], name="cast",
                                     to=TensorProto.FLOAT))
    graph = helper.make_graph(
        nodes, "iris_logreg_probabilities",
        [helper.make_tensor_value_info("input", TensorProto.DOUBLE, ["N", 4])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])],
        initializer=inits)
    f = Fixture("batch_k")
    f.write(model_proto=make_model(graph),
            sig=signature([colspec("double", c) for c in IRIS_COLUMNS],
                          [tensorspec("float32", [-1, 3], "probabilities")]),
            example=pd.DataFrame(X[IRIS_EXAMPLE_ROWS], columns=IRIS_COLUMNS),
            expected={"inputs": {"input": rows.tolist()},
                      "outputs": {"probabilities": expected["outputs"]["probabilities"]}})


def iris_mlflow_fixtures(iris, logreg, conformance_dir, report):
    """Double-precision label-only iris model, matching the models MLflow served in the
    scoring transcript (e_sklearn_colspec_logged / f_sklearn_tensor_logged signatures)."""
    X = iris.data
    W = logreg.coef_.T
    B = logreg.intercept_
    _, _, labels64 = eval_linear(X, W, B, np.float64)
    assert np.array_equal(labels64, logreg.predict(X)), "iris_mlflow labels"
    probe = np.asarray(PROBE_ROWS)
    assert logreg.predict(probe).tolist() == PROBE_LABELS, logreg.predict(probe)
    assert eval_linear(probe, W, B, np.float64)[2].tolist() == PROBE_LABELS

    # Replay the transcript's successful scoring requests against this model.
    path = os.path.join(conformance_dir, "mlflow-scoring-transcript.jsonl")
    if not os.path.exists(path):
        sys.exit("make_fixtures: %s is missing (run from a full checkout, or pass --conformance)" % path)
    checked = []
    with open(path, encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh if line.strip()]
    for r in recs:
        if not r["case"].startswith("large batch") and \
                not r["case"].startswith("dataframe_split columns+data"):
            continue
        if r["status"] != 200:
            continue
        body = json.loads(r["request_body"])
        if "dataframe_split" in body:
            d = body["dataframe_split"]
            rows = pd.DataFrame(d["data"], columns=d["columns"])[IRIS_COLUMNS].to_numpy(np.float64)
        else:
            rows = np.asarray(body["inputs"], dtype=np.float64)
        want = json.loads(r["response_body"])["predictions"]
        got_sk = logreg.predict(rows).tolist()
        got_np = eval_linear(rows, W, B, np.float64)[2].tolist()
        assert got_sk == want and got_np == want, (r["n"], r["case"])
        checked.append("%s/%s (%d rows)" % (r["section"], r["case"], len(rows)))
    assert len(checked) >= 4, checked
    report.append("iris_mlflow_*: transcript replay OK: " + "; ".join(checked))

    nodes, inits = linear_classifier_nodes("input", W, B, np.float64, with_softmax=False)
    graph = helper.make_graph(
        nodes, "iris_logreg_label_f64",
        [helper.make_tensor_value_info("input", TensorProto.DOUBLE, ["N", 4])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"])],
        initializer=inits)
    model = make_model(graph)
    rows = np.concatenate([probe, X[IRIS_ROWS]])
    expected = {"inputs": {"input": rows.tolist()},
                "outputs": {"label": logreg.predict(rows).tolist()}}
    ex = X[[0, 1, 2]]  # the same 3 rows MLflow's e/f input examples used

    f = Fixture("iris_mlflow_colspec")
    f.write(model_proto=model,
            sig=signature([colspec("double", c) for c in IRIS_COLUMNS], [colspec("long")]),
            example=pd.DataFrame(ex, columns=IRIS_COLUMNS),
            expected=expected)
    f = Fixture("iris_mlflow_tensor")
    f.write(model_proto=model,
            sig=signature([tensorspec("float64", [-1, 4])], [tensorspec("int64", [-1])]),
            example=ex,
            expected=expected)


def iris_tree_fixture(iris, report):
    X32 = iris.data.astype(np.float32)
    rf = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0)
    rf.fit(X32, iris.target)
    classes = [int(c) for c in rf.classes_]
    assert classes == [0, 1, 2]
    a = tree_ensemble_attributes(rf, len(classes))
    te = helper.make_node(
        "TreeEnsembleClassifier", ["X"], ["label", "probabilities"], name="TreeEnsembleClassifier",
        domain="ai.onnx.ml", classlabels_int64s=classes, post_transform="NONE", **a)
    cast = helper.make_node("Cast", ["label"], ["output_label"], name="Cast", to=TensorProto.INT64)
    zipmap = helper.make_node("ZipMap", ["probabilities"], ["output_probability"], name="ZipMap",
                              domain="ai.onnx.ml", classlabels_int64s=classes)
    seq_map = onnx.TypeProto()
    seq_map.sequence_type.elem_type.map_type.key_type = TensorProto.INT64
    seq_map.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
    out_prob = onnx.ValueInfoProto(name="output_probability", type=seq_map)
    graph = helper.make_graph(
        [te, cast, zipmap], "iris_random_forest",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("output_label", TensorProto.INT64, ["N"]), out_prob])
    model = make_model(graph, ml=True)

    labels, scores = eval_tree_ensemble_classifier(attrs_from_node(model.graph.node[0]), X32)
    sk_label = rf.predict(X32)
    sk_proba = rf.predict_proba(X32)
    assert np.array_equal(labels, sk_label), "iris_tree labels"
    err = assert_close(scores, sk_proba, what="iris_tree probabilities")
    report.append("iris_tree: numpy(TreeEnsembleClassifier attrs) vs sklearn on 150 rows: labels "
                  "150/150 equal, probabilities max abs err %.3g; %d nodes in %d trees; train "
                  "accuracy %.4f" % (err, len(a["nodes_nodeids"]), len(rf.estimators_),
                                     (sk_label == iris.target).mean()))

    rows = X32[IRIS_ROWS]
    expected = {
        "inputs": {"X": iris.data[IRIS_ROWS].tolist()},
        "outputs": {
            "output_label": rf.predict(rows).tolist(),
            "output_probability": [{str(c): float(p) for c, p in zip(classes, pr)}
                                   for pr in rf.predict_proba(rows)],
        },
    }
    f = Fixture("iris_tree")
    # Signature with inputs only (ModelSignature(inputs=...)): MLflow's schema has no type for
    # a sequence of maps with int64 keys, so outputs is null.
    f.write(model_proto=model,
            sig=signature([tensorspec("float32", [-1, 4])], None),
            example=X32[IRIS_EXAMPLE_ROWS],
            expected=expected)


def diabetes_fixture(diabetes, report):
    X = diabetes.data
    lr = LinearRegression().fit(X, diabetes.target)
    W = lr.coef_.reshape(10, 1)
    B = np.asarray([lr.intercept_])
    pred32 = (X.astype(np.float32) @ W.astype(np.float32) + B.astype(np.float32))
    sk = lr.predict(as_f32_then_f64(X)).reshape(-1, 1)
    err = assert_close(pred32, sk, what="diabetes_linreg")
    report.append("diabetes_linreg: numpy(float32 graph) vs sklearn predict on 442 rows: max abs "
                  "err %.3g (targets ~25..346)" % err)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["y0"], name="matmul"),
         helper.make_node("Add", ["y0", "B"], ["variable"], name="add")],
        "diabetes_linreg",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 10])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, ["N", 1])],
        initializer=[numpy_helper.from_array(W.astype(np.float32), "W"),
                     numpy_helper.from_array(B.astype(np.float32), "B")])
    rows = X[DIABETES_ROWS]
    f = Fixture("diabetes_linreg")
    f.write(model_proto=make_model(graph),
            sig=signature([colspec("double", c) for c in DIABETES_COLUMNS], [colspec("double")]),
            example=pd.DataFrame(X[DIABETES_EXAMPLE_ROWS], columns=DIABETES_COLUMNS),
            expected={"inputs": {"X": rows.tolist()},
                      "outputs": {"variable": lr.predict(as_f32_then_f64(rows)).reshape(-1, 1).tolist()}})


def string_input_fixture(iris, report):
    keys = [str(n) for n in iris.target_names]  # setosa, versicolor, virginica
    assert keys == ["setosa", "versicolor", "virginica"]
    node = helper.make_node("LabelEncoder", ["species"], ["code"], name="LabelEncoder",
                            domain="ai.onnx.ml", keys_strings=keys,
                            values_int64s=list(range(len(keys))), default_int64=-1)
    graph = helper.make_graph(
        [node], "species_label_encoder",
        [helper.make_tensor_value_info("species", TensorProto.STRING, ["N", 1])],
        [helper.make_tensor_value_info("code", TensorProto.INT64, ["N", 1])])
    model = make_model(graph, ml=True)
    inputs = [["setosa"], ["versicolor"], ["virginica"], ["unknown"]]
    table = dict(zip(keys, range(len(keys))))
    codes = [[table.get(s, -1)] for (s,) in inputs]
    assert codes == [[0], [1], [2], [-1]]
    report.append("string_input: LabelEncoder %s, default -1" % table)
    f = Fixture("string_input")
    f.write(model_proto=model,
            sig=signature([colspec("string", "species")], [colspec("long", "code")]),
            example=pd.DataFrame({"species": keys}),
            expected={"inputs": {"species": inputs}, "outputs": {"code": codes}})


def breast_cancer_columns(bc):
    # "mean radius" -> "mean_radius": MLflow allows spaces, CSV tools and flags like them less.
    return [str(n).replace(" ", "_") for n in bc.feature_names]


def write_breast_cancer(bc):
    columns = breast_cancer_columns(bc)
    lines = [",".join(columns + ["target"])]
    for x, y in zip(bc.data, bc.target):
        lines.append(",".join([fmt(v) for v in x] + [str(int(y))]))
    path = os.path.join(DATA_DIR, "breast_cancer.csv")
    write_text(path, "\n".join(lines) + "\n")
    df = pd.read_csv(path, float_precision="round_trip")
    assert list(df.columns) == columns + ["target"]
    assert np.array_equal(df[columns].to_numpy(), bc.data)
    assert np.array_equal(df["target"].to_numpy(), bc.target)


def breast_cancer_fixture(bc, report):
    """Binary classifier: StandardScaler + LogisticRegression on the 569 breast cancer rows.

    The graph is Sub(mean) -> Div(scale) -> MatMul+Add -> Softmax / ArgMax, in float32. The
    binary logistic regression's single logit z becomes two logits [0, z], so Softmax gives
    [1 - sigmoid(z), sigmoid(z)] = predict_proba and ArgMax gives predict (z > 0 -> 1).
    """
    X = bc.data
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, bc.target)
    scaler, lr = pipe[0], pipe[1]
    assert [int(c) for c in lr.classes_] == [0, 1]
    W = np.stack([np.zeros(X.shape[1]), lr.coef_[0]], axis=1)  # [30, 2]
    B = np.asarray([0.0, lr.intercept_[0]])
    mean32, scale32 = scaler.mean_.astype(np.float32), scaler.scale_.astype(np.float32)

    def eval_graph(rows):
        z = (np.asarray(rows, dtype=np.float32) - mean32) / scale32
        return eval_linear(z, W, B, np.float32)

    _, probs32, labels32 = eval_graph(X)
    sk_proba = pipe.predict_proba(as_f32_then_f64(X))
    sk_label = pipe.predict(as_f32_then_f64(X))
    err = assert_close(probs32, sk_proba, what="breast_cancer_logreg probabilities")
    assert np.array_equal(labels32, sk_label), "breast_cancer_logreg labels"
    report.append("breast_cancer_logreg: numpy(float32 graph) vs sklearn predict_proba on 569 rows: "
                  "max abs err %.3g; labels 569/569 equal; train accuracy %.4f"
                  % (err, (sk_label == bc.target).mean()))

    nodes, inits = linear_classifier_nodes("scaled", W, B, np.float32)
    nodes[:0] = [
        helper.make_node("Sub", ["input", "mean"], ["centred"], name="sub"),
        helper.make_node("Div", ["centred", "scale"], ["scaled"], name="div"),
    ]
    inits += [numpy_helper.from_array(mean32, "mean"), numpy_helper.from_array(scale32, "scale")]
    graph = helper.make_graph(
        nodes, "breast_cancer_logreg",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", X.shape[1]])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
        initializer=inits)
    rows = X[BREAST_CANCER_ROWS]
    columns = breast_cancer_columns(bc)
    f = Fixture("breast_cancer_logreg")
    f.write(model_proto=make_model(graph),
            sig=signature([colspec("double", c) for c in columns],
                          [tensorspec("int64", [-1], "label"),
                           tensorspec("float32", [-1, 2], "probabilities")]),
            example=pd.DataFrame(X[BREAST_CANCER_EXAMPLE_ROWS], columns=columns),
            expected={"inputs": {"input": rows.tolist()},
                      "outputs": {"label": pipe.predict(as_f32_then_f64(rows)).tolist(),
                                  "probabilities": pipe.predict_proba(as_f32_then_f64(rows)).tolist()}})


def gomodcache():
    env = os.environ.get("GOMODCACHE")
    if env:
        return env
    try:
        return subprocess.run(["go", "env", "GOMODCACHE"], check=True, capture_output=True,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.path.join(os.path.expanduser("~"), "go", "pkg", "mod")


# Rows and ONNX Runtime outputs recorded upstream for sklearn_randomforest.onnx
# (onnxruntime_go@v1.27.0 onnxruntime_test.go TestSklearnNetwork, printed by
# test_data/generate_sklearn_network.py under real onnxruntime).
RF_ROWS = [
    [5.9, 3.0, 5.1, 1.8], [6.8, 2.8, 4.8, 1.4], [6.3, 2.3, 4.4, 1.3],
    [6.5, 3.0, 5.5, 1.8], [7.7, 2.8, 6.7, 2.0], [5.5, 2.5, 4.0, 1.3],
]
RF_UPSTREAM_LABELS = [2, 1, 1, 2, 2, 1]
RF_UPSTREAM_PROBS = [
    [0.0, 0.12999998033046722, 0.8699994683265686],
    [0.0, 0.7699995636940002, 0.23000003397464752],
    [0.0, 0.969999372959137, 0.029999999329447746],
    [0.0, 0.0, 0.9999993443489075],
    [0.0, 0.0, 0.9999993443489075],
    [0.0, 0.9999993443489075, 0.0],
]

def sklearn_randomforest_fixture(report):
    src_dir = os.path.join(gomodcache(), ORT_GO_MODULE, "test_data")
    src = os.path.join(src_dir, "sklearn_randomforest.onnx")
    gen = os.path.join(src_dir, "generate_sklearn_network.py")
    if not os.path.exists(src):
        sys.exit("error: %s not found; run `go mod download %s` first"
                 % (src, ORT_GO_MODULE.split("@")[0]))
    with open(src, "rb") as fh:
        data = fh.read()
    with open(gen, "rb") as fh:
        gen_data = fh.read()
    model = onnx.load_from_string(data)
    assert hashlib.sha256(data).hexdigest() == RF_ONNX_SHA256, "unexpected " + src
    check(model)
    assert [i.name for i in model.graph.input] == ["X"]
    assert [o.name for o in model.graph.output] == ["output_label", "output_probability"]
    te = [n for n in model.graph.node if n.op_type == "TreeEnsembleClassifier"][0]
    labels, scores = eval_tree_ensemble_classifier(attrs_from_node(te), RF_ROWS)
    assert labels.tolist() == RF_UPSTREAM_LABELS, labels
    err = assert_close(scores, RF_UPSTREAM_PROBS, what="sklearn_randomforest vs upstream ORT")
    report.append("sklearn_randomforest: sha256 %s (pinned); numpy(TreeEnsembleClassifier attrs) on the 6 "
                  "upstream rows: labels equal, probabilities max abs err %.3g vs upstream ORT "
                  "values" % (hashlib.sha256(data).hexdigest(), err))
    expected = {
        "inputs": {"X": RF_ROWS},
        "outputs": {
            "output_label": RF_UPSTREAM_LABELS,
            "output_probability": [{str(c): p for c, p in zip([0, 1, 2], pr)}
                                   for pr in RF_UPSTREAM_PROBS],
        },
    }
    f = Fixture("sklearn_randomforest")
    # No signature at all: berth must use ONNX Runtime's own input/output metadata.
    f.write(onnx_bytes=data, sig=None,
            example=np.asarray(RF_ROWS, dtype=np.float32),
            expected=expected,
            extras=[("generate_sklearn_network.py", gen_data)])


def pyfunc_only_fixture():
    # Like testdata/conformance/models/e_sklearn_colspec_logged, but saved (no run_id /
    # artifact_path) and WITHOUT model.pkl: no onnx flavor, so berth must refuse it.
    f = Fixture("pyfunc_only")
    iris = load_iris()
    f.write(flavors=sklearn_flavors(),
            sig=signature([colspec("double", c) for c in IRIS_COLUMNS], [colspec("long")]),
            example=pd.DataFrame(iris.data[[0, 1, 2]], columns=IRIS_COLUMNS),
            requirements=SKLEARN_REQUIREMENTS, conda=SKLEARN_CONDA)


# --- cnn64: a small convolutional network, compute-heavy next to HTTP/JSON overhead ---

# Three stages; each stage is 3x3 convolutions (in_channels, out_channels), each with Relu, then a
# 2x2 MaxPool. ~103 M multiply-adds per image (a few ms on one core), ~105 k parameters.
CNN64_STAGES = [[(3, 32), (32, 32)], [(32, 64), (64, 64)], [(64, 32)]]
CNN64_CONVS = [c for stage in CNN64_STAGES for c in stage]
CNN64_CLASSES = 10
CNN64_SEED = 64


def np_conv2d(x, w, b, pad=1):
    """ONNX Conv (stride 1, dilation 1, group 1, symmetric pads) in x's dtype. x [N,C,H,W], w [O,C,kh,kw]."""
    kh, kw = w.shape[2], w.shape[3]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))  # [N,C,H,W,kh,kw]
    y = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3]))  # [N,H,W,O]
    return (y.transpose(0, 3, 1, 2) + b[None, :, None, None]).astype(x.dtype)


def np_maxpool2(x):
    """ONNX MaxPool kernel 2x2, stride 2, no padding (H and W even)."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def cnn64_weights():
    """He-initialised float32 weights from a seeded RandomState."""
    rng = np.random.RandomState(CNN64_SEED)
    convs = []
    for cin, cout in CNN64_CONVS:
        w = rng.randn(cout, cin, 3, 3) * np.sqrt(2.0 / (cin * 9))
        b = rng.randn(cout) * 0.05
        convs.append((w.astype(np.float32), b.astype(np.float32)))
    side = 64 // 2 ** len(CNN64_STAGES)
    fan_in = CNN64_CONVS[-1][1] * side * side
    # The Gemm is He x 0.1, giving logits of about +-0.2: float32 rounding in a network this deep
    # is ~1e-6 of the activations' scale, and the fixture tolerance (1e-6 + 1e-5 relative) must
    # hold for logits near 0 too. Gemm transB=1 (W is [classes, features]).
    gw = (rng.randn(CNN64_CLASSES, fan_in) * np.sqrt(2.0 / fan_in) * 0.1).astype(np.float32)
    gb = (rng.randn(CNN64_CLASSES) * 0.005).astype(np.float32)
    return convs, gw, gb


def eval_cnn64(x, convs, gw, gb, dtype):
    """numpy evaluation of the cnn64 graph, every tensor in dtype."""
    h = np.asarray(x, dtype=dtype)
    it = iter(convs)
    for stage in CNN64_STAGES:
        for _ in stage:
            w, b = next(it)
            h = np.maximum(np_conv2d(h, w.astype(dtype), b.astype(dtype)), 0)
        h = np_maxpool2(h)
    h = h.reshape(h.shape[0], -1)  # Flatten(axis=1)
    return (h @ gw.astype(dtype).T + gb.astype(dtype)).astype(dtype)


def cnn64_images(n, seed):
    """n deterministic 3x64x64 images in [0, 1): smooth colour gradients plus noise, 4 decimals."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:64, 0:64] / 63.0
    imgs = []
    for _ in range(n):
        fx, fy, ph = rng.uniform(0.5, 3.0, 3)
        base = np.stack([0.5 + 0.5 * np.sin(2 * np.pi * (fx * xx + ph)),
                         0.5 + 0.5 * np.cos(2 * np.pi * (fy * yy + ph)),
                         0.5 + 0.5 * np.sin(2 * np.pi * (fx * xx * yy + fy * yy))])
        img = 0.7 * base + 0.3 * rng.rand(3, 64, 64)
        imgs.append(np.clip(img, 0.0, 0.9999))
    return np.round(np.stack(imgs), 4)


def cnn64_fixture(report):
    """VGG-like: [Conv(3->32)+Relu, Conv(32->32)+Relu, MaxPool] -> [Conv(32->64)+Relu,
    Conv(64->64)+Relu, MaxPool] -> [Conv(64->32)+Relu, MaxPool] -> Flatten -> Gemm(2048->10).
    All convolutions 3x3, pad 1; pools 2x2 stride 2. input float32 [N,3,64,64] -> logits
    float32 [N,10].

    Random (seeded, He-initialised) weights: it classifies nothing, it is there to cost a few
    ms of CPU per image, for benchmarks where compute should outweigh HTTP/JSON overhead.
    expected.json holds the float64 evaluation of the float32 weights and inputs; the script
    asserts that a float32 numpy evaluation is within a quarter of the fixture tolerance
    (1e-6 + 1e-5 relative) of it, so that ONNX Runtime's float32 rounding has room too.
    """
    convs, gw, gb = cnn64_weights()
    nodes, inits = [], []
    cur = "input"
    it = iter(enumerate(convs, start=1))
    for p, stage in enumerate(CNN64_STAGES, start=1):
        for _ in stage:
            i, (w, b) = next(it)
            inits += [numpy_helper.from_array(w, "conv%d_W" % i),
                      numpy_helper.from_array(b, "conv%d_B" % i)]
            nodes += [
                helper.make_node("Conv", [cur, "conv%d_W" % i, "conv%d_B" % i], ["conv%d" % i],
                                 name="conv%d" % i, kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                 strides=[1, 1]),
                helper.make_node("Relu", ["conv%d" % i], ["relu%d" % i], name="relu%d" % i),
            ]
            cur = "relu%d" % i
        nodes.append(helper.make_node("MaxPool", [cur], ["pool%d" % p], name="pool%d" % p,
                                      kernel_shape=[2, 2], strides=[2, 2]))
        cur = "pool%d" % p
    inits += [numpy_helper.from_array(gw, "fc_W"), numpy_helper.from_array(gb, "fc_B")]
    nodes += [
        helper.make_node("Flatten", [cur], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc_W", "fc_B"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "cnn64",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 64, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", CNN64_CLASSES])],
        initializer=inits)
    model = make_model(graph)

    images = cnn64_images(2, CNN64_SEED + 1)
    x32 = images.astype(np.float32)
    want = eval_cnn64(x32, convs, gw, gb, np.float64)
    got32 = eval_cnn64(x32, convs, gw, gb, np.float32)
    err = assert_close(got32, want, rtol=2.5e-6, atol=2.5e-7,
                       what="cnn64 float32 vs float64")
    macs = sum(cin * cout * 9 * (64 // 2 ** k) ** 2
               for k, stage in enumerate(CNN64_STAGES) for cin, cout in stage)
    macs += gw.size
    report.append("cnn64: numpy float32 vs float64 graph on 2 images: max abs err %.3g (logits "
                  "%.3g..%.3g); %d parameters, %.1f M multiply-adds per image"
                  % (err, want.min(), want.max(), sum(t.size for t in [gw, gb]) +
                     sum(w.size + b.size for w, b in convs), macs / 1e6))
    f = Fixture("cnn64")
    f.write(model_proto=model,
            sig=signature([tensorspec("float32", [-1, 3, 64, 64])],
                          [tensorspec("float32", [-1, CNN64_CLASSES])]),
            # The 4-decimal values, not their float32 reprs (0.5487, not 0.5486999750137329):
            # they parse to the same float32 tensor and keep the example files small.
            example=images[:1],
            expected={"inputs": {"input": images.tolist()},
                      "outputs": {"logits": want.tolist()}})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--conformance", default=os.path.join(REPO, "testdata", "conformance"))
    args = ap.parse_args()

    assert onnx.__version__ == "1.12.0", "built with onnx 1.12.0, got " + onnx.__version__
    import sklearn
    if sklearn.__version__ != "1.2.1":
        print("warning: fixtures were made with scikit-learn 1.2.1, this is " + sklearn.__version__)

    os.makedirs(MODELS_DIR, exist_ok=True)
    report = []
    iris = load_iris()
    diabetes = load_diabetes()  # scaled=True: mean-centred, scaled by std * sqrt(n_samples)
    write_datasets(iris, diabetes)

    logreg = LogisticRegression(max_iter=500).fit(iris.data, iris.target)
    iris_logreg_fixtures(iris, logreg, report)
    iris_tree_fixture(iris, report)
    diabetes_fixture(diabetes, report)
    string_input_fixture(iris, report)
    iris_mlflow_fixtures(iris, logreg, args.conformance, report)
    sklearn_randomforest_fixture(report)
    pyfunc_only_fixture()
    breast_cancer = load_breast_cancer()
    write_breast_cancer(breast_cancer)
    breast_cancer_fixture(breast_cancer, report)
    cnn64_fixture(report)

    for line in report:
        print(line)
    total = 0
    for root, _, files in os.walk(HERE):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    print("testdata total: %d bytes" % total)


if __name__ == "__main__":
    main()

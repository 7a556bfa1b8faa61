#!/usr/bin/python3
"""Writes testdata/models/byte_embedder: a small ONNX text-embedding model in an
MLflow model directory, for the gateway's in-process "berth" provider.

Run from the repository root with Debian's interpreter (it needs python3-onnx and numpy):

    /usr/bin/python3 testdata/make_embedding_model.py

The model reads byte-level token ids, as the berth provider tokenizes (a token is one
UTF-8 byte, id = byte + 1; 0 is padding):

    input_ids       int64 [batch, seq]
    attention_mask  int64 [batch, seq]   (1 for a token, 0 for padding)
    ->
    last_hidden_state  float32 [batch, seq, 32]   tanh(Embed[ids] @ W + b)
    sentence_embedding float32 [batch, 32]        masked mean of last_hidden_state, L2-normalised

Weights are drawn from numpy's PCG64 with a fixed seed, and every MLmodel field is fixed,
so a second run writes byte-identical files. embeddings.json holds the numpy evaluation of
the graph for a few texts; the Go tests compare ONNX Runtime's answers with it.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

VOCAB = 257  # 256 bytes + padding
DIM = 32
SEED = 20261207
OUT = os.path.join("testdata", "models", "byte_embedder")
TEXTS = ["hello", "hello world", "berth serves embeddings", "é"]


def weights():
    rng = np.random.Generator(np.random.PCG64(SEED))
    emb = rng.standard_normal((VOCAB, DIM)).astype(np.float32)
    emb[0] = 0.0  # padding embeds to zero
    w = (rng.standard_normal((DIM, DIM)) / np.sqrt(DIM)).astype(np.float32)
    b = (0.1 * rng.standard_normal(DIM)).astype(np.float32)
    return emb, w, b


def graph(emb, w, b):
    nodes = [
        helper.make_node("Gather", ["embed", "input_ids"], ["tok"], axis=0),
        helper.make_node("MatMul", ["tok", "W"], ["proj"]),
        helper.make_node("Add", ["proj", "B"], ["pre"]),
        helper.make_node("Tanh", ["pre"], ["last_hidden_state"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis_last"], ["mask3"]),
        helper.make_node("Mul", ["last_hidden_state", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis_seq"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "axis_seq"], ["count"], keepdims=0),
        helper.make_node("Max", ["count", "one"], ["count1"]),
        helper.make_node("Div", ["summed", "count1"], ["mean"]),
        helper.make_node("Mul", ["mean", "mean"], ["sq"]),
        helper.make_node("ReduceSum", ["sq", "axis_last"], ["sumsq"], keepdims=1),
        helper.make_node("Sqrt", ["sumsq"], ["norm"]),
        helper.make_node("Max", ["norm", "eps"], ["norm1"]),
        helper.make_node("Div", ["mean", "norm1"], ["sentence_embedding"]),
    ]
    inits = [
        numpy_helper.from_array(emb, "embed"),
        numpy_helper.from_array(w, "W"),
        numpy_helper.from_array(b, "B"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "axis_last"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_seq"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.array(1e-12, dtype=np.float32), "eps"),
    ]
    g = helper.make_graph(
        nodes, "byte_embedder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", DIM]),
         helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", DIM])],
        inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="berth-testdata")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m


def tokens(texts):
    ids = [[c + 1 for c in t.encode("utf-8")] for t in texts]
    n = max(len(x) for x in ids)
    return (np.array([x + [0] * (n - len(x)) for x in ids], dtype=np.int64),
            np.array([[1] * len(x) + [0] * (n - len(x)) for x in ids], dtype=np.int64))


def evaluate(emb, w, b, texts):
    ids, mask = tokens(texts)
    h = np.tanh(emb[ids] @ w + b)
    m = mask.astype(np.float32)[..., None]
    mean = (h * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1)
    return mean / np.maximum(np.sqrt((mean * mean).sum(axis=-1, keepdims=True)), 1e-12)


MLMODEL = """flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_session_options: null
    onnx_version: 1.12.0
    providers:
    - CPUExecutionProvider
mlflow_version: 2.17.2
model_size_bytes: {size}
model_uuid: 5b1c0de0e4b5d3a1b0ae3b2d1e7f0a11
signature:
  inputs: '[{{"type": "tensor", "tensor-spec": {{"dtype": "int64", "shape": [-1, -1]}}, "name": "input_ids"}}, {{"type": "tensor", "tensor-spec": {{"dtype": "int64", "shape": [-1, -1]}}, "name": "attention_mask"}}]'
  outputs: '[{{"type": "tensor", "tensor-spec": {{"dtype": "float32", "shape": [-1, -1, {dim}]}}, "name": "last_hidden_state"}}, {{"type": "tensor", "tensor-spec": {{"dtype": "float32", "shape": [-1, {dim}]}}, "name": "sentence_embedding"}}]'
  params: null
utc_time_created: '2026-12-07 05:00:00.000000'
"""


def main():
    if not os.path.isdir("testdata"):
        sys.exit("run from the repository root")
    emb, w, b = weights()
    m = graph(emb, w, b)
    os.makedirs(OUT, exist_ok=True)
    data = m.SerializeToString()
    with open(os.path.join(OUT, "model.onnx"), "wb") as f:
        f.write(data)
    with open(os.path.join(OUT, "MLmodel"), "w") as f:
        f.write(MLMODEL.format(size=len(data), dim=DIM))
    out = evaluate(emb, w, b, TEXTS)
    with open(os.path.join(OUT, "embeddings.json"), "w") as f:
        json.dump({"texts": TEXTS, "tokens": [len(t.encode("utf-8")) for t in TEXTS],
                   "embeddings": [[float(v) for v in row] for row in out]}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

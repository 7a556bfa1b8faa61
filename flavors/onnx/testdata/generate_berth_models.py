# Generates berth's own small test models with onnx.helper (Debian's
# python3-onnx 1.12; run with /usr/bin/python3 generate_berth_models.py):
#
# identity_dtypes.onnx: for every tensor element type berth moves, an input
#   "x_<dtype>" of shape [N, 2] (N symbolic) passed through Identity to the
#   output "y_<dtype>". Covers the 16-bit floats with a dynamic output shape.
#
# scalar.onnx: a 0-d input and a 0-d output.
#   - "scale": float32 scalar, "v": float32 [N]
#   - "scaled" = v * scale, shape [N]
#   - "total"  = ReduceSum(v, keepdims=0), a float32 scalar
#   - "count"  = Size(v), an int64 scalar
#
# strings.onnx: string tensors through a real string operator.
#   - "text": string [N]
#   - "upper" = StringNormalizer(text, UPPER), "lower" = ... LOWER
#   The locale is C.UTF-8, which glibc always has: onnxruntime_go's
#   example_strings.onnx uses the default en_US.UTF-8, which minimal
#   systems lack, and ONNX Runtime then refuses to load it.
import onnx
from onnx import TensorProto, helper

DTYPES = [
    ("float32", TensorProto.FLOAT),
    ("float64", TensorProto.DOUBLE),
    ("float16", TensorProto.FLOAT16),
    ("bfloat16", TensorProto.BFLOAT16),
    ("int8", TensorProto.INT8),
    ("int16", TensorProto.INT16),
    ("int32", TensorProto.INT32),
    ("int64", TensorProto.INT64),
    ("uint8", TensorProto.UINT8),
    ("uint16", TensorProto.UINT16),
    ("uint32", TensorProto.UINT32),
    ("uint64", TensorProto.UINT64),
    ("bool", TensorProto.BOOL),
    ("string", TensorProto.STRING),
]


def identity_dtypes():
    inputs, outputs, nodes = [], [], []
    for name, t in DTYPES:
        inputs.append(helper.make_tensor_value_info("x_" + name, t, ["N", 2]))
        outputs.append(helper.make_tensor_value_info("y_" + name, t, ["N", 2]))
        nodes.append(helper.make_node("Identity", ["x_" + name], ["y_" + name]))
    graph = helper.make_graph(nodes, "identity_dtypes", inputs, outputs)
    return helper.make_model(graph, producer_name="generate_berth_models.py",
                             opset_imports=[helper.make_opsetid("", 13)])


def scalar():
    f = TensorProto.FLOAT
    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["v", "scale"], ["scaled"]),
            helper.make_node("ReduceSum", ["v"], ["total"], keepdims=0),
            helper.make_node("Size", ["v"], ["count"]),
        ],
        "scalar",
        [helper.make_tensor_value_info("scale", f, []),
         helper.make_tensor_value_info("v", f, ["N"])],
        [helper.make_tensor_value_info("scaled", f, ["N"]),
         helper.make_tensor_value_info("total", f, []),
         helper.make_tensor_value_info("count", TensorProto.INT64, [])],
    )
    return helper.make_model(graph, producer_name="generate_berth_models.py",
                             opset_imports=[helper.make_opsetid("", 13)])


def strings():
    s = TensorProto.STRING
    graph = helper.make_graph(
        [
            helper.make_node("StringNormalizer", ["text"], ["upper"],
                             case_change_action="UPPER", locale="C.UTF-8"),
            helper.make_node("StringNormalizer", ["text"], ["lower"],
                             case_change_action="LOWER", locale="C.UTF-8"),
        ],
        "strings",
        [helper.make_tensor_value_info("text", s, ["N"])],
        [helper.make_tensor_value_info("upper", s, ["N"]),
         helper.make_tensor_value_info("lower", s, ["N"])],
    )
    return helper.make_model(graph, producer_name="generate_berth_models.py",
                             opset_imports=[helper.make_opsetid("", 13)])


def main():
    for name, model in [("identity_dtypes.onnx", identity_dtypes()),
                        ("scalar.onnx", scalar()),
                        ("strings.onnx", strings())]:
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, name)
        print(f"saved {name}")


if __name__ == "__main__":
    main()

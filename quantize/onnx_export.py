"""An FP32 ONNX graph of all-MiniLM-L6-v2, built from its safetensors weights with onnx.helper, so that
onnxruntime's own dynamic quantizer can make an int8 version to compare (no PyTorch needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def export_minilm(weights: dict[str, np.ndarray], path: Path, *, heads: int = 12, layers: int = 6) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    hidden = weights["embeddings.word_embeddings.weight"].shape[1]
    size = hidden // heads

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    for name, value in weights.items():
        if value.dtype == np.float32:
            const(name, np.ascontiguousarray(value.T) if name.endswith(".weight") and value.ndim == 2
                  and "embeddings" not in name else value)

    def node(op: str, inputs: list[str], output: str, **attrs: object) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def linear(x: str, prefix: str, out: str) -> str:
        return node("Add", [node("MatMul", [x, f"{prefix}.weight"], out + "_mm"), f"{prefix}.bias"], out)

    def norm(x: str, prefix: str, out: str) -> str:
        return node("LayerNormalization", [x, f"{prefix}.weight", f"{prefix}.bias"], out, axis=-1, epsilon=1e-12)

    const("shape_heads", np.array([0, 0, heads, size], dtype=np.int64))
    const("shape_back", np.array([0, 0, hidden], dtype=np.int64))
    const("scale", np.array(1.0 / np.sqrt(size), dtype=np.float32))
    const("one", np.array(1.0, dtype=np.float32))
    const("half", np.array(0.5, dtype=np.float32))
    const("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))
    const("neg", np.array(-10000.0, dtype=np.float32))
    const("axes12", np.array([1, 2], dtype=np.int64))

    positions = node("Range", [const("zero_i", np.array(0, dtype=np.int64)),
                                node("Gather", [node("Shape", ["input_ids"], "ids_shape"),
                                                const("one_i", np.array(1, dtype=np.int64))], "seq_len"),
                                "one_i"], "positions")
    x = node("Add", [node("Gather", ["embeddings.word_embeddings.weight", "input_ids"], "word"),
                     node("Gather", ["embeddings.position_embeddings.weight", positions], "pos")], "emb0")
    x = node("Add", [x, node("Gather", ["embeddings.token_type_embeddings.weight", "token_type_ids"], "tt")], "emb1")
    x = norm(x, "embeddings.LayerNorm", "emb")
    mask = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    bias = node("Mul", [node("Sub", ["one", node("Unsqueeze", [mask, "axes12"], "mask4")], "inv"), "neg"], "mask_bias")
    for layer in range(layers):
        p = f"encoder.layer.{layer}"
        heads_of = {}
        for part in ("query", "key", "value"):
            projected = linear(x, f"{p}.attention.self.{part}", f"{p}.{part}")
            shaped = node("Reshape", [projected, "shape_heads"], f"{p}.{part}.r")
            perm = [0, 2, 3, 1] if part == "key" else [0, 2, 1, 3]
            heads_of[part] = node("Transpose", [shaped], f"{p}.{part}.t", perm=perm)
        scores = node("Mul", [node("MatMul", [heads_of["query"], heads_of["key"]], f"{p}.qk"), "scale"], f"{p}.s")
        probs = node("Softmax", [node("Add", [scores, bias], f"{p}.sm")], f"{p}.p", axis=-1)
        context = node("Transpose", [node("MatMul", [probs, heads_of["value"]], f"{p}.ctx")], f"{p}.ctxt",
                       perm=[0, 2, 1, 3])
        context = node("Reshape", [context, "shape_back"], f"{p}.ctxr")
        attn = linear(context, f"{p}.attention.output.dense", f"{p}.ao")
        x = norm(node("Add", [x, attn], f"{p}.res1"), f"{p}.attention.output.LayerNorm", f"{p}.n1")
        inter = linear(x, f"{p}.intermediate.dense", f"{p}.inter")
        gelu = node("Mul", [node("Mul", [inter, "half"], f"{p}.gh"),
                            node("Add", [node("Erf", [node("Div", [inter, "sqrt2"], f"{p}.gd")], f"{p}.ge"), "one"],
                                 f"{p}.ga")], f"{p}.gelu")
        out = linear(gelu, f"{p}.output.dense", f"{p}.out")
        x = norm(node("Add", [x, out], f"{p}.res2"), f"{p}.output.LayerNorm", f"{p}.n2")
    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
              for n in ("input_ids", "attention_mask", "token_type_ids")]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden])
    graph = helper.make_graph(nodes, "all-MiniLM-L6-v2", inputs, [output], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def quantize_dynamic_int8(fp32: Path, out: Path) -> Path:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process is noise here: the graph is already plain
    try:
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
    return out

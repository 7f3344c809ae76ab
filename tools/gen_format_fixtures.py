#!/usr/bin/python3
"""Generate the Keras HDF5 and ONNX fixtures under test/fixtures/formats/.

Run with Debian's interpreter (it has torch 1.13, onnx, h5py and numpy):

    /usr/bin/python3 tools/gen_format_fixtures.py

Everything here is written by independent tools (h5py, torch.onnx.export, onnx.helper, onnx.load), so
the TypeScript readers in src/io are checked against the outside world, never against themselves.
The output is deterministic (fixed seeds); re-running rewrites the same files.
"""
import json
import os
import shutil

import h5py
import numpy as np
import onnx
import onnx.external_data_helper
import onnx.helper
import onnx.numpy_helper
import torch
import torch.nn as nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "formats")
KERAS_EXPECTED = os.path.join(OUT, "keras_expected")


# --------------------------------------------------------------------------------------------------
# Keras HDF5
# --------------------------------------------------------------------------------------------------
# A few layers in keras-applications MobileNet naming, with weight names in Keras 2's
# "<layer>/<variable>:0" form. Layers without weights (input, activation) have empty weight_names,
# exactly as Keras writes them.
def keras_layers():
    rng = np.random.default_rng(1234)

    def rand(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    # The depthwise kernel is stored as float16 in one file: pick values that float16 holds exactly,
    # so one set of expected float32 values serves every file.
    depthwise = rand(3, 3, 8, 1).astype(np.float16).astype(np.float32)
    return [
        ("input_1", []),
        ("conv1", [("conv1/kernel:0", rand(3, 3, 3, 8))]),  # (kh, kw, C_in, C_out)
        (
            "conv1_bn",
            [
                ("conv1_bn/gamma:0", rand(8)),
                ("conv1_bn/beta:0", rand(8)),
                ("conv1_bn/moving_mean:0", rand(8)),
                ("conv1_bn/moving_variance:0", np.abs(rand(8)) + 0.5),
            ],
        ),
        ("conv1_relu", []),
        ("conv_dw_1", [("conv_dw_1/depthwise_kernel:0", depthwise)]),  # (kh, kw, C, multiplier)
        ("predictions", [("predictions/kernel:0", rand(8, 5)), ("predictions/bias:0", rand(5))]),
    ]


def fixed_strings(names):
    """Keras 2 with h5py 2: a numpy array of bytes, i.e. HDF5 fixed-length strings."""
    if not names:
        return np.asarray([])  # what Keras writes for a layer without weights: an empty float64 array
    return np.array([n.encode("utf8") for n in names])


def write_string_list(group, key, names, encoding, chunks=1):
    """Write a list of names as an attribute; `chunks` > 1 splits it into key0, key1, ... as Keras
    does for attributes over the 64 KB object-header limit."""
    parts = [names] if chunks == 1 else [list(c) for c in np.array_split(np.array(names, dtype=object), chunks)]
    for index, part in enumerate(parts):
        name = key if chunks == 1 else f"{key}{index}"
        if encoding == "fixed":
            group.attrs[name] = fixed_strings(part)
        else:
            group.attrs.create(name, list(part), dtype=h5py.string_dtype("utf-8"))


def write_scalar_string(group, key, value, encoding):
    if encoding == "fixed":
        group.attrs[key] = np.bytes_(value.encode("utf8"))  # fixed-length scalar string
    else:
        group.attrs[key] = value  # h5py 3 stores str as a variable-length UTF-8 string


def write_keras_weights_group(group, layers, encoding, dtypes=None, chunks=1):
    """What keras.saving.hdf5_format.save_weights_to_hdf5_group writes into `group`."""
    dtypes = dtypes or {}
    write_string_list(group, "layer_names", [name for name, _ in layers], encoding, chunks)
    write_scalar_string(group, "backend", "tensorflow", encoding)
    write_scalar_string(group, "keras_version", "2.2.4" if encoding == "fixed" else "2.11.0", encoding)
    for layer_name, weights in layers:
        g = group.create_group(layer_name)
        write_string_list(g, "weight_names", [w for w, _ in weights], encoding)
        for weight_name, value in weights:
            g.create_dataset(weight_name, data=value.astype(dtypes.get(weight_name, np.float32)))


def gen_keras():
    os.makedirs(KERAS_EXPECTED, exist_ok=True)
    layers = keras_layers()

    # (1) weights-only, fixed-length byte strings (Keras 2.2 era), one float16 dataset.
    with h5py.File(os.path.join(OUT, "keras_weights_only_fixed.h5"), "w") as f:
        write_keras_weights_group(f, layers, "fixed", dtypes={"conv_dw_1/depthwise_kernel:0": np.float16})

    # (2) weights-only, variable-length UTF-8 strings (Keras 2.x with h5py 3), big-endian float32 for one.
    with h5py.File(os.path.join(OUT, "keras_weights_only_vlen.h5"), "w") as f:
        write_keras_weights_group(f, layers, "vlen", dtypes={"conv1_bn/beta:0": np.dtype(">f4")})

    # (3) full model: model_config at the root, weights under model_weights, optimizer state beside it.
    with h5py.File(os.path.join(OUT, "keras_full_model.h5"), "w") as f:
        f.attrs["keras_version"] = "2.11.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": "Functional", "config": {"name": "tiny"}})
        f.attrs["training_config"] = json.dumps({"loss": "categorical_crossentropy"})
        write_keras_weights_group(
            f.create_group("model_weights"), layers, "vlen", dtypes={"predictions/kernel:0": np.float64}
        )
        opt = f.create_group("optimizer_weights")
        opt.create_dataset("iterations:0", data=np.int64(42))

    # (4) weights-only with layer_names split into layer_names0/layer_names1 (Keras' chunked attributes).
    with h5py.File(os.path.join(OUT, "keras_chunked_attrs.h5"), "w") as f:
        write_keras_weights_group(f, layers, "fixed", chunks=2)

    # Refusal cases.
    conv_kernel = layers[1][1][0][1]
    with h5py.File(os.path.join(OUT, "keras_bad_missing_layer.h5"), "w") as f:
        write_keras_weights_group(f, layers[:2], "vlen")
        write_string_list(f, "layer_names", ["conv1", "ghost_layer"], "vlen")
    with h5py.File(os.path.join(OUT, "keras_bad_missing_dataset.h5"), "w") as f:
        write_keras_weights_group(f, layers[1:2], "fixed")
        write_string_list(f["conv1"], "weight_names", ["conv1/kernel:0", "conv1/bias:0"], "fixed")
    with h5py.File(os.path.join(OUT, "keras_bad_int_dataset.h5"), "w") as f:
        write_keras_weights_group(f, [("conv1", [("conv1/kernel:0", np.arange(6))])], "vlen",
                                  dtypes={"conv1/kernel:0": np.int32})
    with h5py.File(os.path.join(OUT, "keras_bad_no_layer_names.h5"), "w") as f:
        f.create_dataset("data", data=conv_kernel)
    # Non-ASCII layer and weight names, UTF-8 bytes in fixed-length strings (as Keras writes them).
    with h5py.File(os.path.join(OUT, "keras_non_ascii_names.h5"), "w") as f:
        write_keras_weights_group(f, [("conv_\u00fc", [("conv_\u00fc/kernel:0", conv_kernel)])], "fixed")
    # Keras 3's `.weights.h5` layout (layers/<name>/vars/<index>), which the reader refuses by name.
    with h5py.File(os.path.join(OUT, "keras_v3_layout.h5"), "w") as f:
        f.create_group("layers").create_group("conv1").create_group("vars").create_dataset("0", data=conv_kernel)
        f.create_group("vars")

    # Expected values (float32) and the order of layers and weights every file above (1)-(4) holds.
    manifest = {"layers": []}
    for layer_name, weights in layers:
        entry = {"name": layer_name, "weights": []}
        for weight_name, value in weights:
            file_name = weight_name.replace("/", "__").replace(":", "_") + ".npy"
            np.save(os.path.join(KERAS_EXPECTED, file_name), value.astype(np.float32))
            entry["weights"].append({"name": weight_name, "file": file_name, "shape": list(value.shape)})
        manifest["layers"].append(entry)
    manifest["versions"] = {
        "keras_weights_only_fixed.h5": {"keras_version": "2.2.4", "backend": "tensorflow"},
        "keras_weights_only_vlen.h5": {"keras_version": "2.11.0", "backend": "tensorflow"},
        "keras_full_model.h5": {"keras_version": "2.11.0", "backend": "tensorflow"},
        "keras_chunked_attrs.h5": {"keras_version": "2.2.4", "backend": "tensorflow"},
    }
    with open(os.path.join(KERAS_EXPECTED, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)


# --------------------------------------------------------------------------------------------------
# ONNX
# --------------------------------------------------------------------------------------------------
class TinyNet(nn.Module):
    """Conv-BN-ReLU, depthwise Conv-BN-ReLU6, pointwise Conv with a residual Add, a BatchNorm that no
    Conv precedes, global pool, flatten, linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.dw = nn.Conv2d(8, 8, 3, stride=1, padding=1, groups=8, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.relu6 = nn.ReLU6()
        self.pw = nn.Conv2d(8, 8, 1, bias=True)
        self.bn3 = nn.BatchNorm2d(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        z = self.pw(self.relu6(self.bn2(self.dw(y))))
        z = self.bn3(z + y)
        return self.fc(self.flatten(self.pool(z)))


def tensor_dump(t):
    arr = onnx.numpy_helper.to_array(t)
    return {
        "name": t.name,
        "dims": list(t.dims),
        "data_type": onnx.TensorProto.DataType.Name(t.data_type),
        "storage": "raw_data" if t.HasField("raw_data") else "typed",
        "values": [v.item() if hasattr(v, "item") else v for v in arr.reshape(-1).tolist()],
    }


def attribute_dump(a):
    kind = onnx.AttributeProto.AttributeType.Name(a.type)
    if kind == "FLOAT":
        value = a.f
    elif kind == "INT":
        value = a.i
    elif kind == "STRING":
        value = a.s.decode("utf8")
    elif kind == "TENSOR":
        value = tensor_dump(a.t)
    elif kind == "FLOATS":
        value = list(a.floats)
    elif kind == "INTS":
        value = list(a.ints)
    elif kind == "STRINGS":
        value = [s.decode("utf8") for s in a.strings]
    else:
        raise ValueError(f"attribute kind {kind} not dumped")
    return {"type": kind, "value": value}


def value_info_dump(v):
    tt = v.type.tensor_type
    shape = []
    for d in tt.shape.dim:
        which = d.WhichOneof("value")
        shape.append(d.dim_value if which == "dim_value" else d.dim_param if which == "dim_param" else None)
    return {"name": v.name, "elem_type": onnx.TensorProto.DataType.Name(tt.elem_type), "shape": shape}


def model_dump(path):
    """What onnx.load sees in a model file, as plain JSON."""
    m = onnx.load(path)
    g = m.graph
    return {
        "ir_version": m.ir_version,
        "producer_name": m.producer_name,
        "producer_version": m.producer_version,
        "opset_import": [{"domain": o.domain, "version": o.version} for o in m.opset_import],
        "metadata": {p.key: p.value for p in m.metadata_props},
        "graph": {
            "name": g.name,
            "nodes": [
                {
                    "name": n.name,
                    "op_type": n.op_type,
                    "domain": n.domain,
                    "inputs": list(n.input),
                    "outputs": list(n.output),
                    "attributes": {a.name: attribute_dump(a) for a in n.attribute},
                }
                for n in g.node
            ],
            "initializers": [tensor_dump(t) for t in g.initializer],
            "inputs": [value_info_dump(v) for v in g.input],
            "outputs": [value_info_dump(v) for v in g.output],
            "value_info": [value_info_dump(v) for v in g.value_info],
        },
    }


def write_dump(model_file, dump_file):
    with open(os.path.join(OUT, dump_file), "w") as fh:
        json.dump(model_dump(os.path.join(OUT, model_file)), fh, indent=1)


def gen_torch_onnx():
    torch.manual_seed(0)
    net = TinyNet()
    # Non-trivial BatchNorm statistics so that BN matters in the output.
    with torch.no_grad():
        for bn in (net.bn1, net.bn2, net.bn3):
            bn.running_mean.copy_(torch.randn(8) * 0.1)
            bn.running_var.copy_(torch.rand(8) + 0.5)
            bn.weight.copy_(torch.rand(8) + 0.5)
            bn.bias.copy_(torch.randn(8) * 0.1)
    net.eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        y = net(x)
    path = os.path.join(OUT, "tiny_torch.onnx")
    # TrainingMode.PRESERVE on an eval-mode model exports inference BatchNorm nodes without the
    # Conv+BN fusion that TrainingMode.EVAL applies, so BatchNormalization appears in the graph.
    torch.onnx.export(
        net,
        x,
        path,
        opset_version=13,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False,
    )
    onnx.checker.check_model(onnx.load(path))
    np.save(os.path.join(OUT, "tiny_torch_input.npy"), x.numpy())
    np.save(os.path.join(OUT, "tiny_torch_output.npy"), y.numpy())
    write_dump("tiny_torch.onnx", "tiny_torch_onnx_dump.json")


def gen_handbuilt_reference():
    """Weights, input and torch output for a model the tests build by hand with our writer:
    Conv(3→4, k3, stride 1, pad 1, bias) → Relu → GlobalAveragePool."""
    torch.manual_seed(7)
    conv = nn.Conv2d(3, 4, 3, stride=1, padding=1, bias=True)
    net = nn.Sequential(conv, nn.ReLU(), nn.AdaptiveAvgPool2d(1)).eval()
    x = torch.randn(1, 3, 8, 8)
    with torch.no_grad():
        y = net(x)
    np.save(os.path.join(OUT, "handbuilt_conv_weight.npy"), conv.weight.detach().numpy())  # (C_out, C_in, kh, kw)
    np.save(os.path.join(OUT, "handbuilt_conv_bias.npy"), conv.bias.detach().numpy())
    np.save(os.path.join(OUT, "handbuilt_input.npy"), x.numpy())
    np.save(os.path.join(OUT, "handbuilt_output.npy"), y.numpy())  # (1, 4, 1, 1)


def gen_helper_onnx():
    """Models built with onnx.helper: every tensor storage field and attribute kind, plus refusals."""
    h = onnx.helper
    T = onnx.TensorProto
    inits = [
        h.make_tensor("f32_typed", T.FLOAT, [2, 3], [0.5, -1.25, 3.0, 1e-7, -0.0, 65504.0]),  # float_data
        h.make_tensor("f32_raw", T.FLOAT, [3], np.array([1.5, -2.5, 3.25], np.float32).tobytes(), raw=True),
        h.make_tensor("i64_typed", T.INT64, [4], [1, -2, 2**40, -(2**62)]),  # int64_data
        h.make_tensor("i64_raw", T.INT64, [2], np.array([7, -(2**50)], np.int64).tobytes(), raw=True),
        h.make_tensor("i32_typed", T.INT32, [3], [-5, 0, 2**31 - 1]),  # int32_data
        h.make_tensor("i8_typed", T.INT8, [3], [-128, 0, 127]),  # int32_data
        h.make_tensor("u8_typed", T.UINT8, [2], [0, 255]),  # int32_data
        h.make_tensor("bool_typed", T.BOOL, [3], [True, False, True]),  # int32_data
        h.make_tensor("f16_typed", T.FLOAT16, [3], np.array([1.0, -0.5, 65504.0], np.float16)),  # int32_data bits
        h.make_tensor("f64_typed", T.DOUBLE, [2], [0.1, -1e300]),  # double_data
        h.make_tensor("f32_scalar", T.FLOAT, [], [42.0]),
        h.make_tensor("f32_empty", T.FLOAT, [0, 3], []),
    ]
    node = h.make_node(
        "Everything",
        inputs=["x", "f32_typed"],
        outputs=["y"],
        name="every_attribute",
        domain="com.example",
        f=0.25,
        i=-3,
        big=2**52,
        s="same_upper",
        t=h.make_tensor("t", T.FLOAT, [2], [1.0, 2.0]),
        floats=[0.5, 1.5],
        ints=[1, -1, 2**40],
        strings=["a", "bc", "ünï"],
    )
    relu = h.make_node("Relu", ["y"], ["z"], name="relu")
    graph = h.make_graph(
        [node, relu],
        "helper_graph",
        inputs=[h.make_tensor_value_info("x", T.FLOAT, ["N", 3, None, 7])],
        outputs=[h.make_tensor_value_info("z", T.FLOAT, ["N", 3, None, 7])],
        initializer=inits,
        value_info=[h.make_tensor_value_info("y", T.FLOAT, ["N", 3, None, 7])],
    )
    model = h.make_model(
        graph,
        producer_name="onnx.helper",
        producer_version=onnx.__version__,
        opset_imports=[h.make_opsetid("", 13), h.make_opsetid("com.example", 1)],
    )
    model.ir_version = 8
    h.set_model_props(model, {"author": "gen_format_fixtures.py", "purpose": "typed fields"})
    onnx.save(model, os.path.join(OUT, "helper_typed_fields.onnx"))
    write_dump("helper_typed_fields.onnx", "helper_typed_fields_onnx_dump.json")

    def small_model(initializers, nodes=None, name="bad"):
        g = h.make_graph(
            nodes or [h.make_node("Identity", ["x"], ["y"], name="id")],
            name,
            inputs=[h.make_tensor_value_info("x", T.FLOAT, [1])],
            outputs=[h.make_tensor_value_info("y", T.FLOAT, [1])],
            initializer=initializers,
        )
        m = h.make_model(g, producer_name="onnx.helper", opset_imports=[h.make_opsetid("", 13)])
        m.ir_version = 8
        return m

    # A tensor whose data lives in an external file.
    ext = h.make_tensor("external_weight", T.FLOAT, [4], np.arange(4, dtype=np.float32).tobytes(), raw=True)
    onnx.external_data_helper.set_external_data(ext, location="weights.bin", offset=0, length=16)
    ext.ClearField("raw_data")
    ext.data_location = T.EXTERNAL
    onnx.save(small_model([ext]), os.path.join(OUT, "helper_external_data.onnx"))

    # dims say 2×3 = 6 floats, raw_data holds 5.
    short = h.make_tensor("short_weight", T.FLOAT, [2, 3], np.arange(6, dtype=np.float32).tobytes(), raw=True)
    short.raw_data = np.arange(5, dtype=np.float32).tobytes()  # make_tensor would refuse this itself
    onnx.save(small_model([short]), os.path.join(OUT, "helper_bad_length.onnx"))

    # An int attribute beyond 2^53.
    huge = h.make_node("Identity", ["x"], ["y"], name="huge_attr", huge=2**60)
    onnx.save(small_model([], [huge]), os.path.join(OUT, "helper_int_overflow.onnx"))

    # Valid ONNX that the reader does not handle: a sequence-typed input, a sparse initializer, a node
    # with a graph attribute (If).
    seq_graph = h.make_graph(
        [h.make_node("SequenceLength", ["s"], ["n"], name="len")],
        "sequence_input",
        inputs=[h.make_tensor_sequence_value_info("s", T.FLOAT, None)],
        outputs=[h.make_tensor_value_info("n", T.INT64, [])],
    )
    seq_model = h.make_model(seq_graph, producer_name="onnx.helper", opset_imports=[h.make_opsetid("", 13)])
    seq_model.ir_version = 8
    onnx.save(seq_model, os.path.join(OUT, "helper_sequence_input.onnx"))

    sparse_model = small_model([])
    sparse_model.graph.sparse_initializer.append(
        h.make_sparse_tensor(h.make_tensor("sparse_values", T.FLOAT, [2], [1.0, 2.0]),
                             h.make_tensor("sparse_indices", T.INT64, [2], [0, 3]), [4])
    )
    onnx.save(sparse_model, os.path.join(OUT, "helper_sparse_initializer.onnx"))

    branch = lambda value: h.make_graph(  # noqa: E731
        [h.make_node("Constant", [], [f"out_{value}"], value=h.make_tensor("v", T.FLOAT, [1], [value]))],
        f"branch_{value}", [], [h.make_tensor_value_info(f"out_{value}", T.FLOAT, [1])],
    )
    if_node = h.make_node("If", ["cond"], ["y"], name="branching", then_branch=branch(1.0), else_branch=branch(0.0))
    if_graph = h.make_graph(
        [if_node], "graph_attribute",
        inputs=[h.make_tensor_value_info("cond", T.BOOL, [])],
        outputs=[h.make_tensor_value_info("y", T.FLOAT, [1])],
    )
    if_model = h.make_model(if_graph, producer_name="onnx.helper", opset_imports=[h.make_opsetid("", 13)])
    if_model.ir_version = 8
    onnx.checker.check_model(if_model)
    onnx.save(if_model, os.path.join(OUT, "helper_graph_attribute.onnx"))

    # A ModelProto without a graph.
    no_graph = onnx.ModelProto(ir_version=8, producer_name="onnx.helper")
    no_graph.opset_import.append(h.make_opsetid("", 13))
    with open(os.path.join(OUT, "helper_no_graph.onnx"), "wb") as fh:
        fh.write(no_graph.SerializeToString())


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    gen_keras()
    gen_torch_onnx()
    gen_handbuilt_reference()
    gen_helper_onnx()
    with open(os.path.join(OUT, "README.md"), "w") as fh:
        fh.write(README)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total} bytes)")


README = """# Format fixtures (Keras HDF5, ONNX)

Generated by `tools/gen_format_fixtures.py` with Debian's `/usr/bin/python3` (torch 1.13, onnx 1.12,
h5py 3.7, numpy 1.24): `/usr/bin/python3 tools/gen_format_fixtures.py`. Deterministic (fixed seeds);
re-running rewrites this folder. Every file is written by an independent tool (h5py, torch.onnx.export,
onnx.helper), never by mobilenet-ts, so the tests check our readers against the outside world.

## Keras HDF5 (written with h5py in the layout keras' `save_weights_to_hdf5_group` writes)
Layers in keras-applications MobileNet naming: `input_1` (no weights), `conv1` (kernel 3×3×3×8),
`conv1_bn` (gamma, beta, moving_mean, moving_variance), `conv1_relu` (no weights), `conv_dw_1`
(depthwise_kernel 3×3×8×1), `predictions` (dense kernel 8×5 and bias 5). Each layer group has a
`weight_names` attribute (`conv1/kernel:0`, ...) and the dataset sits at `<layer>/<weight_name>`.

| file | layout | string attributes | dtype twists |
| --- | --- | --- | --- |
| `keras_weights_only_fixed.h5` | weights-only (`layer_names` at the root) | fixed-length byte strings (Keras 2.2 with h5py 2) | `conv_dw_1/depthwise_kernel:0` stored as float16 |
| `keras_weights_only_vlen.h5` | weights-only | variable-length UTF-8 strings (h5py 3) | `conv1_bn/beta:0` stored big-endian float32 |
| `keras_full_model.h5` | full model: `model_config` at the root, weights under `model_weights`, an `optimizer_weights` group beside it | variable-length | `predictions/kernel:0` stored as float64 |
| `keras_chunked_attrs.h5` | weights-only with `layer_names` split into `layer_names0`, `layer_names1` (how Keras stores attributes over 64 KB) | fixed-length | — |

Layers without weights carry an empty `weight_names` (an empty float64 array for the fixed-length files,
as Keras writes `np.asarray([])`; an empty string array for the vlen ones).

`keras_expected/` holds the expected float32 values, one `numpy.save` file per weight, and `manifest.json`
with the layer and weight order and each file's `keras_version`/`backend`. The depthwise values were
rounded through float16 first so they are the same in every file.

`keras_non_ascii_names.h5`: one layer `conv_ü` with weight `conv_ü/kernel:0` (the `conv1` kernel values),
names stored as UTF-8 bytes in fixed-length strings.

Refusal cases: `keras_bad_missing_layer.h5` (`layer_names` lists `ghost_layer`, which has no group),
`keras_bad_missing_dataset.h5` (`weight_names` lists `conv1/bias:0`, which has no dataset),
`keras_bad_int_dataset.h5` (an int32 kernel), `keras_bad_no_layer_names.h5` (an HDF5 file that is not
a Keras weights file), `keras_v3_layout.h5` (Keras 3's `.weights.h5` layout: `layers/conv1/vars/0`).

## ONNX
- `tiny_torch.onnx`: `torch.onnx.export` (opset 13, `training=TrainingMode.PRESERVE` on an eval-mode
  model so BatchNormalization is not fused into Conv, `do_constant_folding=False`, dynamic batch axis
  `batch`) of a tiny module: Conv(3→8, s2) → BatchNorm → ReLU → depthwise Conv (groups=8) → BatchNorm →
  ReLU6 (exported as Clip) → Conv 1×1 with bias → Add (residual) → BatchNorm → AdaptiveAvgPool2d(1)
  (GlobalAveragePool) → Flatten → Linear (Gemm). `tiny_torch_input.npy` (2×3×16×16) and
  `tiny_torch_output.npy` (torch's eval output, 2×5). `tiny_torch_onnx_dump.json`: what `onnx.load`
  sees (ir_version, opsets, producer, node op types/inputs/outputs/attributes, initializer names, dims
  and values, graph inputs/outputs with dim_value/dim_param).
- `handbuilt_*.npy`: weights (`conv_weight` 4×3×3×3, `conv_bias` 4), input (1×3×8×8) and torch output
  (1×4×1×1) of Conv2d(3→4, k3, stride 1, pad 1) → ReLU → AdaptiveAvgPool2d(1); the tests build the same
  model by hand with our ONNX writer and run it in onnxruntime.
- `helper_typed_fields.onnx` (+ `helper_typed_fields_onnx_dump.json`): built with `onnx.helper`:
  initializers in every storage field (float_data, int32_data for int32/int8/uint8/bool/float16 bits,
  int64_data, double_data, raw_data, a scalar, an empty tensor), one node in domain `com.example` with
  an attribute of every kind we read (float, int, string, tensor, floats, ints, strings), metadata
  props, symbolic and unknown dims, a value_info entry.
- Refusal cases: `helper_external_data.onnx` (a tensor with data_location EXTERNAL),
  `helper_bad_length.onnx` (dims 2×3 but 5 floats of raw_data), `helper_int_overflow.onnx` (an int
  attribute of 2^60), `helper_no_graph.onnx` (a ModelProto without a graph); valid ONNX the reader does
  not handle: `helper_sequence_input.onnx` (a sequence-typed graph input), `helper_sparse_initializer.onnx`
  (a sparse initializer), `helper_graph_attribute.onnx` (an If node with GRAPH attributes).
"""

if __name__ == "__main__":
    main()

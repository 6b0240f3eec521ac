"""Closures to ONNX through jax2onnx, with the real-arithmetic spectral form (ONNX has no complex tensors).

A closure ``X (K,) -> (K,)`` (an ``eqx.Module``, float32) is traced with its spectral layers
switched by :func:`sciml.operators.fno.with_form`: to :class:`~pipelines.export.spectral.SymbolicDFT`
for a symbolic K, to the fixed-size ``"dft"`` form for one K. Closures without spectral layers
(null, poly, mlp) are traced as they are.

>>> data, ops = closure_to_onnx(closure, k=None, min_k=15)     # symbolic K (may raise)
>>> data, ops = closure_to_onnx(closure, k=36)                 # K fixed to 36
"""

from __future__ import annotations

import contextlib
import io
import logging

import jax
import jax.numpy as jnp
import onnx

from sciml.operators.fno import with_form

from .metadata import SYMBOLIC_AXIS, ExportError
from .spectral import SymbolicDFT

__all__ = ["INPUT_NAME", "OPSET", "OUTPUT_NAME", "closure_to_onnx", "export_form", "input_spec"]

INPUT_NAME = "x"
OUTPUT_NAME = "closure_tendency"
OPSET = 23
_COMPLEX = {onnx.TensorProto.COMPLEX64, onnx.TensorProto.COMPLEX128}


def export_form(closure, k: int | None):
    """``closure`` with its spectral layers (if any) in the real DFT form for a symbolic (None) or fixed ``k``."""
    return with_form(closure, SymbolicDFT() if k is None else "dft")


def input_spec(k: int | None, min_k: int = 4) -> jax.ShapeDtypeStruct:
    """The float32 state's shape: ``(K,)`` with K symbolic (constrained ``K >= min_k``) or fixed."""
    if k is None:
        (size,) = jax.export.symbolic_shape(SYMBOLIC_AXIS, constraints=(f"{SYMBOLIC_AXIS} >= {min_k}",))
    else:
        size = k
    return jax.ShapeDtypeStruct((size,), jnp.float32)


def closure_to_onnx(closure, k: int | None, *, min_k: int = 4, model_name: str = "closure") -> tuple[bytes, list[str]]:
    """Serialized ONNX model of ``closure`` and the sorted ONNX op types it uses.

    Args:
        closure: callable ``(K,) -> (K,)`` (an ``eqx.Module``), float32.
        k: fixed ring size, or None for a symbolic axis named ``"K"``.
        min_k: the smallest K the symbolic graph is traced for (the spectral modes must fit it).

    Raises:
        ExportError: the graph holds a complex tensor (the spectral form did not apply).
        Exception: whatever jax2onnx raises when it cannot lower the closure (e.g. for a symbolic K).
    """
    from jax2onnx import to_onnx

    model = export_form(closure, k)
    fn = lambda x: model(x)  # noqa: E731
    log = logging.getLogger("jax2onnx")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            proto = to_onnx(fn, [input_spec(k, min_k)], model_name=model_name, opset=OPSET,
                            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME])
    finally:
        log.setLevel(level)
    _flatten_output(proto)
    onnx.checker.check_model(proto, full_check=True)
    _check_real(proto)
    return proto.SerializeToString(), sorted({node.op_type for node in proto.graph.node})


def _flatten_output(proto: onnx.ModelProto) -> None:
    """Make the graph's output 1-D, ``(K,)``, as the JAX closure's.

    jax2onnx 0.17.1 drops the final ``squeeze`` of a vmapped scalar-output MLP (the local MLP
    closure), leaving an output of shape ``(K, 1)``; a ``Reshape`` to ``(-1,)`` restores ``(K,)``.
    """
    graph = proto.graph
    out = graph.output[0]
    dims = out.type.tensor_type.shape.dim
    if len(dims) == 1:
        return
    inner = f"{out.name}__unflattened"
    for node in graph.node:
        node.output[:] = [inner if name == out.name else name for name in node.output]
        node.input[:] = [inner if name == out.name else name for name in node.input]
    shape_name = f"{out.name}__shape"
    graph.initializer.append(onnx.helper.make_tensor(shape_name, onnx.TensorProto.INT64, [1], [-1]))
    graph.node.append(onnx.helper.make_node("Reshape", [inner, shape_name], [out.name]))
    kept = [d for d in dims if not (d.HasField("dim_value") and d.dim_value == 1)]
    first = onnx.TensorShapeProto.Dimension()
    if len(kept) == 1:
        first.CopyFrom(kept[0])
    else:
        first.dim_param = SYMBOLIC_AXIS
    del dims[:]
    dims.append(first)


def _check_real(proto: onnx.ModelProto) -> None:
    tensors = list(proto.graph.input) + list(proto.graph.output) + list(proto.graph.value_info)
    bad = [v.name for v in tensors if v.type.tensor_type.elem_type in _COMPLEX]
    bad += [t.name for t in proto.graph.initializer if t.data_type in _COMPLEX]
    if bad:
        raise ExportError(f"the ONNX graph holds complex tensors ({', '.join(bad[:3])}); ONNX runtimes do not "
                          "support them: switch the spectral layers to the real DFT form")

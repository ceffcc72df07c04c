"""A GGUF file's header: its scalar metadata and its tensors' names, shapes and sizes, without the data.

gguf's GGUFReader maps every field of the file into numpy views, the tokenizer's 150-260k strings too,
which took 90 s per model on the loaded 2-core VM; reading the header with struct takes a fraction of a
second. Layout: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (version 2 and 3).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True, slots=True)
class Tensor:
    name: str
    shape: tuple[int, ...]
    n_elements: int
    n_bytes: int


def _unpack(handle: BinaryIO, fmt: str) -> int | float | bool:
    size = struct.calcsize(fmt)
    return struct.unpack(fmt, handle.read(size))[0]


def _string(handle: BinaryIO) -> str:
    return handle.read(int(_unpack(handle, "<Q"))).decode("utf-8", errors="replace")


def _value(handle: BinaryIO, kind: int) -> object:
    if kind in _SCALARS:
        return _unpack(handle, _SCALARS[kind])
    if kind == _STRING:
        return _string(handle)
    if kind == _ARRAY:
        item, count = int(_unpack(handle, "<I")), int(_unpack(handle, "<Q"))
        if item in _SCALARS:  # skipped whole: only the length is kept
            handle.seek(struct.calcsize(_SCALARS[item]) * count, 1)
        else:
            for _ in range(count):
                _value(handle, item)
        return count
    raise ValueError(f"unknown GGUF value type {kind}")


def read_header(path: Path) -> tuple[dict[str, object], list[Tensor]]:
    """(metadata, tensors). Arrays are given as their length."""
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    with open(path, "rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ValueError(f"{path.name} is not a GGUF file")
        version = int(_unpack(handle, "<I"))
        if version < 2:
            raise ValueError(f"{path.name}: GGUF version {version} is not supported")
        n_tensors, n_kv = int(_unpack(handle, "<Q")), int(_unpack(handle, "<Q"))
        metadata = {}
        for _ in range(n_kv):
            key = _string(handle)
            metadata[key] = _value(handle, int(_unpack(handle, "<I")))
        tensors = []
        for _ in range(n_tensors):
            name = _string(handle)
            dims = tuple(int(_unpack(handle, "<Q")) for _ in range(int(_unpack(handle, "<I"))))
            kind = GGMLQuantizationType(int(_unpack(handle, "<I")))
            _unpack(handle, "<Q")  # offset of the data
            elements = 1
            for dim in dims:
                elements *= dim
            block, block_bytes = GGML_QUANT_SIZES[kind]
            tensors.append(Tensor(name=name, shape=dims, n_elements=elements,
                                  n_bytes=elements // block * block_bytes))
    return metadata, tensors


def bytes_per_token(tensors: list[Tensor]) -> int:
    """Weight bytes a decode step reads (the runtime benchmark's ceiling and the tier prediction): every tensor once;
    the token-embedding table whole only when the output layer is tied to it, else one row of it."""
    tied = not any(t.name == "output.weight" for t in tensors)
    total = 0
    for tensor in tensors:
        if tensor.name == "token_embd.weight" and not tied:
            rows = tensor.shape[-1] if len(tensor.shape) > 1 else 1
            total += tensor.n_bytes // max(rows, 1)
        else:
            total += tensor.n_bytes
    return total

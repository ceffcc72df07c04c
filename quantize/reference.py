"""A full-precision reference, offline: dequantize a GGUF to F16 or F32 with the `gguf` package.

Note what this reference is: the dequantized weights of an already-quantized file. Quantizing
it again measures what each type loses relative to those weights; with a network,
`coach models pull` can fetch the original F16 instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from models.errors import InputError
from models.store import sha256_file


def dequantize_gguf(source: Path, output: Path, *, out_type: str = "F16",
                    progress: Callable[[int, int], None] | None = None) -> Path:
    from gguf import GGUFReader, GGUFValueType, GGUFWriter
    from gguf.quants import dequantize

    if out_type not in ("F16", "F32"):
        raise InputError("a reference is F16 or F32")
    reader = GGUFReader(str(source))
    arch = reader.fields["general.architecture"].contents()
    writer = GGUFWriter(str(output), arch)
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name in ("general.architecture", "general.file_type"):
            continue
        value_type = field.types[0]
        if value_type == GGUFValueType.ARRAY:
            writer.add_array(name, field.contents())
        else:
            writer.add_key_value(name, field.contents(), value_type)
    writer.add_file_type(1 if out_type == "F16" else 0)
    total = len(reader.tensors)
    for index, tensor in enumerate(reader.tensors):
        shape = tuple(int(d) for d in reversed(tensor.shape))  # numpy order
        values = dequantize(np.asarray(tensor.data), tensor.tensor_type).reshape(shape)
        # 1-D tensors (norms, biases) stay F32, as llama.cpp's converters keep them.
        target = np.float16 if out_type == "F16" and len(shape) > 1 else np.float32
        writer.add_tensor(tensor.name, values.astype(target))
        if progress:
            progress(index + 1, total)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    # The source is a file the user named, not one ModelStore verified: record what it was.
    recipe = {"source": str(source), "source_sha256": sha256_file(source), "type": out_type,
              "made_by": "gguf dequantize (quantize/reference.py)", "output_sha256": sha256_file(output)}
    output.with_name(output.name + ".recipe.json").write_text(json.dumps(recipe, indent=2))
    return output

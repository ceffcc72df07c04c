"""A tiny synthetic llama-architecture model in F32, for fast, deterministic quantization tests.

Random weights (seeded) and a small SentencePiece-style vocabulary: every byte, plus a few
hundred word pieces. It predicts nothing useful, but llama.cpp loads, quantizes and runs it
exactly as it would a real model, in seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WORDS = ("the a an of to and in for on with as is are be by at from that this it interview question answer "
         "evaluation model data latency retrieval prompt agent engineer role level staff senior team product "
         "design build own debug define drive partner metric quality user system cost token context").split()


def build_tiny_model(path: Path, *, seed: int = 0, n_embd: int = 256, n_layer: int = 2, n_head: int = 4,
                     n_ff: int = 512, n_ctx: int = 512) -> Path:
    from gguf import GGUFWriter, TokenType

    rng = np.random.default_rng(seed)
    tokens: list[bytes] = [b"<unk>", b"<s>", b"</s>"]
    types = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
    tokens += [f"<0x{i:02X}>".encode() for i in range(256)]
    types += [TokenType.BYTE] * 256
    pieces = sorted({"\u2581" + w for w in WORDS} | {w for w in WORDS} | {"\u2581"})
    tokens += [p.encode() for p in pieces]
    types += [TokenType.NORMAL] * len(pieces)
    while len(tokens) % 32:  # a vocabulary size the quantizers' block sizes divide
        tokens.append(f"<pad{len(tokens)}>".encode())
        types.append(TokenType.UNUSED)
    n_vocab = len(tokens)
    scores = [0.0] * 259 + [-float(i) for i in range(n_vocab - 259)]

    writer = GGUFWriter(str(path), "llama")
    writer.add_name("coach tiny test model")
    writer.add_context_length(n_ctx)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(0)  # ALL_F32
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)

    def weight(*shape: int, scale: float = 0.08) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    # numpy shapes are (rows, cols) = (out, in); GGUF records them reversed, as llama.cpp expects.
    writer.add_tensor("token_embd.weight", weight(n_vocab, n_embd, scale=0.5))
    for layer in range(n_layer):
        prefix = f"blk.{layer}"
        writer.add_tensor(f"{prefix}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"{prefix}.{name}.weight", weight(n_embd, n_embd))
        writer.add_tensor(f"{prefix}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(f"{prefix}.ffn_gate.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"{prefix}.ffn_up.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"{prefix}.ffn_down.weight", weight(n_embd, n_ff))
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    writer.add_tensor("output.weight", weight(n_vocab, n_embd, scale=0.3))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path

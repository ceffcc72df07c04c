"""llama.cpp's evaluated prompt prefix (the KV cache of system prompt + JD) saved to the data directory.

Reopening a JD then costs a file read instead of evaluating its ~500-2,000 tokens again (seconds on
two cores). A file is keyed by the model file's sha256 and the prefix's token ids, so a state is
never restored into another model or for another text. It carries a checksum: a corrupt, truncated
or mismatched file is deleted and the prefix evaluated again. The folder is kept under a size
bound, oldest files first out.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("coach.kvstate")
# The folder's name in the data directory: the files hold a JD's token ids, so `coach forget` deletes it too.
DIR_NAME = "kvstate"
MAGIC = b"COACHKV1"
_HEADER = struct.Struct("<8s32sII")  # magic, payload sha256, n_tokens, state bytes


class PrefixStates:
    def __init__(self, *, root: Path, model_sha256: str, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.root = root
        self.model_sha256 = model_sha256
        self.max_bytes = max_bytes

    def path_for(self, tokens: Sequence[int]) -> Path:
        digest = hashlib.sha256(self.model_sha256.encode() + struct.pack(f"<{len(tokens)}i", *tokens)).hexdigest()
        return self.root / f"{digest[:40]}.kv"

    def save(self, llama: Any, tokens: Sequence[int]) -> Path | None:
        """Save the KV cache of sequence 0, which holds exactly `tokens` now. Best effort: never raises."""
        import llama_cpp

        try:
            ctx = llama._ctx.ctx
            size = llama_cpp.llama_state_seq_get_size(ctx, 0)
            buffer = (ctypes.c_uint8 * size)()
            written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
            if not written:
                return None
            ids = struct.pack(f"<{len(tokens)}i", *tokens)
            state = bytes(buffer)[:written]
            digest = hashlib.sha256(ids + state).digest()
            path = self.path_for(tokens)
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(_HEADER.pack(MAGIC, digest, len(tokens), len(state)) + ids + state)
            tmp.replace(path)  # a reader never sees half a file
            self._bound()
            return path
        except OSError as exc:
            log.info("prefix state not saved: %s", exc)
            return None

    def load(self, llama: Any, tokens: Sequence[int]) -> bool:
        """Restore the KV cache for `tokens` if a sound file for them exists; False (cache untouched or
        cleared) otherwise."""
        import llama_cpp

        path = self.path_for(tokens)
        try:
            data = path.read_bytes()
        except OSError:
            return False
        try:
            magic, digest, n, size = _HEADER.unpack_from(data)
            ids = data[_HEADER.size:_HEADER.size + 4 * n]
            state = data[_HEADER.size + 4 * n:]
            if (magic != MAGIC or n != len(tokens) or len(state) != size
                    or hashlib.sha256(ids + state).digest() != digest
                    or list(struct.unpack(f"<{n}i", ids)) != list(tokens)):
                raise ValueError("corrupt or mismatched")
        except (struct.error, ValueError) as exc:
            log.info("prefix state %s ignored: %s", path.name, exc)
            path.unlink(missing_ok=True)
            return False
        ctx = llama._ctx.ctx
        llama._ctx.kv_cache_seq_rm(-1, 0, -1)
        buffer = (ctypes.c_uint8 * size).from_buffer_copy(state)
        if llama_cpp.llama_state_seq_set_data(ctx, buffer, size, 0) != size:
            llama._ctx.kv_cache_seq_rm(-1, 0, -1)
            llama.n_tokens = 0
            log.info("prefix state %s refused by llama.cpp", path.name)
            path.unlink(missing_ok=True)
            return False
        llama.input_ids[:n] = tokens
        llama.n_tokens = n
        path.touch()  # recently used: last to go when the folder is trimmed
        return True

    def _bound(self) -> None:
        files = sorted(self.root.glob("*.kv"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for path in files:
            if total <= self.max_bytes:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)

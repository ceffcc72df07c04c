"""Peak resident memory in a fresh process, so that the figure is this path's alone.

    python -m bench.rss_probe MODEL_ID           -> the app's path: {"peak_rss_mb": ..., "model_only_mb": ...}
    python -m bench.rss_probe MODEL_ID --model   -> the model alone: load it and generate 64 tokens

The app's path is what a user's session holds: the model loaded as the app loads it (verified, its
context of 4,096 tokens), the embedder, a real JD of 8,000 characters decoded and saved, and the
model's read of it streamed (the longest prompt the app sends). The model-alone figure is taken in
the same process before the rest, so the two can be told apart.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def peak_mb() -> float:
    from models.measure import peak_rss_bytes

    return peak_rss_bytes() / 2**20


def main(model_id: str, model_only: bool) -> dict[str, float]:
    from models.datadir import models_dir
    from models.loader import load_embedder, prepare_text_model
    from models.measure import INTERVIEW_PROMPT
    from models.store import ModelStore

    store = ModelStore(models_dir=models_dir())
    model = prepare_text_model(store, store.registry.get(model_id))
    model.stream(INTERVIEW_PROMPT, max_tokens=64, ignore_eos=True).collect()
    out = {"model_only_mb": peak_mb()}
    if not model_only:
        from bench.conftest import dev_set_text
        from coach.read import stream_read
        from coach.services.decoding import decode_and_save
        from coach.storage import open_db

        embedder = load_embedder(store)
        with tempfile.TemporaryDirectory() as tmp:
            db = open_db(Path(tmp) / "probe.db")
            decoded = decode_and_save(db, dev_set_text(8000), embedder=embedder)
            for _ in stream_read(model, decoded.decode):
                pass
        embedder.close()
    model.close()
    return out | {"peak_rss_mb": peak_mb()}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], "--model" in sys.argv[2:])))

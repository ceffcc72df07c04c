"""Peak resident memory of loading a model and generating with it, in a fresh process.

    python -m bench.rss_probe MODEL_ID   -> prints {"peak_rss_mb": ...}
"""

from __future__ import annotations

import json
import resource
import sys

from models.datadir import models_dir
from models.loader import load_text_model
from models.measure import INTERVIEW_PROMPT
from models.store import ModelStore


def main(model_id: str) -> None:
    store = ModelStore(models_dir=models_dir())
    manifest = store.registry.get(model_id)
    model = load_text_model(store, manifest)
    model.stream(INTERVIEW_PROMPT, max_tokens=64, ignore_eos=True).collect()
    model.close()
    print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main(sys.argv[1])

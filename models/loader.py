"""Turn a manifest into a loaded runtime, always through sha256 verification."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from models import kvstate
from models.embeddings import OnnxEmbedder
from models.errors import ModelIntegrityError, ModelLoadError
from models.llama_runtime import LlamaCppModel
from models.registry import Manifest
from models.store import MISSING, ModelStore, Progress, human_bytes, sha256_file


def available_memory() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_memory(manifest: Manifest, n_ctx: int) -> None:
    """Refuse, before loading, a model this machine cannot hold."""
    if manifest.size is not None:
        _check_memory(manifest.id, manifest.size, n_ctx)


def _check_memory(label: str, size: int, n_ctx: int) -> None:
    free = available_memory()
    if free is None:
        return
    # Weights are mapped whole; the KV cache and compute buffers add a margin.
    needed = int(size * 1.1) + n_ctx * 64 * 1024
    if needed > free:
        raise ModelLoadError(
            f"'{label}' needs about {human_bytes(needed)} of memory and {human_bytes(free)} is available",
            hint="choose the fast tier with `coach models use qwen2.5-coder-0.5b-instruct-q4_k_m`",
        )


def load_text_model(
    store: ModelStore,
    manifest: Manifest,
    *,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    progress: Progress | None = None,
) -> LlamaCppModel:
    """A model already in the data directory, verified by sha256 and loaded (no materialising)."""
    _check_kind(manifest)
    return _open(store, manifest, store.verified_path(manifest, progress), n_ctx=n_ctx, n_threads=n_threads)


def load_gguf_file(path: Path, *, sha256: str, n_ctx: int = 4096, n_threads: int | None = None) -> LlamaCppModel:
    """A GGUF file outside the registry (a benchmark comparing two files), loaded only if it hashes to the
    sha256 the caller pinned: the same full check verified_path makes, without a manifest. Loaded as a base
    model with no saved prefixes (the caller sends plain text)."""
    if not path.is_file():
        raise ModelLoadError(f"no model file at {path}")
    actual = sha256_file(path)
    if actual != sha256:
        raise ModelIntegrityError(f"refusing to load {path.name}: sha256 {actual[:12]}…, expected {sha256[:12]}…",
                                  hint="the file changed since its sha256 was taken")
    _check_memory(path.name, path.stat().st_size, n_ctx)
    return LlamaCppModel(model_path=path, model_id=path.stem, instruct=False, n_ctx=n_ctx, n_threads=n_threads)


def _check_kind(manifest: Manifest) -> None:
    if manifest.kind != "llm":
        raise ModelLoadError(f"'{manifest.id}' is a {manifest.kind} model, not a text model")


def _open(store: ModelStore, manifest: Manifest, path: Path, *, n_ctx: int, n_threads: int | None) -> LlamaCppModel:
    """Load a verified file: refused first if this machine cannot hold it."""
    n_ctx = min(n_ctx, manifest.context_length)
    check_memory(manifest, n_ctx)
    # Saved prompt prefixes (system + JD) live beside the models, keyed by this file's sha256.
    return LlamaCppModel(model_path=path, model_id=manifest.id, instruct=manifest.instruct, n_ctx=n_ctx,
                         n_threads=n_threads, state_dir=store.models_dir.parent / kvstate.DIR_NAME,
                         model_sha256=manifest.sha256)


def load_embedder(store: ModelStore, manifest: Manifest | None = None) -> OnnxEmbedder:
    """The sentence embedder, assembled from its installed package first if needed (23 MB, idempotent)."""
    manifest = manifest or store.registry.default("embedding")
    store.materialize(manifest)
    model_path = store.verified_path(manifest)
    tokenizer_path = store.verified_tokenizer_path(manifest)
    return OnnxEmbedder(
        model_path=model_path,
        tokenizer_path=tokenizer_path,
        dimensions=manifest.dimensions or 384,
        max_length=manifest.context_length,
    )


StageProgress = Callable[[str, int, int], None]
LOADING = "Loading the model into memory"  # a stage with no byte count: reported as (LOADING, 0, 0)


def ready_model_file(store: ModelStore, manifest: Manifest, *, on_progress: StageProgress | None = None) -> Path:
    """The model file, ready to load: materialised from its installed packages if it is not in the
    data directory yet, then verified by sha256. Progress comes as (stage, done, total)."""
    def stage(name: str) -> Progress | None:
        return None if on_progress is None else (lambda done, total: on_progress(name, done, total))

    if store.status(manifest) == MISSING and manifest.pypi_parts:
        store.materialize(manifest, stage("Materialising the model from its installed packages"))
    return store.verified_path(manifest, stage("Verifying sha256"))


def prepare_text_model(store: ModelStore, manifest: Manifest, *, on_progress: StageProgress | None = None,
                       n_ctx: int = 4096, n_threads: int | None = None) -> LlamaCppModel:
    """What the app and every CLI command do to get a model: the file made ready (materialised on
    first use, verified), then loaded; each stage reported, loading as (LOADING, 0, 0)."""
    _check_kind(manifest)
    path = ready_model_file(store, manifest, on_progress=on_progress)
    if on_progress is not None:
        on_progress(LOADING, 0, 0)
    return _open(store, manifest, path, n_ctx=n_ctx, n_threads=n_threads)

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.registry import Manifest, PypiPart, Registry
from models.store import ModelStore


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory: the real one is never touched."""
    home = tmp_path / "coach-home"
    monkeypatch.setenv("COACH_HOME", str(home))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("COACH_CMAKE_ARGS", raising=False)
    return home


@pytest.fixture
def bad_data_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Check that a fitted data file (a module's path attribute, read through a cached loader) that is missing,
    not JSON or without its keys gives a one-line CoachError matching `match` when `use()` reads it."""
    from models.errors import CoachError

    def check(module, attribute: str, loader, use, match: str) -> None:
        for content in (None, "{not json", '{"min_words": 9, "vocabulary": {}}'):
            path = tmp_path / f"bad-{attribute}.json"
            path.unlink(missing_ok=True)
            if content is not None:
                path.write_text(content, encoding="utf-8")
            monkeypatch.setattr(module, attribute, path)
            loader.cache_clear()
            with pytest.raises(CoachError, match=match):
                use()
        loader.cache_clear()  # a failed load is not cached; the path is restored when the test ends

    return check


@pytest.fixture
def models_dir(isolated_home: Path) -> Path:
    from models.datadir import models_dir as resolve

    return resolve()


@pytest.fixture
def chunk_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[PypiPart], bytes]:
    """A fake installed model package: two byte chunks on sys.path, like the PyPI ones."""
    site = tmp_path / "site"
    payload = b"GGUF" + bytes(range(256)) * 4000 + b"tail"
    halves = [payload[: len(payload) // 2], payload[len(payload) // 2 :]]
    parts = []
    for index, chunk in enumerate(halves, start=1):
        package = site / f"fake_model_part{index}" / "data"
        package.mkdir(parents=True)
        (package.parent / "__init__.py").write_text("")
        (package / f"part{index:02d}.bin").write_bytes(chunk)
        parts.append(PypiPart(package=f"fake-model-part{index}==1.0", module=f"fake_model_part{index}",
                              path=f"data/part{index:02d}.bin"))
    monkeypatch.syspath_prepend(str(site))
    for name in ("fake_model_part1", "fake_model_part2"):
        sys.modules.pop(name, None)
    return parts, payload


def make_manifest(parts: list[PypiPart], payload: bytes, **overrides: object) -> Manifest:
    fields: dict = dict(
        id="tiny-test", name="Tiny test model", kind="llm", file="tiny-test.gguf", size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(), quantization="Q4_0", license="MIT", context_length=512,
        chat_format="none", instruct=False, tier="test", pypi_parts=tuple(parts),
    )
    fields.update(overrides)
    return Manifest(**fields)


@pytest.fixture
def tiny(chunk_package: tuple[list[PypiPart], bytes], models_dir: Path) -> tuple[ModelStore, Manifest, bytes]:
    parts, payload = chunk_package
    manifest = make_manifest(parts, payload)
    store = ModelStore(models_dir=models_dir, registry=Registry([manifest]))
    return store, manifest, payload


# -- real models, materialised once per test session -----------------------------------------
@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    directory = tmp_path_factory.mktemp("real-models")
    return ModelStore(models_dir=directory, registry=Registry.load())


def _materialized(store: ModelStore, model_id: str) -> Manifest:
    manifest = store.registry.get(model_id)
    missing = store.missing_packages(manifest)
    if missing:
        pytest.fail(f"model packages not installed ({', '.join(missing[:2])}…): run `bash scripts/install.sh`")
    store.materialize(manifest)
    return manifest


@pytest.fixture(scope="session")
def gemma(real_store: ModelStore) -> Iterator:
    from models.loader import load_text_model

    model = load_text_model(real_store, _materialized(real_store, "gemma-3-270m-q4_k_m"), n_ctx=2048)
    yield model
    model.close()


@pytest.fixture(scope="session")
def embedder(real_store: ModelStore) -> Iterator:
    from models.loader import load_embedder

    model = load_embedder(real_store, _materialized(real_store, "all-minilm-l6-v2-int8"))
    yield model
    model.close()


@pytest.fixture(scope="session")
def fast_chat_model(real_store: ModelStore) -> Iterator:
    from models.loader import load_text_model

    model = load_text_model(real_store, _materialized(real_store, "qwen2.5-coder-0.5b-instruct-q4_k_m"), n_ctx=2048)
    yield model
    model.close()

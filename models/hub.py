"""Pulling models from the Hugging Face Hub: the only code in coach that uses the network,
and only when the user asks for a pull."""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

from models.errors import CoachError, ModelIntegrityError, OfflineError
from models.registry import Manifest, Registry, load_manifest, user_manifest_dir
from models.store import ModelStore, sha256_file

_QUANT = re.compile(r"(IQ\d_[A-Z]+|Q\d_K_[SML]|Q\d_K|Q\d_\d|Q\d_0|F16|BF16|F32)", re.IGNORECASE)


def _offline(repo: str, file: str) -> OfflineError:
    return OfflineError(
        f"cannot reach the Hugging Face Hub to pull {repo}/{file}",
        hint="connect to a network and run the same command again; everything else in coach works offline",
    )


def _check_reachable(repo: str, file: str) -> None:
    """Fail in seconds, not after the hub client's half-minute of retries, when offline."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        raise _offline(repo, file)
    url = urlsplit(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname or "", port), timeout=5).close()
    except OSError:
        raise _offline(repo, file) from None


def _hub_download(repo: str, file: str, revision: str, into: Path) -> Path:
    try:
        from huggingface_hub import errors as hub_errors
        from huggingface_hub import hf_hub_download
        from huggingface_hub.utils import logging as hub_logging
    except ImportError:  # pragma: no cover
        raise CoachError("huggingface-hub is not installed", hint="run `bash scripts/install.sh`") from None
    _check_reachable(repo, file)
    hub_logging.set_verbosity_error()  # its retry warnings would bury our one-line message
    try:
        return Path(hf_hub_download(repo_id=repo, filename=file, revision=revision, local_dir=into))
    except hub_errors.LocalEntryNotFoundError:  # the connection dropped mid-way (a subclass of the next)
        raise _offline(repo, file) from None
    except hub_errors.GatedRepoError:
        raise CoachError(
            f"{repo} is gated on the Hub", hint="accept its licence online and log in with `hf auth login`"
        ) from None
    except hub_errors.RepositoryNotFoundError:
        raise CoachError(f"no repository {repo} on the Hub (or it is private)") from None
    except hub_errors.RevisionNotFoundError:
        raise CoachError(f"{repo} has no revision '{revision}'") from None
    except hub_errors.EntryNotFoundError:
        raise CoachError(f"{repo} has no file {file} at revision '{revision}'") from None
    except Exception as exc:  # connection refused, DNS failure, HF_HUB_OFFLINE, timeouts...
        if _looks_offline(exc):
            raise _offline(repo, file) from None
        raise CoachError(f"pull of {repo}/{file} failed: {exc}") from None


def _looks_offline(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    offline = {"LocalEntryNotFoundError", "OfflineModeIsEnabled", "ConnectError", "ConnectionError", "ConnectTimeout",
               "TimeoutException", "NetworkError", "OSError", "TimeoutError"}
    return bool(names & offline) or (exc.__cause__ is not None and _looks_offline(exc.__cause__))


def _move_into_place(downloaded: Path, target: Path, staging: Path) -> None:
    os.replace(downloaded, target)
    shutil.rmtree(staging, ignore_errors=True)


def pull_manifest(store: ModelStore, manifest: Manifest) -> Path:
    """Download a registered model from its hub source and verify it."""
    if manifest.hub is None:
        raise CoachError(
            f"'{manifest.id}' has no hub source in its manifest",
            hint="use `coach models pull REPO FILE --sha256 HEX`",
        )
    staging = store.models_dir / ".pull"
    downloaded = _hub_download(manifest.hub.repo, manifest.hub.file, manifest.hub.revision, staging)
    target = store.path(manifest)
    _move_into_place(downloaded, target, staging)
    result = store.verify(manifest)
    if not result.ok:
        target.unlink(missing_ok=True)
        raise ModelIntegrityError(f"the pulled file of '{manifest.id}' was refused: {result.reason}")
    return target


def pull_file(store: ModelStore, *, repo: str, file: str, sha256: str, revision: str = "main") -> Manifest:
    """Download any GGUF, check it against the sha256 the user gave, and register it."""
    sha256 = sha256.lower()
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise CoachError("--sha256 must be 64 hex digits (the file's sha256 as the Hub shows it)")
    staging = store.models_dir / ".pull"
    downloaded = _hub_download(repo, file, revision, staging)
    actual = sha256_file(downloaded)
    if actual != sha256:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelIntegrityError(f"{repo}/{file} has sha256 {actual[:12]}…, not the {sha256[:12]}… you gave; discarded")
    name = Path(file).name
    model_id = re.sub(r"[^a-z0-9._-]+", "-", Path(name).stem.lower())
    target = store.models_dir / name
    _move_into_place(downloaded, target, staging)
    manifest_path = write_user_manifest(store.models_dir, repo=repo, file=name, sha256=sha256, revision=revision,
                                        model_id=model_id, size=target.stat().st_size, context_length=_gguf_context(target))
    manifest = load_manifest(manifest_path)
    store.registry = Registry.load(store.models_dir)
    store.verify(manifest)
    return manifest


def _gguf_context(path: Path) -> int:
    try:
        from gguf import GGUFReader

        reader = GGUFReader(str(path))
        for key, field in reader.fields.items():
            if key.endswith(".context_length"):
                return int(field.parts[field.data[0]][0])
    except Exception:  # not a GGUF we can read: a conservative default
        pass
    return 4096


def write_user_manifest(models_dir: Path, *, repo: str, file: str, sha256: str, revision: str, model_id: str,
                        size: int, context_length: int) -> Path:
    quant = _QUANT.search(file)
    instruct = bool(re.search(r"instruct|chat|-it\b|-it-", file, re.IGNORECASE))
    directory = user_manifest_dir(models_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{model_id}.toml"
    path.write_text(
        f'# Written by `coach models pull {repo} {file}`.\n'
        f'id = "{model_id}"\nname = "{Path(file).stem}"\nkind = "llm"\ntier = "user"\n'
        f'file = "{file}"\nsize = {size}\nsha256 = "{sha256}"\n'
        f'quantization = "{quant.group(1).upper() if quant else "unknown"}"\n'
        f'license = "see https://huggingface.co/{repo}"\ncontext_length = {context_length}\n'
        f'chat_format = "{"gguf" if instruct else "none"}"\ninstruct = {"true" if instruct else "false"}\n\n'
        f'[sources.hub]\nrepo = "{repo}"\nfile = "{file}"\nrevision = "{revision}"\n',
        encoding="utf-8",
    )
    return path

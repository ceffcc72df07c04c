"""Errors meant for users: the project's one place for them.

Every error a person may see is a :class:`CoachError`. ``str(error)`` is one line that
says what happened and what to do next; the CLI prints exactly that and exits non-zero,
and the app shows it as a notification. Anything else that escapes is a bug.

It lives in ``models`` because that is the bottom layer: ``coach`` and ``tui`` import it
from here, and nothing here imports them.
"""

from __future__ import annotations


class CoachError(Exception):
    """An error whose message is written for the user."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        text = self.message if not self.hint else f"{self.message} ({self.hint})"
        # One line, always: a path or a model's output must not break the contract.
        return " ".join(text.split())


class UnknownModelError(CoachError):
    """No manifest has this id."""


class ModelMissingError(CoachError):
    """The model is in the registry but its file is not in the data directory."""


class ModelIntegrityError(CoachError):
    """The file exists but is truncated or its sha256 differs from the manifest's."""


class ModelPackagesMissingError(CoachError):
    """The PyPI packages that carry a model are not installed."""


class ManifestError(CoachError):
    """A manifest is malformed or lacks a field coach needs (a sha256, say)."""


class OfflineError(CoachError):
    """A pull was asked for and the network (or the hub) cannot be reached."""


class DiskFullError(CoachError):
    """Not enough free space to write a file; nothing was left half-written."""


class RuntimeUnavailableError(CoachError):
    """An optional heavy runtime (llama-cpp-python, onnxruntime) is not importable."""


class ModelLoadError(CoachError):
    """The runtime refused a verified file (wrong format, not enough memory...)."""


class ModelBusyError(CoachError):
    """A generation is still running on this model."""


class StorageError(CoachError):
    """The database cannot be opened, migrated or written."""


class InputError(CoachError):
    """Input from the user (a file, a JD, an answer) that coach cannot use as it is."""

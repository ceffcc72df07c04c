"""Reading a JD or an answer from a file: UTF-8, UTF-16 and UTF-32 (with or without a BOM), never a binary."""

from __future__ import annotations

import codecs
import sys

from models.errors import InputError

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII-range text has a zero in every other byte, and only there."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, text_bytes, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.9 * len(zeros) and text_bytes.count(0) == 0:
            return encoding
    return None


def decode_text(data: bytes, name: str) -> str:
    """Bytes of a text file as str, or a one-line reason why they are not text."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None) or _bomless_utf16(data)
    if encoding is None and b"\x00" in data[:8192]:
        raise InputError(f"{name} looks like a binary file; save the job description as plain text")
    try:
        text = data.decode(encoding or "utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} is not {'UTF-8' if encoding is None else encoding.upper()} text "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start})",
            hint="save it as UTF-8 and try again",
        ) from None
    if "\x00" in text:
        raise InputError(f"{name} looks like a binary file; save the job description as plain text")
    return text.lstrip("\ufeff")


def read_text_file(path: str) -> str:
    """A JD or answer file (or `-` for standard input) as text, or a one-line reason why not."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()  # noqa: SIM115
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a text file") from None
    except PermissionError:
        raise InputError(f"cannot read {path}: permission denied") from None
    return decode_text(data, path)

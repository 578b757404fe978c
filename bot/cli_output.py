"""Where a ``gridbot`` command writes: checked before the work starts, so that a mistyped or
unwritable path gets one clear line instead of a traceback (after minutes of exporting)."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.i18n import Locale, t


class OutputError(Exception):
    """The command cannot write where it was told to; ``str()`` is the line to print."""


def file_to_write(path: Path, locale: Locale, *, example: str) -> Path:
    """``path``, once its folder exists (made if missing) and can be written. A folder is
    refused with ``example`` (a file name) as what to give instead."""
    if path.is_dir():
        raise OutputError(t(locale, "cli.output_is_folder", path=path, example=path / example))
    _folder(path.parent, locale, path)
    return path


def folder_to_write(path: Path, locale: Locale) -> Path:
    """``path`` as a folder to write into, made if missing."""
    _folder(path, locale, path)
    return path


def file_or_folder_to_write(path: Path, locale: Locale) -> Path:
    """``path`` as a file, or an existing folder to put the file in."""
    _folder(path if path.is_dir() else path.parent, locale, path)
    return path


@contextmanager
def writing(path: Path, locale: Locale) -> Iterator[None]:
    """A failure to write ``path`` while the block runs (disk full, a folder removed
    meanwhile) as one clear line."""
    try:
        yield
    except OSError as failure:
        raise OutputError(_cannot_write(locale, path, failure)) from None


def _folder(folder: Path, locale: Locale, path: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        file = next(above for above in (folder, *folder.parents) if above.exists())
        raise OutputError(t(locale, "cli.output_under_file", path=path, file=file)) from None
    except OSError as failure:
        raise OutputError(_cannot_write(locale, path, failure)) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        raise OutputError(_cannot_write(locale, path, denied))


def _cannot_write(locale: Locale, path: Path, failure: OSError) -> str:
    reason = failure.strerror or type(failure).__name__
    return t(locale, "cli.cannot_write", path=path, reason=reason)

"""Reading a file someone names for an import: a regular file only, and only up to a size we can hold."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from engagement.errors import EngagementError

MAX_FILE_BYTES = 512 << 20  # read whole into memory (and held a few times over while checked): bounded


def read_file(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES; anything else (a device, a FIFO, a folder,
    a bigger file) is refused before a byte is read. The file is opened without blocking (a FIFO swapped in
    after the check does not hang) and checked again once open."""
    try:
        _check_file(path, os.stat(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            _check_file(path, os.fstat(handle.fileno()))
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise EngagementError(f"Cannot read {path}: {exc.strerror or exc}. Give the path of a CSV file.") from None
    if len(data) > MAX_FILE_BYTES:  # it grew after the check
        _check_file(path, os.stat(path))
        raise EngagementError(f"{path.name} is over {MAX_FILE_BYTES >> 20} MiB; split it into smaller files.")
    return data


def _check_file(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise EngagementError(f"{path} is {what}, not a regular file. Give the path of a CSV file.")
    if info.st_size > MAX_FILE_BYTES:
        raise EngagementError(
            f"{path.name} is {info.st_size:,} bytes; files up to {MAX_FILE_BYTES >> 20} MiB ({MAX_FILE_BYTES:,} bytes) "
            "are imported. Split it into smaller files (each is imported on its own)."
        )

"""A zip archive whose big members are deflated while they are written, in a worker thread,
instead of all at once when the archive is packed.

An export writes its tables side by side for minutes; deflating a year's sheet at the end
took a second or more on one core while the other waited. Here each member's text goes to a
temporary file already deflated (raw deflate, as :mod:`zipfile` would write it, by ISA-L
at its level 1: about three times as fast as zlib's level 1, and a little smaller), its
CRC-32 and sizes counted on the way, and :func:`pack` only copies the deflated bytes
into the archive. What goes before a member's text can be known last (a worksheet's
dimension): it is deflated on its own and put in front, which a deflate stream allows (the
part before ends on a byte boundary, without a final block), and the CRCs are combined.
"""

from __future__ import annotations

import shutil
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from queue import Queue
from typing import BinaryIO

from isal import isal_zlib

_LEVEL = 1
_CHUNK = 1 << 16
"""Bytes gathered before they are handed to the deflating thread (what is gathered stays
under the C library's threshold for mapping a block on its own, 128 KiB at first: see
:data:`bot.ledger_file.PIECE_BYTES`)."""
_QUEUED = 4
"""Chunks waiting to be deflated at most (memory stays under a megabyte)."""
_ZIP64_LIMIT = (1 << 31) - 1
"""Sizes and offsets past this are written with zip64 extra fields, as :mod:`zipfile` does."""


class Deflater:
    """The worker thread deflating every member of one archive, in the order written."""

    def __init__(self) -> None:
        self._queue: Queue[tuple[DeflatedMember, bytes] | None] = Queue(maxsize=_QUEUED)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="deflater", daemon=True)
        self._thread.start()

    def member(self, path: Path, encoding: str = "utf-8") -> DeflatedMember:
        """A new member whose text goes, deflated, to the file at ``path``."""
        return DeflatedMember(self, path, encoding)

    def put(self, member: DeflatedMember, data: bytes) -> None:
        self._raise()
        self._queue.put((member, data))

    def finish(self) -> None:
        """Wait until everything written is deflated; raise what went wrong meanwhile."""
        self.stop()
        self._raise()

    def stop(self) -> None:
        """Deflate what was written, then end the thread (it takes no more)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._error is None:
                try:
                    job[0].deflate(job[1])
                except BaseException as error:  # raised again in the writer's thread
                    self._error = error


class DeflatedMember:
    """A member's text being written (see :class:`Deflater`): ``write`` it, then ``close``."""

    def __init__(self, deflater: Deflater, path: Path, encoding: str) -> None:
        self.path = path
        self._deflater = deflater
        self._encoding = encoding
        self._file = path.open("wb")
        self._compressor = isal_zlib.compressobj(_LEVEL, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS)
        self._pending: list[bytes] = []
        self._pending_size = 0
        self.crc = 0
        self.size = 0
        """Bytes of text written so far (before deflating)."""
        self.closed = False

    def write(self, text: str) -> int:
        self.write_bytes(text.encode(self._encoding))
        return len(text)

    def write_bytes(self, data: bytes) -> None:
        """Write text already encoded."""
        if self._pending_size + len(data) > _CHUNK:
            self._hand_over()
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= _CHUNK:
            self._hand_over()

    def close(self) -> None:
        """No more text: the rest goes to be deflated (see :meth:`Deflater.finish`)."""
        if not self.closed:
            self.closed = True
            self._hand_over()
            self._deflater.put(self, b"")

    def deflate(self, data: bytes) -> None:
        """(In the deflating thread.) ``data`` deflated; empty data ends the member."""
        if data:
            self.crc = isal_zlib.crc32(data, self.crc)
            self.size += len(data)
            self._file.write(self._compressor.compress(data))
        else:
            self._file.write(self._compressor.flush())
            self._file.close()

    def discard(self) -> None:
        """Close the file, deflated or not (once the deflating thread has stopped)."""
        self.closed = True
        self._file.close()

    def _hand_over(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            self._pending_size = 0
            self._deflater.put(self, data)


@dataclass(frozen=True, slots=True)
class Member:
    """A member of the archive: ``head`` (bytes, deflated on its own) then ``body``'s
    deflated text (None: ``head`` is the whole member)."""

    name: str
    head: bytes
    body: DeflatedMember | None = None


def pack(target: BinaryIO, members: Sequence[Member]) -> None:
    """Write the archive of ``members``, in order, to ``target`` (every body closed and
    deflated: see :meth:`Deflater.finish`)."""
    out = _Counted(target)
    stamp = _dos_time(time.localtime())
    entries = [_write_member(out, member, stamp) for member in members]
    directory = out.offset
    for entry in entries:
        out.write(entry.central())
    _write_end(out, len(entries), directory, out.offset - directory)


class _Counted:
    """A binary file written in order, counting its bytes (it need not be seekable)."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self.offset = 0

    def write(self, data: bytes) -> None:
        self._target.write(data)
        self.offset += len(data)


def _write_member(out: _Counted, member: Member, stamp: tuple[int, int]) -> _Entry:
    compressor = isal_zlib.compressobj(_LEVEL, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS)
    body = member.body
    if body is None:
        head = compressor.compress(member.head) + compressor.flush()
        crc, size, packed = isal_zlib.crc32(member.head), len(member.head), len(head)
    else:  # the head's blocks end on a byte boundary, not the stream: the body's go on
        head = compressor.compress(member.head) + compressor.flush(isal_zlib.Z_SYNC_FLUSH)
        head = head if member.head else b""
        crc = crc32_combine(isal_zlib.crc32(member.head), body.crc, body.size)
        size, packed = len(member.head) + body.size, len(head) + body.path.stat().st_size
    name = member.name.encode("utf-8")
    flags = 0 if member.name.isascii() else _UTF8_NAME
    entry = _Entry(name, flags, stamp, crc, packed, size, out.offset)
    out.write(entry.local())
    out.write(head)
    if body is not None:
        with body.path.open("rb") as deflated:
            shutil.copyfileobj(deflated, out)
    return entry


def _write_end(out: _Counted, count: int, directory: int, length: int) -> None:
    """The end of the central directory, with zip64's records when it lies too far."""
    at = out.offset
    if directory > _ZIP64_LIMIT or length > _ZIP64_LIMIT:
        out.write(
            struct.pack(
                "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, length, directory
            )
        )
        out.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1))
    out.write(
        struct.pack(
            "<4s4H2LH",
            b"PK\x05\x06",
            0,
            0,
            count,
            count,
            min(length, 0xFFFFFFFF),
            min(directory, 0xFFFFFFFF),
            0,
        )
    )


_UTF8_NAME = 0x800


def _dos_time(moment: time.struct_time) -> tuple[int, int]:
    """``moment`` as a zip entry's (time, date)."""
    day = (moment.tm_year - 1980) << 9 | moment.tm_mon << 5 | moment.tm_mday
    clock = moment.tm_hour << 11 | moment.tm_min << 5 | moment.tm_sec // 2
    return clock, day


@dataclass(frozen=True, slots=True)
class _Entry:
    """A member's record, for its local header and the central directory."""

    name: bytes
    flags: int
    stamp: tuple[int, int]
    crc: int
    packed: int
    size: int
    offset: int

    @property
    def _big(self) -> bool:
        return self.size > _ZIP64_LIMIT or self.packed > _ZIP64_LIMIT

    def local(self) -> bytes:
        extra = struct.pack("<2H2Q", 1, 16, self.size, self.packed) if self._big else b""
        sizes = (0xFFFFFFFF, 0xFFFFFFFF) if self._big else (self.packed, self.size)
        version = 45 if self._big else 20
        head = struct.pack(
            "<4s2B4HL2L2H",
            b"PK\x03\x04",
            version,
            0,
            self.flags,
            isal_zlib.DEFLATED,
            *self.stamp,
            self.crc,
            *sizes,
            len(self.name),
            len(extra),
        )
        return head + self.name + extra

    def central(self) -> bytes:
        far = self.offset > _ZIP64_LIMIT
        wide = ([self.size, self.packed] if self._big else []) + ([self.offset] if far else [])
        extra = struct.pack(f"<2H{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
        version = 45 if wide else 20
        sizes = (0xFFFFFFFF, 0xFFFFFFFF) if self._big else (self.packed, self.size)
        head = struct.pack(
            "<4s4B4HL2L5H2L",
            b"PK\x01\x02",
            version,
            3,  # made on Unix, as zipfile says
            version,
            0,
            self.flags,
            isal_zlib.DEFLATED,
            *self.stamp,
            self.crc,
            *sizes,
            len(self.name),
            len(extra),
            0,
            0,
            0,
            0o600 << 16,
            0xFFFFFFFF if far else self.offset,
        )
        return head + self.name + extra


def crc32_combine(first: int, second: int, length: int) -> int:
    """The CRC-32 of two texts one after the other, from the first's, the second's and the
    second's length (zlib's ``crc32_combine``, which Python's zlib does not offer): the
    first's CRC is moved past ``length`` zero bytes by squaring the operator for one zero
    bit, as many times as ``length`` has bits."""
    if length <= 0:
        return first
    odd = [0xEDB88320] + [1 << bit for bit in range(31)]  # one zero bit
    even = _square(odd)  # two zero bits
    odd = _square(even)  # four zero bits
    while True:
        even = _square(odd)  # first pass: one zero byte
        if length & 1:
            first = _times(even, first)
        length >>= 1
        if not length:
            break
        odd = _square(even)
        if length & 1:
            first = _times(odd, first)
        length >>= 1
        if not length:
            break
    return first ^ second


def _times(matrix: list[int], vector: int) -> int:
    total, row = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _square(matrix: list[int]) -> list[int]:
    return [_times(matrix, column) for column in matrix]

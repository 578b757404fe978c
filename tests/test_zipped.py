"""Zip archives whose members are deflated while they are written (:mod:`bot.zipped`): what
:mod:`zipfile` reads back is what was written, CRCs checked, a head known last put in front,
with zip64's fields when sizes or offsets are too big, and an error while deflating raised
to the writer."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import zipped
from bot.zipped import Deflater, Member, crc32_combine, pack


@given(st.binary(max_size=300), st.binary(max_size=3000))
def test_crcs_combine_as_zlib_computes_them_whole(first: bytes, second: bytes) -> None:
    combined = crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second))
    assert combined == zlib.crc32(first + second)


def written(tmp_path: Path, head: str, chunks: list[str]) -> bytes:
    deflater = Deflater()
    body = deflater.member(tmp_path / "body")
    for chunk in chunks:
        body.write(chunk)
    body.write("</end>")
    body.close()
    deflater.finish()
    out = io.BytesIO()
    members = [Member("whole.xml", b"<small/>"), Member("表/日报.csv", head.encode(), body)]
    pack(out, members)
    return out.getvalue()


def test_members_read_back_as_written(tmp_path: Path) -> None:
    chunks = [f"<row r='{n}'>第{n}行</row>" * 5000 for n in range(40)]  # megabytes: handed over
    archive = zipfile.ZipFile(io.BytesIO(written(tmp_path, "<head rows='40'>", chunks)))
    assert archive.testzip() is None  # every CRC right
    assert archive.namelist() == ["whole.xml", "表/日报.csv"]
    assert archive.read("whole.xml") == b"<small/>"
    expected = "<head rows='40'>" + "".join(chunks) + "</end>"
    assert archive.read("表/日报.csv").decode("utf-8") == expected


def test_an_empty_head_and_an_empty_body(tmp_path: Path) -> None:
    archive = zipfile.ZipFile(io.BytesIO(written(tmp_path, "", [])))
    assert archive.testzip() is None
    assert archive.read("表/日报.csv") == b"</end>"


def test_big_sizes_and_offsets_get_zip64_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zipped, "_ZIP64_LIMIT", 10)
    archive = zipfile.ZipFile(io.BytesIO(written(tmp_path, "<head>", ["x" * 100])))
    assert archive.testzip() is None
    assert archive.read("表/日报.csv") == b"<head>" + b"x" * 100 + b"</end>"
    assert archive.getinfo("表/日报.csv").extract_version == 45  # and the end lies past 10


def test_an_error_while_deflating_is_raised_to_the_writer(tmp_path: Path) -> None:
    deflater = Deflater()
    body = deflater.member(tmp_path / "body")
    body.discard()  # its file is closed: deflating into it fails
    body.write("text")
    body.closed = False
    body.close()
    with pytest.raises(ValueError, match="closed file"):
        deflater.finish()

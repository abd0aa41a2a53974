"""Reading a request body the way the server will: content codings, charsets, forms, multipart.

The body rules (:mod:`~privllm.policy.egress.body`) must see what the provider will read, not
what the headers claim. This module turns the bytes on the wire into text the rules can
scan, and refuses (:class:`~privllm.errors.EgressBlocked`) what it cannot turn into text:

``egress.body_encoding``   a content coding other than gzip/deflate/identity, or a coded
                           body that does not decode
``egress.body_size``       a body (or what it decodes to: zip bombs) over the size bound
``egress.body_unreadable`` text in a charset that does not decode, a multipart body without
                           its boundary, a part in base64 or quoted-printable

>>> import gzip
>>> decode_content(gzip.compress(b'{"a": 1}'), "gzip", "api.openai.com", limit=1024)
b'{"a": 1}'
>>> body_text(b'\\xef\\xbb\\xbf{"a": 1}', "text/plain", "api.openai.com")
'{"a": 1}'
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import unquote_plus

from privllm.policy.egress.rules import blocked, safe_text

__all__ = [
    "Part",
    "body_text",
    "decode_content",
    "form_fields",
    "media_type",
    "multipart_parts",
]

# Layers of content coding a body may stack ("gzip, gzip" is legal HTTP, and a bomb's trick).
_MAX_CODINGS = 2
# Nested multipart bodies (multipart/mixed inside form-data) deeper than this are refused.
MAX_MULTIPART_DEPTH = 2
# Media types whose bytes are not text: when they do not decode, their printable runs are
# scanned instead of refusing the upload (audio to transcribe, images, PDFs).
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/")
_BINARY_TYPES = frozenset(
    {
        "application/octet-stream",
        "application/pdf",
        "application/zip",
        "application/gzip",
        "application/x-tar",
        "application/x-protobuf",
        "application/protobuf",
    }
)
_PARAM = re.compile(r"""(?i)(?:^|;)\s*([a-z0-9_*.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)""")


def media_type(header: str) -> str:
    """The media type of a ``Content-Type`` value, lower case, without parameters."""
    return header.split(";", 1)[0].strip().lower()


def _param(header: str, name: str) -> str | None:
    for m in _PARAM.finditer(header):
        if m[1].lower() == name:
            value = m[2].strip()
            if value[:1] == '"':
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            return value
    return None


def decode_content(data: bytes, coding: str, host: str, *, limit: int) -> bytes:
    """``data`` with its ``Content-Encoding`` undone (gzip, x-gzip, deflate, identity), never
    more than ``limit`` bytes; ``EgressBlocked`` for any other coding or a bad stream."""
    codings = [c.strip().lower() for c in coding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if len(codings) > _MAX_CODINGS:
        raise blocked("egress.body_encoding", host, "too many content codings stacked")
    # Codings are listed in the order they were applied: undo them from the last.
    for name in reversed(codings):
        if name in ("gzip", "x-gzip"):
            data = _inflate(data, 16 + zlib.MAX_WBITS, host, limit, name)
        elif name == "deflate":
            # RFC 9110 says zlib-wrapped; some clients send raw deflate. A server takes one of
            # the two, and a stream valid as one is invalid as the other.
            wbits = zlib.MAX_WBITS if data[:1] and (data[0] & 0x0F) == 8 else -zlib.MAX_WBITS
            data = _inflate(data, wbits, host, limit, name)
        else:
            raise blocked(
                "egress.body_encoding",
                host,
                f"a {safe_text(name)}-encoded body cannot be checked",
            )
    return data


def _inflate(data: bytes, wbits: int, host: str, limit: int, name: str) -> bytes:
    out = bytearray()
    rest = data
    while True:
        inflater = zlib.decompressobj(wbits)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error:
            why = f"the {name} body does not decode"
            raise blocked("egress.body_encoding", host, why) from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise blocked(
                "egress.body_size",
                host,
                f"the {name} body decodes to more than {limit} bytes (the guard's bound)",
            )
        if not inflater.eof:
            raise blocked("egress.body_encoding", host, f"the {name} body is truncated")
        rest = inflater.unused_data
        # gzip allows several members one after another, and servers inflate them all.
        if not rest or wbits != 16 + zlib.MAX_WBITS:
            break
    if rest:
        raise blocked("egress.body_encoding", host, f"bytes after the end of the {name} body")
    return bytes(out)


def _is_binary(ctype: str) -> bool:
    """A media type whose content is not text."""
    return ctype.startswith(_BINARY_PREFIXES) or ctype in _BINARY_TYPES


def body_text(data: bytes, content_type: str, host: str) -> str:
    """``data`` as the text a server reads: the declared charset, else the encoding a BOM or
    JSON's NUL pattern shows (UTF-8/16/32), strictly. Binary media types that do not decode
    give their Latin-1 view, where ASCII text inside them shows; other undecodable bodies are
    refused (``egress.body_unreadable``)."""
    charset = _param(content_type, "charset")
    encoding = charset.lower() if charset else json.detect_encoding(data)
    try:
        text = data.decode(encoding)
    except LookupError:
        raise blocked(
            "egress.body_unreadable", host, f"unknown charset {safe_text(encoding)!r}"
        ) from None
    except UnicodeDecodeError:
        if not _is_binary(media_type(content_type)):
            raise blocked(
                "egress.body_unreadable",
                host,
                f"the body is not valid {safe_text(encoding)} text, so it cannot be checked",
            ) from None
        text = data.decode("latin-1")
    return text[1:] if text[:1] == "\ufeff" else text


def form_fields(text: str) -> list[tuple[str, str]]:
    """The name/value pairs of a form body, percent-decoded. Both ``&`` and ``;`` separate
    pairs, so no server's reading of the body holds a value this one does not."""
    pairs = []
    for item in re.split(r"[&;]", text):
        if item:
            name, _, value = item.partition("=")
            pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


class Part(NamedTuple):
    """One part of a multipart body: its form field ``name`` (``None`` if none), ``filename``,
    content type, raw header block (as text) and content bytes."""

    name: str | None
    filename: str | None
    content_type: str
    headers: str
    content: bytes


def multipart_parts(data: bytes, content_type: str, host: str) -> list[Part]:
    """The parts of a multipart body, plus its preamble and epilogue as nameless parts so that
    every byte is read by someone. Delimiters are found leniently (LF or CRLF), so a server
    can never see a part boundary this parser missed."""
    boundary = _param(content_type, "boundary")
    if not boundary:
        raise blocked("egress.body_unreadable", host, "a multipart body without its boundary")
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    chunks = re.split(b"(?:^|\\r?\\n)" + re.escape(delimiter), data)
    if len(chunks) < 2:
        raise blocked("egress.body_unreadable", host, "the multipart boundary never occurs")
    parts = [Part(None, None, "text/plain", "", chunks[0])]  # the preamble
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):  # the close delimiter: what follows is the epilogue
            parts.append(Part(None, None, "text/plain", "", chunk[2:]))
            continue
        parts.append(_part(chunk, host))
    return parts


def _part(chunk: bytes, host: str) -> Part:
    head, sep, content = chunk.partition(b"\r\n\r\n")
    if not sep:
        head, sep, content = chunk.partition(b"\n\n")
    headers = head.decode("utf-8", "replace")
    fields = dict(_header_lines(headers))
    transfer = fields.get("content-transfer-encoding", "").strip().lower()
    if transfer not in ("", "7bit", "8bit", "binary"):
        raise blocked(
            "egress.body_unreadable",
            host,
            f"a multipart part in {safe_text(transfer)} transfer encoding cannot be checked",
        )
    coding = fields.get("content-encoding", "").strip().lower()
    if coding not in ("", "identity"):
        raise blocked(
            "egress.body_encoding", host, f"a {safe_text(coding)}-encoded part cannot be checked"
        )
    disposition = fields.get("content-disposition", "")
    return Part(
        name=_param(disposition, "name"),
        filename=_param(disposition, "filename") or _param(disposition, "filename*"),
        content_type=fields.get("content-type", "text/plain"),
        headers=headers,
        content=content,
    )


def _header_lines(block: str) -> Iterator[tuple[str, str]]:
    for line in re.split(r"\r?\n", block):
        name, colon, value = line.partition(":")
        if colon:
            yield name.strip().lower(), value.strip()

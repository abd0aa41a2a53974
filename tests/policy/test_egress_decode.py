"""How the guard reads a body: multipart parts, forms and binary media types.

The body rules scan what these functions return, so a part read with the wrong boundaries,
a coding let through unread or a form value cut short is a value that leaves unscanned.
Expected values are written by hand from the bodies below.
"""

from __future__ import annotations

import gzip
import re
import tracemalloc
import zlib

import httpx2
import pytest

from privllm.errors import EgressBlocked
from privllm.policy.egress.decode import (
    Part,
    body_text,
    decode_content,
    form_fields,
    media_type,
    multipart_parts,
)
from privllm.policy.egress.guard import EgressPolicy

HOST = "api.openai.com"
FORM_DATA = "multipart/form-data; boundary=b"
CARD = "4111 1111 1111 1111"


def parts(body: bytes) -> list[Part]:
    return multipart_parts(body, FORM_DATA, HOST)


def test_a_part_ends_its_headers_at_the_first_blank_line_crlf_or_lf():
    crlf = b'--b\r\nContent-Disposition: form-data; name="t"\r\n\r\nline1\r\n\r\nline2\r\n--b--\r\n'
    lf = b'--b\nContent-Disposition: form-data; name="store"\n\ntrue\n\nmore\n--b--\n'
    assert parts(crlf)[1] == Part(
        "t",
        None,
        "text/plain",
        '\r\nContent-Disposition: form-data; name="t"',
        b"line1\r\n\r\nline2",
    )
    assert parts(lf)[1] == Part(
        "store",
        None,
        "text/plain",
        '\nContent-Disposition: form-data; name="store"',
        b"true\n\nmore",
    )


def test_a_form_field_sent_with_lf_line_ends_still_counts():
    # Servers accept bare LF: a store field written that way must still be read as one.
    body = b'--b\nContent-Disposition: form-data; name="store"\n\ntrue\n--b--\n'
    request = httpx2.Request(
        "POST", f"https://{HOST}/v1/files", content=body, headers={"content-type": FORM_DATA}
    )
    with pytest.raises(EgressBlocked, match=r"\(egress\.store\)"):
        EgressPolicy.allow(f"https://{HOST}").check(request)


def test_part_headers_that_are_not_utf8_are_read_with_replacement():
    body = (
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="caf\xe9.txt"\r\n\r\nx\r\n--b--'
    )
    part = parts(body)[1]
    assert part.filename == "caf\ufffd.txt"
    assert part.headers == '\r\nContent-Disposition: form-data; name="f"; filename="caf\ufffd.txt"'


@pytest.mark.parametrize(
    ("disposition", "name", "filename"),
    [
        (b'form-data; name="file"; filename="train.jsonl"', "file", "train.jsonl"),
        (b"form-data; name=file; filename*=UTF-8''train.jsonl", "file", "UTF-8''train.jsonl"),
        (None, None, None),
    ],
)
def test_a_parts_name_and_file_name(disposition, name, filename):
    head = b"Content-Disposition: " + disposition + b"\r\n" if disposition else b""
    body = b"--b\r\n" + head + b"Content-Type: application/json\r\n\r\n{}\r\n--b--"
    part = parts(body)[1]
    assert (part.name, part.filename, part.content_type) == (name, filename, "application/json")


@pytest.mark.parametrize("value", ["7bit", "8bit", "binary", "8BIT", " Binary "])
def test_identity_transfer_encodings_are_read(value):
    body = f"--b\r\nContent-Transfer-Encoding: {value}\r\n\r\nhello\r\n--b--".encode()
    assert parts(body)[1].content == b"hello"


@pytest.mark.parametrize("value", ["identity", "IDENTITY", ""])
def test_an_identity_coded_part_is_read(value):
    body = f"--b\r\nContent-Encoding: {value}\r\n\r\nhello\r\n--b--".encode()
    assert parts(body)[1].content == b"hello"


@pytest.mark.parametrize(
    ("header", "rule", "why"),
    [
        (
            "Content-Transfer-Encoding: base64",
            "egress.body_unreadable",
            "a multipart part in base64 transfer encoding cannot be checked",
        ),
        (
            "Content-Encoding: gzip",
            "egress.body_encoding",
            "a gzip-encoded part cannot be checked",
        ),
        (
            "content-encoding: GZIP",
            "egress.body_encoding",
            "a gzip-encoded part cannot be checked",
        ),
    ],
)
def test_a_part_in_a_coding_the_guard_does_not_undo_is_refused(header, rule, why):
    # Its content would reach the server unread: the card below would leave.
    body = f"--b\r\n{header}\r\n\r\ncard {CARD}\r\n--b--".encode()
    message = f"egress guard refused the request ({rule}): {why}"
    with pytest.raises(EgressBlocked, match=f"^{re.escape(message)}$") as info:
        parts(body)
    assert (info.value.rule, info.value.host) == (rule, HOST)


def test_a_binary_upload_that_does_not_decode_is_read_as_latin1():
    assert body_text(b"\x89PNG\xff card", "image/png", HOST) == "\x89PNG\xff card"
    assert body_text(b"%PDF\xff card", "application/pdf", HOST) == "%PDF\xff card"
    with pytest.raises(EgressBlocked, match=r"\(egress\.body_unreadable\)"):
        body_text(b"\x89PNG\xff card", "text/plain", HOST)


def test_a_form_value_keeps_every_equals_sign_after_the_first():
    assert form_fields("q=x=1&store=true;n") == [("q", "x=1"), ("store", "true"), ("n", "")]


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@pytest.mark.parametrize(
    ("call", "rule", "why"),
    [
        (
            lambda: decode_content(gz(gz(gz(b"{}"))), "gzip, gzip, gzip", HOST, limit=99),
            "egress.body_encoding",
            "too many content codings stacked",
        ),
        (
            lambda: decode_content(b"x", "br", HOST, limit=99),
            "egress.body_encoding",
            "a br-encoded body cannot be checked",
        ),
        (
            lambda: decode_content(b"not gzip", "x-gzip", HOST, limit=99),
            "egress.body_encoding",
            "the x-gzip body does not decode",
        ),
        (
            lambda: decode_content(gz(b"{}")[:-9], "gzip", HOST, limit=99),
            "egress.body_encoding",
            "the gzip body is truncated",
        ),
        (
            lambda: decode_content(zlib.compress(b"{}") + b"x", "deflate", HOST, limit=99),
            "egress.body_encoding",
            "bytes after the end of the deflate body",
        ),
        (
            lambda: decode_content(zlib.compress(b"a" * 100), "deflate", HOST, limit=99),
            "egress.body_size",
            "the deflate body decodes to more than 99 bytes (the guard's bound)",
        ),
        (
            lambda: body_text(b"x", "text/plain; charset=x-nothing", HOST),
            "egress.body_unreadable",
            "unknown charset 'x-nothing'",
        ),
        (
            lambda: body_text(b"caf\xe9", "text/plain; charset=UTF-8", HOST),
            "egress.body_unreadable",
            "the body is not valid utf-8 text, so it cannot be checked",
        ),
        (
            lambda: multipart_parts(b"--b\r\n\r\nx", "multipart/form-data", HOST),
            "egress.body_unreadable",
            "a multipart body without its boundary",
        ),
        (
            lambda: multipart_parts(b"no delimiter here", FORM_DATA, HOST),
            "egress.body_unreadable",
            "the multipart boundary never occurs",
        ),
    ],
)
def test_each_refusal_names_its_rule_the_host_and_why(call, rule, why):
    message = f"egress guard refused the request ({rule}): {why}"
    with pytest.raises(EgressBlocked, match=f"^{re.escape(message)}$") as info:
        call()
    assert (info.value.rule, info.value.host) == (rule, HOST)


def test_a_body_may_decode_to_exactly_the_bound_and_not_one_byte_more():
    assert decode_content(gz(b"a" * 100), "gzip", HOST, limit=100) == b"a" * 100
    with pytest.raises(EgressBlocked, match=r"\(egress\.body_size\)"):
        decode_content(gz(b"a" * 101), "gzip", HOST, limit=100)


@pytest.mark.parametrize(
    ("coding", "data"),
    [
        ("identity", b"{}"),
        ("IDENTITY", b"{}"),
        ("gzip, identity", gz(b"{}")),
        ("x-gzip", gz(b"{}")),
        ("X-GZIP", gz(b"{}")),
        ("deflate", zlib.compress(b"{}")),
    ],
)
def test_codings_the_guard_undoes(coding, data):
    assert decode_content(data, coding, HOST, limit=99) == b"{}"


def test_a_declared_utf8_charset_drops_the_bom_as_servers_do():
    # Left in, the BOM would keep the text from parsing as JSON, and store from being read.
    assert body_text(b"\xef\xbb\xbf{}", "text/plain; charset=utf-8", HOST) == "{}"
    assert body_text(b"\xef\xbb\xbf{}", "text/plain", HOST) == "{}"


def test_media_type_is_what_precedes_the_first_parameter():
    assert media_type("Multipart/Form-Data; boundary=b; charset=x") == "multipart/form-data"
    assert media_type("text/plain") == "text/plain"


def test_preamble_parts_and_epilogue_are_all_read():
    body = b"preamble\r\n--b\r\n\r\nx\r\n--b--\r\nepilogue"
    assert parts(body) == [
        Part(None, None, "text/plain", "", b"preamble"),
        Part(None, None, "text/plain", "", b"x"),  # no headers: the blank line comes first
        Part(None, None, "text/plain", "", b"\r\nepilogue"),
    ]
    # One delimiter and no close delimiter: a part all the same.
    assert parts(b"--b\r\n\r\nx") == [
        Part(None, None, "text/plain", "", b""),
        Part(None, None, "text/plain", "", b"x"),  # no headers: the blank line comes first
    ]


def test_a_part_after_the_close_delimiter_is_scanned_too():
    body = f"--b\r\n\r\nx\r\n--b--\r\n--b\r\n\r\ncard {CARD}\r\n".encode()
    request = httpx2.Request(
        "POST", f"https://{HOST}/v1/files", content=body, headers={"content-type": FORM_DATA}
    )
    with pytest.raises(EgressBlocked, match=r"\(egress\.body\)"):
        EgressPolicy.allow(f"https://{HOST}", require_no_store=False).check(request)


def test_a_boundary_outside_latin1_is_matched_as_encoded():
    body = b"--?\r\n\r\nx\r\n--?--"
    assert parts_of(body, "multipart/form-data; boundary=\u20ac")[1].content == b"x"


def parts_of(body: bytes, content_type: str) -> list[Part]:
    return multipart_parts(body, content_type, HOST)


def test_a_header_value_may_hold_a_colon():
    body = b'--b\r\nContent-Disposition: form-data; name="a:b"\r\n\r\nx\r\n--b--'
    assert parts(body)[1].name == "a:b"


def test_quoted_parameters_are_unescaped_as_servers_read_them():
    # name="st\ore" is the field "store" to a server: the store rule must see it so.
    body = b'--b\r\nContent-Disposition: form-data; name="st\\ore"; filename="a\\"b.txt"\r\n\r\nx'
    part = parts(body + b"\r\n--b--")[1]
    assert (part.name, part.filename) == ("store", 'a"b.txt')
    request = httpx2.Request(
        "POST",
        f"https://{HOST}/v1/files",
        content=b'--b\r\nContent-Disposition: form-data; name="st\\ore"\r\n\r\ntrue\r\n--b--',
        headers={"content-type": FORM_DATA},
    )
    with pytest.raises(EgressBlocked, match=r"\(egress\.store\)"):
        EgressPolicy.allow(f"https://{HOST}", block_types=()).check(request)


def test_a_compressed_body_is_never_inflated_far_past_the_bound():
    # 16 MiB of zeros gzip to 16 KiB: inflating it whole before refusing it is the bomb.
    bomb = gz(bytes(16 * 2**20))
    tracemalloc.start()
    try:
        with pytest.raises(EgressBlocked, match=r"\(egress\.body_size\)"):
            decode_content(bomb, "gzip", HOST, limit=1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20

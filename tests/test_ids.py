"""Call ids: uuid4's format, unique, and never shared by a forked child and its parent."""

from __future__ import annotations

import os
import sys
import uuid

import pytest

from privllm._ids import new_call_id
from privllm.pipeline import CallContext
from privllm.types import Endpoint


def test_call_ids_have_uuid4s_format_and_do_not_repeat():
    ids = [new_call_id() for _ in range(20_000)]  # many 4 KB refills
    assert len(set(ids)) == len(ids)
    for call_id in ids:
        parsed = uuid.UUID(call_id)
        assert parsed.hex == call_id  # 32 lowercase hex digits, as uuid4().hex
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_every_call_context_gets_its_own_id():
    endpoint = Endpoint(provider="x", base_url="http://h", host="h", kind="unknown")
    a, b = CallContext(endpoint), CallContext(endpoint)
    assert a.call_id != b.call_id
    assert uuid.UUID(a.call_id).version == 4


@pytest.mark.skipif(sys.platform == "win32", reason="no fork on Windows")
def test_a_forked_child_does_not_reuse_its_parents_buffered_ids():
    new_call_id()  # the buffer is filled before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.write(write, new_call_id().encode())
        finally:
            os._exit(0)
    os.close(write)
    try:
        child = os.read(read, 64).decode()
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    assert len(child) == 32
    assert child != new_call_id()

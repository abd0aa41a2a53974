"""A separate process that makes calls through a Client with an audit log, for the tests
that need what one process cannot do to itself: a disk that fills up, a kill -9.

    python audit_child.py MODE PROVIDER_JSON LOG

Prints one line per call to stdout, flushed: ``ok <call number>`` when a call returned,
``refused <ErrorClass>: <message>`` when it raised.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time

from privllm import Client
from privllm.errors import PrivllmError


def main() -> None:
    mode, provider, log = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    audit = {"path": log, "require_record": mode.startswith("strict")}
    env = {"PRIVLLM_AUDIT_KEY": os.environ["PRIVLLM_AUDIT_KEY"]}
    client = Client(env=env, provider=provider, audit=audit)
    try:
        if mode.endswith("diskfull"):
            client.chat("first call, logged")
            print("ok 0", flush=True)
            time.sleep(0.5)  # its record is written (the writer lingers 20 ms)
            # The disk "fills up": no file may grow past its size now (SIGXFSZ ignored, so
            # writes fail with EFBIG as on a full disk).
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            size = max(os.path.getsize(p) for p in (log, log + "-wal") if os.path.exists(p))
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))
            calls = range(1, 8)
        else:
            calls = range(1, 1_000_000)
        big = "lorem ipsum " * 4000  # each record must grow the log
        for i in calls:
            try:
                client.chat(f"call {i}: {big}")
            except PrivllmError as exc:
                print(f"refused {type(exc).__name__}: {exc}", flush=True)
            else:
                print(f"ok {i}", flush=True)
            if mode.endswith("diskfull"):
                time.sleep(0.1)  # the writer thread meets the full disk in between
    finally:
        try:
            client.close()
        except PrivllmError as exc:
            print(f"close {type(exc).__name__}: {exc}", flush=True)


if __name__ == "__main__":
    main()

"""Fixtures for everything pytest collects: the tests and the modules' doctests.

Clients keep an audit log (and make its key) under the data home by default, and module
doctests build clients too: no test and no doctest may write into the real home, so these
live at the root, above both ``tests/`` and ``src/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Clients keep an audit log (and make its key) under the data home by default: point
    HOME and XDG_DATA_HOME at a temp dir so no test writes into the real home. Session-wide
    and autouse, so it is in place before any module- or session-scoped client fixture."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
        mp.delenv("PRIVLLM_AUDIT_KEY", raising=False)
        yield


@pytest.fixture(autouse=True)
def _fresh_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """And a fresh one per test: a default audit key made by one test must not be found by
    the next (a test of "no key yet" would otherwise depend on test order)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))

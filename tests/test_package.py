"""The public surface and the import budget."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

import privllm


def test_all_is_complete_and_sorted():
    public = {name for name in dir(privllm) if not name.startswith("_")}
    public |= {"__version__"}
    assert privllm.__all__ == sorted(set(privllm.__all__))
    assert all(hasattr(privllm, name) for name in privllm.__all__)
    # every public attribute is exported (submodules imported as a side effect aside)
    unexported = public - set(privllm.__all__)
    assert all(inspect.ismodule(getattr(privllm, name)) for name in unexported), unexported


def test_import_loads_no_provider_sdk():
    code = (
        "import sys, privllm\n"
        "heavy = [m for m in ('openai', 'google.genai', 'azure.identity', 'httpx2', 'rich',"
        " 'phonenumbers', 'ahocorasick', 'cryptography', 'sqlite3', 'opentelemetry',"
        " 'langchain_core', 'langchain', 'llama_index', 'redis')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_building_a_client_loads_only_its_sdk():
    code = (
        "import sys\n"
        "from privllm import Client\n"
        "Client(env={}, provider={'name': 'openai', 'openai': {'api_key': 'sk-x'}})\n"
        "sdks = ('openai', 'google.genai', 'azure.identity')\n"
        "print(','.join(m for m in sdks if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "openai"


@pytest.mark.parametrize(
    ("module", "setting"),
    [
        ("opentelemetry", "otel={'enabled': True}"),
        ("redis", "redaction={'vault': {'backend': 'redis'}}"),
    ],
)
def test_an_extra_is_imported_only_when_configured(module, setting):
    code = (
        "import sys\n"
        "from privllm import Client\n"
        "from privllm.audit.crypto import generate_key\n"
        "env = {'PRIVLLM_VAULT_URL': 'redis://127.0.0.1:1/0',\n"
        "       'PRIVLLM_VAULT_KEY': generate_key()}\n"
        "settings = dict(env=env, provider={'name': 'openai', 'openai': {'api_key': 'sk-x'}},\n"
        "                audit={'enabled': False})\n"
        "Client(**settings)\n"
        f"print({module!r} in sys.modules)\n"
        f"Client(**settings, {setting})\n"
        f"print({module!r} in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_the_typed_marker(tmp_path):
    # Without py.typed a user's mypy reports import-untyped and sees every privllm object as
    # Any. Built offline with the installed hatchling, as a release would be.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    wheel = next(tmp_path.glob("privllm-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        assert "privllm/py.typed" in zf.namelist()
        # the PostgreSQL audit store reads its schema from these files at run time
        assert "privllm/audit/migrations/0001_create_log.sql" in zf.namelist()


def test_a_users_mypy_sees_privllm_types(tmp_path):
    user = tmp_path / "app.py"
    user.write_text(
        "from privllm import Client, Message\n"
        "from privllm.audit import AuditStore\n"
        "from privllm.redaction import scan\n"
        "reveal_type(Client.chat)\n"
        "reveal_type(AuditStore.verify)\n"
        "reveal_type(scan)\n"
        "m: int = Message.user('hi')\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--strict", str(user)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "import-untyped" not in out.stdout, out.stdout
    assert "privllm.types.ChatResponse" in out.stdout
    # Names a package loads on first use are typed too (imported under TYPE_CHECKING).
    assert "privllm.audit.record.VerifyReport" in out.stdout
    assert "-> list[privllm.redaction.findings.Finding]" in out.stdout
    # A wrong use is a type error the user's checker catches.
    assert 'Incompatible types in assignment (expression has type "Message"' in out.stdout


PACKAGES = [
    "privllm.audit",
    "privllm.finetune",
    "privllm.policy",
    "privllm.providers",
    "privllm.redaction",
    "privllm.testing",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_package_has_one_sorted_complete_surface(name):
    # httpx's exported-members test, per package: what users import is named, sorted, and
    # every name resolves (lazily loaded ones included).
    module = importlib.import_module(name)
    assert module.__all__ == sorted(set(module.__all__)), name
    # A submodule of the same name as an exported function would replace it on the package
    # once anything imports that submodule (`privllm.redaction.scan` was a module then).
    for sub in pkgutil.iter_modules(module.__path__):
        if sub.name in module.__all__:
            importlib.import_module(f"{name}.{sub.name}")
    for attr in module.__all__:
        value = getattr(module, attr)
        assert value is not None, f"{name}.{attr}"
        assert not isinstance(value, types.ModuleType), f"{name}.{attr} is a module"


def test_subpackages_import_nothing_heavy():
    code = (
        "import sys, privllm.policy, privllm.finetune, privllm.providers\n"
        "heavy = ('openai', 'google.genai', 'azure.identity', 'httpx2', 'cryptography')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_module_doctests_never_write_into_the_real_home(tmp_path):
    # Module docstrings build clients, which keep an audit log and make its key under the
    # data home: the root conftest.py isolates the doctests as tests/conftest.py did the
    # tests. Run as pytest runs them, with a home of our own to watch.
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "share")}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(ROOT / "src/privllm/client.py"), str(ROOT / "src/privllm/errors.py")],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:]
    assert list(tmp_path.iterdir()) == []

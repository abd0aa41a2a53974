"""The public surface and the import budget."""

from __future__ import annotations

import inspect
import subprocess
import sys

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
        " 'phonenumbers', 'ahocorasick', 'cryptography', 'sqlite3')"
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

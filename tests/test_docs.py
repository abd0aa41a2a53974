"""Every ```python block in docs/ runs as written (offline, against privllm.testing servers).

Blocks fenced ```py are illustrations that need something privllm does not install (a spaCy
model, a real key) and are not run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for i, match in enumerate(BLOCK.finditer(page.read_text())):
            found.append((f"{page.name}#{i + 1}", match.group(1)))
    return found


@pytest.mark.parametrize(("where", "code"), _blocks(), ids=[w for w, _ in _blocks()])
def test_doc_example_runs(where, code, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        # A private HOME: examples that build a Client create the default audit log there.
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONWARNINGS": "error",
            "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(tmp_path / "data"),
        },
    )
    assert result.returncode == 0, f"{where} failed:\n{result.stderr}"


IMPORT = re.compile(r"^from (privllm(?:\.\w+)+) import (\([^)]*\)|.+)$", re.M)


def test_docs_import_each_name_from_its_package_surface():
    # One way to import a name (issue 17): a name a package exports is imported from the
    # package, not from the module it lives in. A package's own surface counts
    # (DatasetError from privllm.finetune, or from privllm).
    import importlib

    readme = DOCS.parent / "README.md"
    stray = []
    for page in [*sorted(DOCS.glob("*.md")), readme]:
        for module, names in IMPORT.findall(page.read_text()):
            wanted = {n.split(" as ")[0].strip() for n in names.strip("()").split(",")} - {""}
            source = importlib.import_module(module)
            if hasattr(source, "__path__"):  # a package: its own surface
                wanted -= set(getattr(source, "__all__", ()))
            parts = module.split(".")
            for i in range(1, len(parts)):
                package = importlib.import_module(".".join(parts[:i]))
                for name in wanted & set(getattr(package, "__all__", ())):
                    if getattr(package, name) is getattr(source, name):
                        stray.append(f"{page.name}: {name} from {module}, not {package.__name__}")
    assert stray == []

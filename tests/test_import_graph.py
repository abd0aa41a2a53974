"""No import cycles between privllm's modules.

A cycle works or breaks depending on which module is imported first, and it hides where
code belongs (``message_from_dict`` lived in the client core and was imported back by the
conversation). Only imports run at module load count: an import inside a function (the
optional extras, the built-in middleware) happens after every module has loaded.
"""

from __future__ import annotations

import ast
from pathlib import Path

import privllm

SRC = Path(privllm.__file__).parent


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _load_time_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    out: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            out += _load_time_imports(node.body) + _load_time_imports(node.orelse)
        elif isinstance(node, ast.Try):
            out += _load_time_imports(node.body)
            for handler in node.handlers:
                out += _load_time_imports(handler.body)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        package = name.split(".") if is_package else name.split(".")[:-1]
        targets: set[str] = set()
        for node in _load_time_imports(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                up = package[: len(package) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            # `from pkg import sub` needs the submodule; a plain name needs `pkg` itself.
            subs = {f"{base}.{alias.name}" for alias in node.names} & modules.keys()
            targets.update(subs or {base})
        # A module's own packages are loaded before it: importing from them closes no cycle.
        ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        graph[name] = {t for t in targets if t in modules and t != name} - ancestors
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_check_sees_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_the_graph_reads_relative_and_package_imports():
    graph = _graph()
    assert "privllm.types" in graph["privllm.conversation"]
    assert "privllm._core" in graph["privllm.client"]
    assert "privllm.conversation" in graph["privllm._core"]
    # `from . import mapping` inside privllm.providers.openai.provider names the submodule.
    assert "privllm.providers.openai.mapping" in graph["privllm.providers.openai.provider"]
    assert "privllm.client" not in graph["privllm.conversation"]


def test_message_from_dict_lives_beside_message():
    from privllm import core, types

    assert core.message_from_dict is types.message_from_dict
    assert types.message_from_dict({"role": "user", "content": "hi"}) == types.Message.user("hi")

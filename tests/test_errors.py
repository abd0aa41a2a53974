"""The error tree drawn in ``privllm.errors`` is the class hierarchy, both ways."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re

import pytest

import privllm
from privllm import errors

_BRANCH = re.compile(r"^(?P<indent>(?:│   |    )*)(?:├── |└── )(?P<name>[A-Za-z]\w*)")


def drawn_tree() -> dict[str, str | None]:
    """Each class name drawn in the docstring, with the name drawn as its parent."""
    lines = [line[4:] for line in (errors.__doc__ or "").splitlines() if line.startswith("    ")]
    root = lines[0].strip()
    tree: dict[str, str | None] = {root: None}
    path = [root]  # path[d] is the latest name drawn at depth d
    for line in lines[1:]:
        match = _BRANCH.match(line)
        if match is None:
            assert line.startswith(("│", " ")), f"not part of the tree: {line!r}"
            continue  # a note continued on the next line
        depth = len(match["indent"]) // 4 + 1
        name = match["name"]
        assert name not in tree, f"{name} drawn twice"
        del path[depth:]
        tree[name] = path[depth - 1]
        path.append(name)
    return tree


def privllm_error_classes() -> set[type[errors.PrivllmError]]:
    """Every PrivllmError subclass defined anywhere in the package (all modules imported)."""
    for info in pkgutil.walk_packages(privllm.__path__, "privllm."):
        importlib.import_module(info.name)
    found: set[type[errors.PrivllmError]] = set()
    todo = [errors.PrivllmError]
    while todo:
        cls = todo.pop()
        if cls.__module__.split(".")[0] == "privllm":
            found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_the_drawing_parses_into_a_tree_rooted_at_privllm_error():
    tree = drawn_tree()
    assert tree["PrivllmError"] is None
    assert len(tree) > 20


def test_every_drawn_class_exists_with_the_drawn_parent():
    for name, parent in drawn_tree().items():
        cls = getattr(errors, name)
        assert name in errors.__all__
        if parent is None:
            continue
        bases = [b for b in cls.__bases__ if issubclass(b, errors.PrivllmError)]
        assert bases == [getattr(errors, parent)], f"{name}: drawn under {parent}, is {bases}"


#: The openai drop-in's errors: the SDK's classes subclassed with drawn ones (below).
DROPIN = "privllm.openai"
#: The google-genai drop-in's, the same (tests/dropin/test_genai.py).
GENAI_DROPIN = "privllm.genai"


def test_every_error_class_in_the_package_is_drawn():
    drawn = set(drawn_tree())
    for cls in privllm_error_classes():
        if cls.__module__.startswith((DROPIN + ".", GENAI_DROPIN + ".")):
            continue
        assert cls.__name__ in drawn, f"{cls.__module__}.{cls.__qualname__} is not drawn"
        # defined once, in errors.py: other modules only re-export it
        assert getattr(errors, cls.__name__) is cls


def test_the_drop_ins_errors_are_sdk_classes_on_drawn_ones():
    # Each is one of the openai SDK's exceptions (or the drop-in's refusal) whose privllm
    # bases are drawn classes: `except privllm.errors.X` keeps covering it, and the tree in
    # errors.py stays the whole of privllm's own hierarchy.
    import openai

    from privllm import openai as dropin

    drawn = {getattr(errors, name) for name in drawn_tree()}
    classes = [c for c in privllm_error_classes() if c.__module__.startswith(DROPIN + ".")]
    assert len(classes) >= 15
    for cls in classes:
        assert getattr(dropin, cls.__name__) is cls
        assert cls.__name__ in dropin.__all__
        bases = [b for b in cls.__bases__ if issubclass(b, errors.PrivllmError)]
        assert bases, cls
        assert all(b in drawn for b in bases), cls
        assert issubclass(cls, openai.OpenAIError) or cls is dropin.EndpointNotCovered


def test_every_error_class_is_exported_from_privllm():
    for name in drawn_tree():
        assert name in privllm.__all__
        assert getattr(privllm, name) is getattr(errors, name)


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("privllm.client", "StructuredOutputError"),
        ("privllm.core", "StructuredOutputError"),
        ("privllm.finetune.prepare.dataset", "DatasetError"),
        ("privllm.finetune.prepare.report", "DatasetError"),
        ("privllm.finetune.jobs.lifecycle", "UnpreparedFileError"),
        ("privllm.finetune.jobs.admission", "UnpreparedFileError"),
    ],
)
def test_moved_errors_keep_their_old_import_paths(module, name):
    assert getattr(importlib.import_module(module), name) is getattr(errors, name)


def test_a_timeout_is_a_connection_error_and_statuses_share_a_parent():
    timeout = errors.ProviderTimeoutError("request timed out", provider="openai")
    assert isinstance(timeout, errors.ProviderConnectionError)
    assert errors.error_for_status(409) is errors.ProviderStatusError
    assert issubclass(errors.error_for_status(503), errors.ProviderStatusError)
    late = errors.StructuredOutputError("answer does not match X", provider="openai")
    # the answer arrived: not a provider failure to retry or fall back on
    assert not isinstance(late, errors.ProviderError)
    assert (late.provider, late.message) == ("openai", "answer does not match X")


def test_the_errors_module_examples_run():
    failures, tried = doctest.testmod(errors, optionflags=doctest.ELLIPSIS)
    assert tried
    assert not failures

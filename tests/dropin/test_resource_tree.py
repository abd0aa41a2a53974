"""Every resource and method of the real openai client is either covered by the drop-in or
refused with :class:`EndpointNotCovered`: none is missing (an ``AttributeError`` an app
would meet at run time) and none is the SDK's own object (a way around privllm).

The SDK's tree is read from the installed ``openai`` package, so a new SDK release that adds
an endpoint fails this test until the drop-in covers or refuses it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai._resource import AsyncAPIResource, SyncAPIResource

from privllm.openai import AsyncOpenAI, EndpointNotCovered, OpenAI

#: The SDK client's raw HTTP verbs: each a way around every check.
RAW_HTTP = ("get", "post", "put", "patch", "delete")


def _resources(owner: type) -> Iterator[str]:
    for name, member in inspect.getmembers(owner):
        if name.startswith("_") or not isinstance(member, functools.cached_property):
            continue
        returns = inspect.signature(member.func).return_annotation
        if isinstance(returns, str) and returns.startswith(("With", "AsyncWith")):
            continue  # with_raw_response / with_streaming_response views, walked below
        yield name


def _methods(owner: type) -> Iterator[str]:
    for name, member in vars(owner).items():
        if not name.startswith("_") and inspect.isfunction(member):
            yield name


def sdk_paths(client_class: type) -> list[str]:
    """Dotted paths of every resource and method of the SDK client, from the classes."""
    base = (SyncAPIResource, AsyncAPIResource)
    sdk = client_class(api_key="sk-walk-0000", base_url="http://127.0.0.1:9/v1")
    paths: list[str] = []

    def walk(obj: Any, prefix: str) -> None:
        for name in _resources(type(obj)):
            child = getattr(obj, name)
            if not isinstance(child, base):
                continue
            path = f"{prefix}{name}"
            paths.append(path)
            walk(child, f"{path}.")
            paths.extend(f"{path}.{m}" for m in _methods(type(child)))

    walk(sdk, "")
    paths.extend(RAW_HTTP)
    paths.extend(("with_raw_response", "with_streaming_response"))
    sdk.close() if hasattr(sdk, "close") and not inspect.iscoroutinefunction(sdk.close) else None
    return sorted(paths)


def resolve(client: Any, path: str) -> Any:
    target = client
    for name in path.split("."):
        target = getattr(target, name)
    return target


@pytest.mark.parametrize(
    ("ours", "theirs"), [(OpenAI, openai.OpenAI), (AsyncOpenAI, openai.AsyncOpenAI)]
)
def test_every_sdk_endpoint_is_covered_or_refused(ours, theirs):
    paths = sdk_paths(theirs)
    assert len(paths) > 100  # the walk found the SDK's tree
    client = ours(
        api_key="sk-walk-0000", base_url="http://127.0.0.1:9/v1", env={}, audit={"enabled": False}
    )
    covered, refused, missing, raw = [], [], [], []
    for path in paths:
        try:
            found = resolve(client, path)
        except EndpointNotCovered as exc:
            refused.append((path, str(exc)))
            continue
        except AttributeError:
            missing.append(path)
            continue
        owner = getattr(found, "__self__", found)
        if isinstance(
            owner, (SyncAPIResource, AsyncAPIResource, openai.OpenAI, openai.AsyncOpenAI)
        ):
            raw.append(path)
        covered.append(path)
    assert missing == []
    assert raw == []
    # Each refusal names the endpoint and says why (or what to use instead).
    assert all("not covered by privllm's openai drop-in: " in why for _, why in refused)
    refused_paths = {path for path, _ in refused}
    assert {
        "chat.completions.create",
        "chat.completions.parse",
        "chat.completions.stream",
        "embeddings.create",
        "models.list",
        "models.retrieve",
        "responses.create",
        "responses.parse",
        "with_raw_response",
    } <= set(covered)
    named = {"files", "batches", "fine_tuning", "realtime", "images", "audio", "uploads"}
    named |= {"vector_stores", "beta.assistants", "post", "with_streaming_response"}
    assert named <= refused_paths

"""Middleware entries: a path, a class with options or an instance, in code and config. A bad
entry is an error naming ``middleware[i]`` and the field, never an option's value."""

from __future__ import annotations

import sys
import traceback

import pytest
from pydantic import ValidationError

from privllm import Client, Middleware, MiddlewareEntry, load_config
from privllm.config_cli import describe, rows
from privllm.errors import ConfigError

SECRET = "sk-live-5up3r53cr3tT0k3nV4lu3"


class Counter(Middleware):
    """Takes options; counts the calls it saw."""

    def __init__(self, *, label: str, token: str = "") -> None:
        self.label = label
        self.token = token
        self.calls = 0

    def on_request(self, request, ctx):
        self.calls += 1
        return request


class Picky(Middleware):
    """Refuses a token it does not like, quoting it (as careless code does)."""

    def __init__(self, token: str) -> None:
        raise ValueError(f"token {token} is not valid")


def _chain(client):
    return client._core.chain.middleware


def _everything_said(error: BaseException) -> str:
    """The message, the repr, the cause/context chain and the printed traceback."""
    parts = []
    current: BaseException | None = error
    while current is not None:
        parts += [str(current), repr(current)]
        current = current.__cause__ or current.__context__
    parts.append("".join(traceback.format_exception(error)))
    return "\n".join(parts)


def test_a_class_with_options_in_code(openai_server):
    with Client(
        env={},
        provider=openai_server.provider_config(),
        middleware=[
            MiddlewareEntry(Counter, options={"label": "a", "token": SECRET}),
            {"use": f"{__name__}:Counter", "options": {"label": "b"}},
        ],
    ) as client:
        client.chat("hi")
        built = [m for m in _chain(client) if isinstance(m, Counter)]
    assert [(m.label, m.calls) for m in built] == [("a", 1), ("b", 1)]
    assert built[0].token == SECRET


def test_plain_strings_and_instances_still_work(openai_server):
    counter = Counter(label="x")
    with Client(
        env={}, provider=openai_server.provider_config(), middleware=[counter, "privllm:Middleware"]
    ) as client:
        client.chat("hi")
    assert counter.calls == 1


def test_config_keeps_plain_strings_and_reads_tables(tmp_path):
    path = tmp_path / "privllm.toml"
    path.write_text(
        'middleware = ["a.b:C", { use = "d.e:F", options = { level = 2 }, '
        'place = "inside_redaction" }]\n'
    )
    config = load_config(path, env={})
    assert config.middleware[0] == "a.b:C"
    entry = config.middleware[1]
    assert isinstance(entry, MiddlewareEntry)
    assert (entry.use, entry.options, entry.place) == ("d.e:F", {"level": 2}, "inside_redaction")


@pytest.mark.parametrize(
    ("table", "field", "reason"),
    [
        ('{ use = "d.e:F", place = "middle" }', "middleware.1.place", "inside_redaction"),
        ('{ use = "d.e:F", optoins = { token = "X" } }', "middleware.1.optoins", "not permitted"),
        ('{ use = "no_colon", options = { token = "X" } }', "middleware.1.use", "ClassName"),
        ('{ options = { token = "X" } }', "middleware.1.use", "required"),
        ('{ use = "d.e:F", options = "X" }', "middleware.1.options", "dictionary"),
    ],
)
def test_a_bad_table_in_a_file_names_file_index_and_field(tmp_path, table, field, reason):
    path = tmp_path / "privllm.toml"
    path.write_text(f'middleware = ["a.b:C", {table.replace("X", SECRET)}]\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.field == field
    assert str(path) in str(info.value)
    assert reason in str(info.value)
    assert SECRET not in _everything_said(info.value)


@pytest.mark.parametrize(
    ("item", "field", "reason"),
    [
        ({"use": f"{__name__}:Counter", "options": {"label": "a", "lable": SECRET}},
         "middleware[1].options", "lable"),
        ({"use": f"{__name__}:Picky", "options": {"token": SECRET}}, "middleware[1].options",
         "ValueError"),
        ({"use": Counter(label="x"), "options": {"token": SECRET}}, "middleware[1].options",
         "instance"),
        ({"use": "nope.module:Thing", "options": {"token": SECRET}}, "middleware[1].use",
         "cannot be imported"),
        ({"use": "collections:OrderedDict", "options": {"token": SECRET}}, "middleware[1]",
         "not a privllm"),
        ({"use": f"{__name__}:Counter", "place": "middle", "options": {"token": SECRET}},
         "middleware[1].place", "inside_redaction"),
        (42, "middleware[1]", "not int"),
    ],
)  # fmt: skip
def test_a_bad_entry_in_code_names_index_and_field_never_the_value(
    openai_server, item, field, reason
):
    with pytest.raises(ConfigError) as info:
        Client(env={}, provider=openai_server.provider_config(), middleware=["privllm:Middleware",
               item])  # fmt: skip
    assert info.value.field == field
    assert reason in str(info.value)
    assert SECRET not in _everything_said(info.value)


def test_a_misspelt_place_on_a_class_is_refused(openai_server):
    class Logger(Middleware):
        place = "inside"  # meant inside_redaction: never silently run outside

    with pytest.raises(ConfigError, match=r"Logger\.place is 'inside'") as info:
        Client(env={}, provider=openai_server.provider_config(), middleware=[Logger()])
    assert info.value.field == "middleware[0].place"


def test_config_entries_are_numbered_after_the_ones_in_code(openai_server):
    config = load_config(
        env={}, provider=openai_server.provider_config(), middleware=["nope.module:Thing"]
    )
    with pytest.raises(ConfigError) as info:
        Client(config, middleware=[Counter(label="x")])
    assert info.value.field == "middleware[1].use"


def test_an_entry_built_in_code_hides_its_options():
    with pytest.raises(ValidationError) as info:
        MiddlewareEntry(Counter, options=SECRET)
    assert "options" in str(info.value)
    assert SECRET not in _everything_said(info.value)
    entry = MiddlewareEntry(Counter, options={"token": SECRET})
    assert SECRET not in repr(entry)
    assert "token" in repr(entry)
    assert entry.model_dump() == {
        "use": f"{__name__}:Counter",
        "options": {"token": "***"},
        "place": None,
    }


def test_config_show_never_prints_option_values(tmp_path):
    path = tmp_path / "privllm.toml"
    path.write_text(f'middleware = [{{ use = "d.e:F", options = {{ token = "{SECRET}" }} }}]\n')
    shown = [describe(key, value) for key, value, _ in rows(load_config(path, env={}))]
    assert any("d.e:F" in text for text in shown)
    assert SECRET not in "\n".join(shown)


def test_load_middleware_keeps_its_behaviour():
    from privllm.pipeline import load_middleware

    assert type(load_middleware("privllm:Middleware")) is Middleware
    assert "placed" not in sys.modules  # nothing imported beyond what was named

"""Cloud Storage for Vertex uploads: the guard's scope, the settings, the local endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from pydantic import ValidationError

from privllm.config import PolicyConfig, ProviderConfig
from privllm.errors import ConfigError, EgressBlocked
from privllm.finetune.jobs.gcs import object_name, split_uri, storage_endpoint, storage_guard
from privllm.finetune.settings import FinetuneConfig
from privllm.policy.egress.guard import EgressPolicy, PathRule
from privllm.testing import GeminiServer

VERTEX = ProviderConfig(name="google", google={"project": "p", "location": "europe-west4"})
UPLOAD = "https://storage.googleapis.com/upload/storage/v1/b/acme-training/o"
OBJECT = "https://storage.googleapis.com/storage/v1/b/acme-training/o/privllm-ab.jsonl"


@pytest.fixture
def guard() -> EgressPolicy:
    endpoint = storage_endpoint(FinetuneConfig(), ())
    return storage_guard(VERTEX, PolicyConfig(), None, endpoint, "acme-training")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", f"{UPLOAD}?uploadType=media&name=privllm-ab.jsonl&ifGenerationMatch=0"),
        ("DELETE", OBJECT),
        ("GET", OBJECT),
        ("DELETE", OBJECT.replace("privllm-ab", "folder%2Fprivllm-ab")),
        ("POST", "https://oauth2.googleapis.com/token"),  # token refreshes
    ],
)
def test_storage_guard_allows_this_buckets_objects(guard, method, url):
    guard.check_url(url, method)


@pytest.mark.parametrize(
    ("method", "url", "rule"),
    [
        ("POST", UPLOAD.replace("acme-training", "attacker-bucket"), "egress.host"),
        ("DELETE", OBJECT.replace("acme-training", "acme-training-2"), "egress.host"),
        ("GET", "https://storage.googleapis.com/storage/v1/b/acme-training/o", "egress.host"),
        ("DELETE", "https://storage.googleapis.com/storage/v1/b/acme-training", "egress.host"),
        ("PUT", OBJECT, "egress.host"),
        ("POST", OBJECT, "egress.host"),
        ("DELETE", OBJECT + "/acl", "egress.host"),
        ("DELETE", "https://storage.googleapis.com/storage/v1/b/acme-training/o/..", "egress.host"),
        (
            "POST",
            "http://storage.googleapis.com/upload/storage/v1/b/acme-training/o",
            "egress.scheme",
        ),
        ("POST", "https://europe-west4-aiplatform.googleapis.com/v1/x", "egress.host"),
        ("GET", "https://oauth2.googleapis.com/token", "egress.identity"),
    ],
)
def test_storage_guard_refuses_everything_else(guard, method, url, rule):
    with pytest.raises(EgressBlocked) as caught:
        guard.check_url(url, method)
    assert caught.value.rule == rule


def test_chat_guard_of_a_vertex_section_never_allows_the_storage_host():
    chat = EgressPolicy.from_config(VERTEX, PolicyConfig())
    with pytest.raises(EgressBlocked) as caught:
        chat.check_url(UPLOAD)
    assert caught.value.rule == "egress.host"
    chat.check_url("https://europe-west4-aiplatform.googleapis.com/v1/projects/p/x")


def test_storage_guard_scans_bodies_unless_self_hosted(guard):
    card = httpx2.Request("POST", UPLOAD, content=b'{"t": "card 4111 1111 1111 1111"}\n{}\n')
    card.read()
    with pytest.raises(EgressBlocked) as caught:
        guard.check(card)
    assert caught.value.rule == "egress.body"
    local = storage_endpoint(FinetuneConfig(gcs_endpoint="http://127.0.0.1:9"), ())
    assert local.kind == "self_hosted"
    loose = storage_guard(VERTEX, PolicyConfig(), None, local, "acme-training")
    assert loose.block_types == frozenset()


def test_path_rules_need_an_allowed_host():
    with pytest.raises(ConfigError, match="not allowed"):
        EgressPolicy(
            origins=frozenset(),
            path_rules=frozenset({PathRule("storage.googleapis.com", "GET", "/x")}),
        )


def test_storage_endpoint_classification():
    public = storage_endpoint(FinetuneConfig(gcs_location="europe-west4"), ())
    assert (public.host, public.kind, public.region, public.data_zone) == (
        "storage.googleapis.com", "enterprise_api", "europe-west4", None
    )  # fmt: skip
    other = storage_endpoint(FinetuneConfig(gcs_endpoint="https://gcs.corp.example"), ())
    assert other.kind == "unknown"
    declared = storage_endpoint(
        FinetuneConfig(gcs_endpoint="https://gcs.corp.example"), ["gcs.corp.example"]
    )
    assert declared.kind == "self_hosted"


def test_uris():
    assert object_name("privllm-ab.jsonl", None) == "privllm-ab.jsonl"
    assert split_uri("gs://b-1/x/y.jsonl") == ("b-1", "x/y.jsonl")
    for bad in ("gs://b-1/", "s3://b/x", "gs:///x"):
        with pytest.raises(ConfigError):
            split_uri(bad)


# -- settings ------------------------------------------------------------------------------------


def test_settings_normalise():
    s = FinetuneConfig(
        gcs_bucket="acme.training-eu",
        gcs_prefix="/tuning/2026/",
        gcs_location="EUROPE-WEST4",
        gcs_endpoint="http://127.0.0.1:8080/",
    )
    assert (s.gcs_prefix, s.gcs_location, s.gcs_endpoint) == (
        "tuning/2026", "europe-west4", "http://127.0.0.1:8080"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("gcs_bucket", "gs://acme/train", "without gs://"),
        ("gcs_bucket", "Acme", "bucket name"),
        ("gcs_bucket", "ab", "bucket name"),
        ("gcs_bucket", "a" * 64, "bucket name"),
        ("gcs_prefix", "a//b", "folder"),
        ("gcs_prefix", "a/../b", "folder"),
        ("gcs_prefix", "a\nb", "folder"),
        ("gcs_location", "europe west4", "location"),
        ("gcs_endpoint", "https://storage.googleapis.com/storage/v1", "origin"),
        ("gcs_endpoint", "https://user:pw@storage.googleapis.com", "origin"),
        ("gcs_endpoint", "ftp://storage.googleapis.com", "origin"),
    ],
)
def test_settings_refuse(field, value, why):
    with pytest.raises(ValidationError, match=why) as caught:
        FinetuneConfig(**{field: value})
    assert field in str(caught.value)


# -- the local server ----------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[GeminiServer]:
    with GeminiServer() as s:
        yield s


def _client(server: GeminiServer) -> httpx2.Client:
    return httpx2.Client(base_url=server.url, headers={"authorization": "Bearer ya29.t"})


def test_server_upload_get_delete(server):
    with _client(server) as http:
        params = {"uploadType": "media", "name": "f/x.jsonl", "ifGenerationMatch": "0"}
        made = http.post("/upload/storage/v1/b/bk/o", params=params, content=b"{}\n")
        assert made.status_code == 200
        assert (made.json()["name"], made.json()["size"]) == ("f/x.jsonl", "3")
        assert http.post("/upload/storage/v1/b/bk/o", params=params, content=b"").status_code == 412
        meta = http.get("/storage/v1/b/bk/o/f%2Fx.jsonl")
        assert meta.json()["md5Hash"] == made.json()["md5Hash"]
        assert (
            http.get("/storage/v1/b/bk/o/f%2Fx.jsonl", params={"alt": "media"}).content == b"{}\n"
        )
        assert http.delete("/storage/v1/b/bk/o/f%2Fx.jsonl").status_code == 204
        gone = http.delete("/storage/v1/b/bk/o/f%2Fx.jsonl")
        assert gone.status_code == 404
        assert gone.json()["error"]["errors"][0]["reason"] == "notFound"
    assert server.storage_deleted == ["gs://bk/f/x.jsonl"]
    assert server.storage_objects == {}


def test_server_checks_auth_and_buckets(server):
    with httpx2.Client(base_url=server.url) as http:
        assert http.get("/storage/v1/b/bk/o/x").status_code == 401
    server.storage_buckets = {"bk"}
    with _client(server) as http:
        missing = http.post(
            "/upload/storage/v1/b/other/o", params={"uploadType": "media", "name": "x"}
        )
        assert missing.status_code == 404
        assert "bucket does not exist" in missing.json()["error"]["message"]
        assert http.post("/upload/storage/v1/b/bk/o", params={"name": "x"}).status_code == 400


@pytest.mark.parametrize("field", ["retention_days", "model_retention_days"])
def test_a_retention_past_any_calendar_is_a_config_error_naming_the_field(field):
    # 10**9 days overflowed datetime arithmetic at upload and purge time.
    from privllm.config import load_config
    from privllm.errors import ConfigError

    with pytest.raises(ConfigError, match=f"finetune.{field}"):
        load_config(finetune={field: 10**9})
    assert getattr(load_config(finetune={field: 36600}).finetune, field) == 36600

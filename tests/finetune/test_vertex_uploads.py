"""Vertex AI: upload to Cloud Storage, train from it, track and purge it, from the outside."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from finetune.samples import CARD, EMAIL, PERSON, RAW, TERMS, write_jsonl
from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.store import AuditStore
from privllm.config import RedactionConfig
from privllm.errors import (
    AuthenticationError,
    ConfigError,
    EgressBlocked,
    PolicyViolation,
    ProviderError,
)
from privllm.finetune.jobs.cli import JOB_COMMANDS
from privllm.finetune.jobs.lifecycle import FinetuneConfig, FinetuneJobs, UnpreparedFileError
from privllm.finetune.prepare.dataset import prepare_file, scan_file
from privllm.finetune.prepare.valuemap import ValueMap
from privllm.redaction.redactor import Redactor
from privllm.testing import GeminiServer, Reply
from support.reroute import reroute

Make = Callable[..., FinetuneJobs]
BUCKET = "acme-training"
TOKEN = "ya29.secret-access-token-0123456789"


def gemini(*turns: str) -> dict[str, object]:
    """A Vertex (Gemini) format line: alternating user / model turns."""
    roles = ("user", "model")
    return {
        "contents": [
            {"role": roles[i % 2], "parts": [{"text": text}]} for i, text in enumerate(turns)
        ]
    }


def raw_records() -> list[object]:
    return [
        gemini(f"I'm {PERSON}, mail {EMAIL}, card {CARD}.", f"Thanks {PERSON}."),
        gemini("Nothing personal here.", "Fine."),
    ]


@pytest.fixture
def key() -> MasterKey:
    return MasterKey.from_base64(generate_key())


@pytest.fixture
def server() -> Iterator[GeminiServer]:
    with GeminiServer() as s:
        yield s


@pytest.fixture
def make(tmp_path: Path, key: MasterKey, server: GeminiServer) -> Iterator[Make]:
    """``make(**kw)``: a FinetuneJobs on the Vertex server, uploads to its bucket ``BUCKET``."""
    made: list[FinetuneJobs] = []

    def factory(**kw: Any) -> FinetuneJobs:
        kw.setdefault("provider", server.provider_config(access_token=TOKEN))
        kw.setdefault("finetune", server.storage_settings(BUCKET))
        kw.setdefault("audit", {"path": tmp_path / "audit.db", "key": key})
        kw.setdefault("redaction", {"terms": TERMS})
        jobs = FinetuneJobs(env={}, **kw)
        made.append(jobs)
        return jobs

    yield factory
    for jobs in made:
        jobs.close()


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "raw.jsonl", raw_records())


@pytest.fixture
def prepared(tmp_path: Path, raw: Path) -> Path:
    out = tmp_path / "train.jsonl"
    prepare_file(raw, out, Redactor.from_config(RedactionConfig(terms=TERMS)), ValueMap())
    return out


def _records(tmp_path: Path, key: MasterKey) -> list[Any]:
    with AuditStore(tmp_path / "audit.db", key) as store:
        return list(store.iter_records())


def _storage_requests(server: GeminiServer) -> list[Any]:
    return [r for r in server.requests if "/storage/v1/" in r.path]


# -- upload --------------------------------------------------------------------------------------


def test_upload_writes_exactly_the_prepared_bytes(make, server, prepared, tmp_path, key):
    item = make().upload(prepared)
    uri = f"gs://{BUCKET}/{item.remote_id}"
    assert server.storage_objects == {uri: prepared.read_bytes()}
    received = server.received()
    for value in RAW:
        assert value.encode() not in received
    copy = tmp_path / "as-received.jsonl"
    copy.write_bytes(server.storage_objects[uri])
    assert scan_file(copy, Redactor.from_config(RedactionConfig(terms=TERMS))).clean
    # A neutral name, as the other providers get, never the local one; a bearer token.
    (sent,) = _storage_requests(server)
    assert item.remote_id == f"privllm-{item.sha256[:16]}.jsonl"
    assert sent.query["name"] == [item.remote_id]
    assert sent.query["uploadType"] == ["media"]
    assert sent.query["ifGenerationMatch"] == ["0"]
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert b"train.jsonl" not in received


def test_upload_is_recorded_without_the_bucket_in_the_table(make, server, prepared, tmp_path, key):
    when = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    jobs = make(clock=lambda: when, finetune=server.storage_settings(BUCKET, gcs_prefix="hr/2026"))
    item = jobs.upload(prepared)
    assert (item.kind, item.provider, item.endpoint) == ("file", "google", server.url)
    assert (item.bytes, item.created_at) == (prepared.stat().st_size, when)
    assert item.expires_at == when + timedelta(days=30)
    assert f"gs://{BUCKET}/hr/2026/{item.remote_id}" in server.storage_objects
    # The bucket and folder are in the encrypted audit record only.
    with sqlite3.connect(tmp_path / "audit.db") as db:
        rows = db.execute("SELECT * FROM finetune_inventory").fetchall()
    assert BUCKET not in repr(rows)
    assert "hr/2026" not in repr(rows)
    assert BUCKET.encode() not in (tmp_path / "audit.db").read_bytes()
    (record,) = _records(tmp_path, key)
    assert record.payload["gcs_uri"] == f"gs://{BUCKET}/hr/2026/{item.remote_id}"
    assert record.call_id == item.audit_call_id
    assert jobs.verify().ok


def test_unprepared_file_is_refused_before_any_byte(make, server, raw, tmp_path, key):
    jobs = make()
    with pytest.raises(UnpreparedFileError) as caught:
        jobs.upload(raw)
    assert server.requests == []
    assert caught.value.findings["EMAIL"] == 1
    for value in RAW:
        assert value not in str(caught.value)
    assert jobs.inventory() == []
    (refusal,) = _records(tmp_path, key)
    assert (refusal.status, refusal.rule) == ("blocked", "finetune.unredacted")


def test_no_bucket_is_a_config_error_naming_the_field(make, server, prepared):
    jobs = make(finetune={})
    with pytest.raises(ConfigError) as caught:
        jobs.upload(prepared)
    assert caught.value.field == "finetune.gcs_bucket"
    assert "gcs_bucket" in str(caught.value)
    assert server.requests == []


def test_disallowed_provider_is_refused(make, server, prepared):
    with pytest.raises(PolicyViolation) as caught:
        make(policy={"allowed_providers": ["openai"]}).upload(prepared)
    assert caught.value.rule == "allowed_providers"
    assert server.requests == []


@pytest.fixture
def public(make, server) -> Make:
    """``public(**kw)``: storage at storage.googleapis.com (routed to the local server)."""

    def factory(**kw: Any) -> FinetuneJobs:
        kw.setdefault("finetune", {"gcs_bucket": BUCKET})
        route = reroute({"storage.googleapis.com": server.port})
        return make(transport_wrapper=route, **kw)

    return factory


@pytest.mark.parametrize(
    ("location", "allowed", "shown"),
    [
        ("us", ["europe-west4"], "is in us"),
        (None, ["europe-west4"], "set finetune.gcs_location"),
    ],
)
def test_bucket_outside_allowed_regions_is_refused(
    public, server, prepared, tmp_path, key, location, allowed, shown
):
    settings = {"gcs_bucket": BUCKET, "gcs_location": location}
    jobs = public(finetune=settings, policy={"allowed_regions": allowed})
    with pytest.raises(PolicyViolation) as caught:
        jobs.upload(prepared)
    assert caught.value.rule == "allowed_regions"
    assert caught.value.host == "storage.googleapis.com"
    assert f"bucket {BUCKET}" in str(caught.value)
    assert shown in str(caught.value)
    assert server.requests == []
    (refusal,) = _records(tmp_path, key)
    assert (refusal.status, refusal.rule) == ("blocked", "allowed_regions")
    assert refusal.endpoint_host == "storage.googleapis.com"


def test_bucket_in_an_allowed_region_uploads_to_the_public_host(public, server, prepared):
    settings = {"gcs_bucket": BUCKET, "gcs_location": "europe-west4"}
    item = public(finetune=settings, policy={"allowed_regions": ["europe-west4"]}).upload(prepared)
    (sent,) = _storage_requests(server)
    assert sent.headers["host"] == "storage.googleapis.com"
    assert sent.path == f"/upload/storage/v1/b/{BUCKET}/o"
    assert f"gs://{BUCKET}/{item.remote_id}" in server.storage_objects


def test_denied_storage_host_is_refused(public, server, prepared):
    with pytest.raises(PolicyViolation) as caught:
        public(policy={"denied_hosts": ["storage.googleapis.com"]}).upload(prepared)
    assert caught.value.rule == "denied_hosts"
    assert server.requests == []


def test_storage_endpoint_must_be_google_or_self_hosted(make, server, prepared):
    settings = {"gcs_bucket": BUCKET, "gcs_endpoint": "https://storage.example.net"}
    with pytest.raises(PolicyViolation) as caught:
        make(finetune=settings, transport_wrapper=reroute({"*": server.port})).upload(prepared)
    assert caught.value.rule == "deny_unknown_endpoints"
    assert server.requests == []


def test_egress_guard_refuses_a_real_card_with_allow_unredacted(public, server, raw, tmp_path, key):
    jobs = public()
    with pytest.raises(EgressBlocked) as caught:
        jobs.upload(raw, allow_unredacted=True)
    assert caught.value.rule == "egress.body"
    assert caught.value.host == "storage.googleapis.com"
    assert CARD not in str(caught.value)
    assert server.requests == []
    assert jobs.inventory() == []
    assert [r.rule for r in _records(tmp_path, key)] == ["egress.body"]


def test_surrogates_pass_the_guard_of_the_storage_host(public, server, tmp_path):
    source = write_jsonl(tmp_path / "card.jsonl", [gemini(f"My card is {CARD}", "Noted.")])
    out = tmp_path / "train.jsonl"
    prepare_file(source, out, Redactor.from_config(RedactionConfig()), ValueMap("surrogate"))
    public().upload(out)
    assert CARD.encode() not in server.received()
    assert len(server.storage_objects) == 1


def test_the_same_content_again_is_not_sent_again(make, server, prepared):
    jobs = make()
    first = jobs.upload(prepared)
    assert jobs.upload(prepared) == first
    assert len(_storage_requests(server)) == 1
    # In another bucket, the table could not tell the two apart: refused.
    other = make(finetune=server.storage_settings("other-bucket"))
    with pytest.raises(ConfigError, match="another bucket"):
        other.upload(prepared)
    assert len(_storage_requests(server)) == 1


def test_an_object_that_is_not_ours_is_not_overwritten(make, server, prepared):
    name = make().upload(prepared).remote_id
    # Another inventory (another machine) has never heard of it.
    other = make(audit={"enabled": False}, finetune={**server.storage_settings(BUCKET),
                 "inventory_path": prepared.parent / "other.db"})  # fmt: skip
    with pytest.raises(ProviderError) as caught:
        other.upload(prepared)
    assert caught.value.status_code == 412
    assert f"bucket {BUCKET}" in str(caught.value)
    assert "overwrite" in str(caught.value)
    assert len(server.storage_objects) == 1
    assert name in next(iter(server.storage_objects))


def test_errors_name_the_bucket_never_the_token(make, server, prepared):
    server.access_token = "ya29.the-token-the-server-expects"
    with pytest.raises(AuthenticationError) as caught:
        make().upload(prepared)
    assert caught.value.status_code == 401
    assert f"bucket {BUCKET}" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)
    server.access_token = None
    server.fail_storage(Reply.error(403, f"{TOKEN} may not write to {BUCKET}"))
    with pytest.raises(ProviderError) as caught:
        make().upload(prepared)
    assert caught.value.status_code == 403
    assert TOKEN not in str(caught.value)
    assert BUCKET in str(caught.value)


def test_missing_bucket_at_the_provider(make, server, prepared):
    server.storage_buckets = {"some-other-bucket"}
    with pytest.raises(ProviderError) as caught:
        make().upload(prepared)
    assert caught.value.status_code == 404
    assert f"bucket {BUCKET}" in str(caught.value)
    assert make().inventory() == []


# -- jobs ----------------------------------------------------------------------------------------


def test_create_job_takes_the_uploaded_id(make, server, prepared, tmp_path, key):
    jobs = make(finetune=server.storage_settings(BUCKET, gcs_prefix="tuning"))
    item = jobs.upload(prepared)
    valid = jobs.upload(write_jsonl(tmp_path / "valid.jsonl", [gemini("Hi", "Hello.")]))
    job = jobs.create_job(item.remote_id, model="gemini-2.5-flash", validation=valid.remote_id)
    spec = server.last.json()["supervisedTuningSpec"]
    assert spec["trainingDatasetUri"] == f"gs://{BUCKET}/tuning/{item.remote_id}"
    assert spec["validationDatasetUri"] == f"gs://{BUCKET}/tuning/{valid.remote_id}"
    row = next(i for i in jobs.inventory() if i.kind == "job")
    assert (row.remote_id, row.parent_id) == (job.job_id, item.remote_id)
    payload = _records(tmp_path, key)[-1].payload
    assert payload["training_uri"] == f"gs://{BUCKET}/tuning/{item.remote_id}"
    # The file a running job trains on is kept; once it is done, purge deletes it.
    planned = {
        o.item.remote_id: o.action for o in jobs.purge(older_than=timedelta(0), dry_run=True)
    }
    assert planned[item.remote_id] == "kept"
    while not jobs.status(job.job_id).done:
        pass
    assert [o.action for o in jobs.purge(older_than=timedelta(0))] == ["deleted", "deleted"]
    assert server.storage_objects == {}


def test_create_job_with_the_uri_of_an_uploaded_file_links_it(make, server, prepared):
    jobs = make()
    item = jobs.upload(prepared)
    jobs.create_job(f"gs://{BUCKET}/{item.remote_id}", model="gemini-2.5-flash")
    assert next(i for i in jobs.inventory() if i.kind == "job").parent_id == item.remote_id
    jobs.create_job("gs://elsewhere/train.jsonl", model="gemini-2.5-flash")
    assert jobs.inventory()[-1].parent_id is None


def test_create_job_with_an_unknown_or_deleted_id(make, server, prepared):
    jobs = make()
    with pytest.raises(ConfigError, match="gs://"):
        jobs.create_job("privllm-unknown.jsonl", model="gemini-2.5-flash")
    item = jobs.upload(prepared)
    jobs.purge(older_than=timedelta(0))
    with pytest.raises(ConfigError, match="deleted"):
        jobs.create_job(item.remote_id, model="gemini-2.5-flash")
    assert not [r for r in server.requests if "tuningJobs" in r.path]


# -- purge ---------------------------------------------------------------------------------------


def test_purge_deletes_the_object_when_its_retention_expires(make, server, prepared, tmp_path, key):
    now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    jobs = make(settings=FinetuneConfig(**server.storage_settings(BUCKET, retention_days=7)),
                clock=lambda: now[0])  # fmt: skip
    item = jobs.upload(prepared)
    uri = f"gs://{BUCKET}/{item.remote_id}"
    now[0] += timedelta(days=6)
    assert jobs.purge() == []
    assert uri in server.storage_objects
    now[0] += timedelta(days=1)
    assert [o.action for o in jobs.purge(dry_run=True)] == ["would_delete"]
    assert server.storage_deleted == []
    (outcome,) = jobs.purge()
    assert outcome.action == "deleted"
    assert server.storage_deleted == [uri]
    assert server.storage_objects == {}
    (delete,) = [r for r in server.requests if r.method == "DELETE"]
    assert delete.path == f"/storage/v1/b/{BUCKET}/o/{item.remote_id}"
    (gone,) = jobs.inventory(include_deleted=True)
    assert gone.deleted_at == now[0]
    assert jobs.inventory() == []
    assert jobs.verify().ok
    assert _records(tmp_path, key)[-1].call_id == gone.delete_call_id


def test_purge_finds_the_object_in_the_bucket_it_went_to(make, server, prepared):
    item = make(finetune=server.storage_settings(BUCKET, gcs_prefix="a/b")).upload(prepared)
    # The configuration moved on to another bucket; the record says where the file is.
    (outcome,) = make(finetune=server.storage_settings("new-bucket")).purge(older_than=timedelta(0))
    assert outcome.action == "deleted"
    assert server.storage_deleted == [f"gs://{BUCKET}/a/b/{item.remote_id}"]
    (delete,) = [r for r in server.requests if r.method == "DELETE"]
    assert delete.path == f"/storage/v1/b/{BUCKET}/o/a%2Fb%2F{item.remote_id}"


def test_a_failed_delete_keeps_the_row(make, server, prepared):
    jobs = make()
    item = jobs.upload(prepared)
    server.fail_storage(Reply.error(503, "Backend Error"))
    (outcome,) = jobs.purge(older_than=timedelta(0))
    assert outcome.action == "failed"
    assert "ServerError" in outcome.note
    assert f"bucket {BUCKET}" in outcome.note
    assert TOKEN not in outcome.note
    assert [i.remote_id for i in jobs.inventory()] == [item.remote_id]
    assert len(server.storage_objects) == 1
    (outcome,) = jobs.purge(older_than=timedelta(0))
    assert outcome.action == "deleted"
    assert server.storage_objects == {}


def test_an_object_already_gone_is_marked_gone(make, server, prepared):
    jobs = make()
    jobs.upload(prepared)
    server.storage_objects.clear()  # a bucket lifecycle rule got there first
    (outcome,) = jobs.purge(older_than=timedelta(0))
    assert outcome.action == "gone"
    assert jobs.inventory() == []


def test_without_an_audit_log_the_configured_bucket_is_used(make, server, prepared, tmp_path):
    settings = {**server.storage_settings(BUCKET), "inventory_path": tmp_path / "inv.db"}
    jobs = make(audit={"enabled": False}, finetune=settings)
    item = jobs.upload(prepared)
    # No record names the bucket, so it is the configured one; without one, purge fails.
    bare = make(audit={"enabled": False}, finetune={"inventory_path": tmp_path / "inv.db"})
    (failed,) = bare.purge(older_than=timedelta(0))
    assert failed.action == "failed"
    assert "finetune.gcs_bucket" in failed.note
    jobs.create_job(item.remote_id, model="gemini-2.5-flash")
    assert server.last.json()["supervisedTuningSpec"]["trainingDatasetUri"] == (
        f"gs://{BUCKET}/{item.remote_id}"
    )
    while not jobs.status(jobs.inventory()[-1].remote_id).done:
        pass
    (outcome,) = jobs.purge(older_than=timedelta(0))
    assert outcome.action == "deleted"
    assert server.storage_deleted == [f"gs://{BUCKET}/{item.remote_id}"]


# -- the command line ----------------------------------------------------------------------------


@click.group()
def finetune() -> None:
    """The group the lead wires into ``privllm finetune``."""


for _command in JOB_COMMANDS:
    finetune.add_command(_command)


def test_cli_upload_create_job_purge(server, prepared, tmp_path):
    config = tmp_path / "privllm.toml"
    config.write_text(
        f"""
[provider]
name = "google"
[provider.google]
mode = "vertex"
project = "{server.project}"
location = "{server.location}"
base_url = "{server.url}"
access_token = "{TOKEN}"
[finetune]
gcs_bucket = "{BUCKET}"
gcs_prefix = "privllm"
gcs_endpoint = "{server.url}"
[audit]
path = "{tmp_path / "audit.db"}"
"""
    )
    runner = CliRunner(env={"PRIVLLM_AUDIT_KEY": generate_key(), "PRIVLLM_CONFIG": str(config)})

    def run(*args: str) -> Any:
        return runner.invoke(finetune, list(args), catch_exceptions=False)

    result = run("upload", str(prepared))
    assert result.exit_code == 0, result.output
    name = result.stdout.strip()
    uri = f"gs://{BUCKET}/privllm/{name}"
    assert server.storage_objects[uri] == prepared.read_bytes()
    assert TOKEN not in result.output

    result = run("create-job", name, "--model", "gemini-2.5-flash")
    assert result.exit_code == 0, result.output
    assert server.last.json()["supervisedTuningSpec"]["trainingDatasetUri"] == uri
    job_id = result.stdout.strip()
    assert run("status", job_id, "--wait", "--interval", "0").exit_code == 0

    result = run("inventory", "--json", "--verify")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["kind"] for r in rows] == ["file", "job", "model"]
    assert BUCKET not in result.stdout
    assert "verify: ok" in result.stderr

    result = run("purge", "--older-than", "0", "--yes")
    assert result.exit_code == 0, result.output
    assert f"deleted  google file {name}" in result.stdout
    assert server.storage_deleted == [uri]

    config.write_text(config.read_text().replace(f'gcs_bucket = "{BUCKET}"\n', ""))
    result = run("upload", str(prepared))
    assert result.exit_code == 2
    assert "finetune.gcs_bucket" in result.stderr

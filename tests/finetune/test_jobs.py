"""Upload, train, track, delete: from the outside, against the local wire servers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from finetune.samples import CARD, EMAIL, RAW, TERMS, chat, sample_records, write_jsonl
from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.store import AuditStore
from privllm.config import RedactionConfig
from privllm.errors import ConfigError, EgressBlocked, NotFoundError, PolicyViolation
from privllm.finetune.jobs.lifecycle import FinetuneConfig, FinetuneJobs, UnpreparedFileError
from privllm.finetune.prepare.dataset import prepare_file, scan_file
from privllm.finetune.prepare.valuemap import ValueMap
from privllm.redaction.redactor import Redactor
from privllm.testing import AzureOpenAIServer, GeminiServer, OpenAIServer
from support.reroute import reroute

Make = Callable[..., FinetuneJobs]


@pytest.fixture
def key() -> MasterKey:
    return MasterKey.from_base64(generate_key())


@pytest.fixture
def make(tmp_path: Path, key: MasterKey) -> Iterator[Make]:
    """``make(provider_section, **kw)``: a FinetuneJobs on a temp audit log, closed after."""
    made: list[FinetuneJobs] = []

    def factory(provider: dict[str, Any], **kw: Any) -> FinetuneJobs:
        kw.setdefault("audit", {"path": tmp_path / "audit.db", "key": key})
        kw.setdefault("redaction", {"terms": TERMS})
        jobs = FinetuneJobs(env={}, provider=provider, **kw)
        made.append(jobs)
        return jobs

    yield factory
    for jobs in made:
        jobs.close()


@pytest.fixture(params=["openai", "azure"])
def server(request: pytest.FixtureRequest) -> Iterator[OpenAIServer]:
    cls = OpenAIServer if request.param == "openai" else AzureOpenAIServer
    with cls() as s:
        yield s


@pytest.fixture
def prepared(tmp_path: Path) -> Path:
    """The sample records (every value type), prepared with placeholders."""
    source = write_jsonl(tmp_path / "raw.jsonl", sample_records())
    out = tmp_path / "train.jsonl"
    prepare_file(source, out, Redactor.from_config(RedactionConfig(terms=TERMS)), ValueMap())
    return out


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "raw.jsonl", sample_records())


def _records(tmp_path: Path, key: MasterKey) -> list[Any]:
    with AuditStore(tmp_path / "audit.db", key) as store:
        return list(store.iter_records())


# -- upload --------------------------------------------------------------------------------------


def test_prepared_upload_sends_no_detected_value(make, server, prepared, tmp_path):
    jobs = make(server.provider_config())
    item = jobs.upload(prepared)
    received = server.received()
    for value in RAW:
        assert value.encode() not in received
    sent = server.file_data[item.remote_id]
    assert sent == prepared.read_bytes()
    copy = tmp_path / "as-received.jsonl"
    copy.write_bytes(sent)
    assert scan_file(copy, Redactor.from_config(RedactionConfig(terms=TERMS))).clean
    # The provider sees a neutral name, not the local one.
    assert b"train.jsonl" not in received
    assert f"privllm-{item.sha256[:16]}.jsonl".encode() in received


def test_unprepared_file_is_refused_before_any_byte(make, server, raw, tmp_path, key):
    jobs = make(server.provider_config())
    with pytest.raises(UnpreparedFileError) as caught:
        jobs.upload(raw)
    assert server.requests == []
    assert caught.value.rule == "finetune.unredacted"
    assert caught.value.findings["EMAIL"] >= 1
    for value in RAW:
        assert value not in str(caught.value)
    assert jobs.inventory() == []
    (refusal,) = _records(tmp_path, key)
    assert (refusal.status, refusal.rule) == ("blocked", "finetune.unredacted")
    assert refusal.findings["EMAIL"] >= 1


def test_allow_unredacted_uploads_and_records_the_counts(make, server, tmp_path, key):
    path = write_jsonl(tmp_path / "f.jsonl", [chat(f"Mail {EMAIL}", "Done.")])
    jobs = make(server.provider_config())
    item = jobs.upload(path, allow_unredacted=True)
    assert EMAIL.encode() in server.file_data[item.remote_id]
    (record,) = _records(tmp_path, key)
    assert record.status == "ok"
    assert record.findings == {"EMAIL": 1}


def test_upload_records_size_hash_and_expiry(make, prepared, tmp_path, key):
    when = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    with OpenAIServer() as server:
        jobs = make(server.provider_config(), clock=lambda: when)
        item = jobs.upload(prepared)
        sent, url = server.files[item.remote_id], server.url
    data = prepared.read_bytes()
    assert (item.kind, item.provider, item.endpoint) == ("file", "openai", url)
    assert (item.bytes, item.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert item.created_at == when
    assert item.expires_at == when + timedelta(days=30)
    # OpenAI is asked to delete the file itself after the retention, too.
    assert sent["expires_at"] - sent["created_at"] == 30 * 86400
    assert item.provider_expires_at is not None
    (record,) = _records(tmp_path, key)
    assert record.call_id == item.audit_call_id
    assert record.payload is not None
    assert record.payload["sha256"] == item.sha256
    assert record.payload["bytes"] == len(data)


def test_provider_expiry_can_be_turned_off(make, prepared):
    with OpenAIServer() as server:
        settings = FinetuneConfig(provider_expiry=False, retention_days=None)
        item = make(server.provider_config(), settings=settings).upload(prepared)
        assert server.files[item.remote_id]["expires_at"] is None
    assert item.expires_at is None


@pytest.mark.parametrize(
    ("base_url", "rule"),
    [
        ("https://chatgpt.com/backend-api", "deny_consumer_endpoints"),
        ("https://llm.example.net/v1", "deny_unknown_endpoints"),
    ],
)
def test_consumer_or_unknown_host_is_refused(make, prepared, base_url, rule):
    with OpenAIServer() as server:
        # Everything would land on the local server, were anything sent.
        jobs = make(
            {"name": "openai", "openai": {"base_url": base_url, "api_key": "sk-test-0000"}},
            transport_wrapper=reroute({"*": server.port}),
        )
        with pytest.raises(PolicyViolation) as caught:
            jobs.upload(prepared)
        assert caught.value.rule == rule
        with pytest.raises(PolicyViolation) as again:
            jobs.create_job("file-1", model="gpt-4o-mini")
        assert again.value.rule == rule
        assert server.requests == []


def test_unknown_host_is_refused_even_when_policy_allows_unknown_hosts(make, prepared):
    jobs = make(
        {"name": "openai", "openai": {"base_url": "https://llm.example.net/v1", "api_key": "k"}},
        policy={"deny_unknown_endpoints": False},
    )
    with pytest.raises(PolicyViolation) as caught:
        jobs.upload(prepared)
    assert caught.value.rule == "finetune.endpoint_kind"


def test_policy_rules_apply_to_training_endpoints(make, prepared):
    with AzureOpenAIServer() as server:
        jobs = make(server.provider_config(), policy={"allowed_providers": ["openai"]})
        with pytest.raises(PolicyViolation) as caught:
            jobs.upload(prepared)
        assert caught.value.rule == "allowed_providers"
        assert server.requests == []


def test_enterprise_upload_passes_the_egress_guard_with_surrogates(make, tmp_path):
    source = write_jsonl(tmp_path / "raw.jsonl", [chat(f"My card is {CARD}", "Noted.")])
    out = tmp_path / "train.jsonl"
    redactor = Redactor.from_config(RedactionConfig())
    prepare_file(source, out, redactor, ValueMap("surrogate"))
    with OpenAIServer() as server:
        # api.openai.com is an enterprise host: the guard scans bodies for card numbers.
        jobs = make(
            {"name": "openai", "openai": {"api_key": "sk-test-0000"}},
            transport_wrapper=reroute({"api.openai.com": server.port}),
        )
        item = jobs.upload(out)
        assert item.endpoint == "https://api.openai.com/v1"
        assert CARD.encode() not in server.received()
        assert server.last.headers["host"] == "api.openai.com"


def test_egress_guard_still_refuses_a_real_card_with_allow_unredacted(make, tmp_path, key):
    path = write_jsonl(tmp_path / "f.jsonl", [chat(f"My card is {CARD}", "Noted.")])
    with OpenAIServer() as server:
        jobs = make(
            {"name": "openai", "openai": {"api_key": "sk-test-0000"}},
            transport_wrapper=reroute({"api.openai.com": server.port}),
        )
        with pytest.raises(EgressBlocked) as caught:
            jobs.upload(path, allow_unredacted=True)
        assert caught.value.rule == "egress.body"
        assert CARD not in str(caught.value)
        assert server.requests == []
        assert jobs.inventory() == []
    (refusal,) = _records(tmp_path, key)
    assert (refusal.status, refusal.rule) == ("blocked", "egress.body")


def test_vertex_upload_needs_a_bucket(make, prepared):
    # Uploads to Cloud Storage are tested in test_vertex_uploads.py.
    with GeminiServer() as server:
        with pytest.raises(ConfigError, match=r"finetune\.gcs_bucket") as caught:
            make(server.provider_config()).upload(prepared)
        assert caught.value.field == "finetune.gcs_bucket"
        assert server.requests == []


def test_no_inventory_no_upload(prepared, tmp_path):
    with OpenAIServer() as server:
        jobs = FinetuneJobs(env={}, provider=server.provider_config(), audit={"enabled": False})
        with jobs, pytest.raises(ConfigError, match="inventory_path"):
            jobs.upload(prepared)
        assert server.requests == []


# -- jobs and status -----------------------------------------------------------------------------


def test_job_progresses_and_its_model_is_recorded(make, server, prepared):
    jobs = make(server.provider_config())
    item = jobs.upload(prepared)
    job = jobs.create_job(item.remote_id, model="gpt-4o-mini", suffix="demo", epochs=2)
    assert job.state == "queued"
    assert server.last.json()["hyperparameters"] == {"n_epochs": 2}
    states = []
    while not job.done:
        job = jobs.status(job.job_id)
        states.append(job.state)
    assert states[-2:] == ["running", "succeeded"]
    assert job.fine_tuned_model in server.tuned_models
    assert job.training_file == item.remote_id
    kinds = {i.kind: i for i in jobs.inventory()}
    assert kinds["job"].status == "succeeded"
    assert kinds["job"].parent_id == item.remote_id
    assert kinds["model"].remote_id == job.fine_tuned_model
    assert kinds["model"].parent_id == job.job_id
    # Asking again does not record the model twice.
    jobs.status(job.job_id)
    assert [i.kind for i in jobs.inventory()] == ["file", "job", "model"]
    assert jobs.events(job.job_id)[-1].endswith(job.fine_tuned_model)


def test_cancel(make, prepared):
    with OpenAIServer() as server:
        jobs = make(server.provider_config())
        job = jobs.create_job(jobs.upload(prepared).remote_id, model="gpt-4o-mini")
        assert jobs.cancel(job.job_id).state == "cancelled"
        assert jobs.inventory()[1].status == "cancelled"


def test_unknown_job_is_not_found(make):
    with OpenAIServer() as server, pytest.raises(NotFoundError):
        make(server.provider_config()).status("ftjob-missing")


def test_vertex_tuning_job(make, tmp_path, key):
    with GeminiServer() as server:
        jobs = make(server.provider_config())
        job = jobs.create_job(
            "gs://acme-training/train.jsonl", model="gemini-2.5-flash", suffix="support", epochs=3
        )
        sent = server.last.json()
        assert (
            sent["supervisedTuningSpec"]["trainingDatasetUri"] == "gs://acme-training/train.jsonl"
        )
        assert sent["supervisedTuningSpec"]["hyperParameters"] == {"epochCount": 3}
        assert sent["tunedModelDisplayName"] == "support"
        assert server.last.path.endswith(
            f"/projects/{server.project}/locations/{server.location}/tuningJobs"
        )
        assert (job.provider, job.state) == ("google", "queued")
        assert job.job_id.startswith(f"projects/{server.project}/")
        seen = [jobs.status(job.job_id).state for _ in range(2)]
        assert seen == ["running", "succeeded"]
        done = jobs.status(job.job_id)
        assert done.fine_tuned_model is not None
        assert done.fine_tuned_model.split("@")[0] in server.tuned_models
        items = {i.kind: i for i in jobs.inventory()}
        assert items["job"].parent_id is None  # the bucket path stays out of the table
        assert items["model"].remote_id == done.fine_tuned_model
    payloads = [r.payload for r in _records(tmp_path, key)]
    assert payloads[0]["training_uri"] == "gs://acme-training/train.jsonl"


def test_vertex_cancel_and_bad_uri(make):
    with GeminiServer() as server:
        jobs = make(server.provider_config())
        with pytest.raises(ConfigError, match="gs://"):
            jobs.create_job("/local/file.jsonl", model="gemini-2.5-flash")
        job = jobs.create_job("gs://b/t.jsonl", model="gemini-2.5-flash")
        assert jobs.cancel(job.job_id).state == "cancelled"
        assert server.requests[-2].path.endswith(":cancel")


def test_gemini_api_mode_is_refused(make):
    with GeminiServer() as server:
        jobs = make(server.provider_config(mode="gemini_api"))
        with pytest.raises(ConfigError, match="vertex"):
            jobs.create_job("gs://b/t.jsonl", model="gemini-2.5-flash")
        assert server.requests == []


# -- purge ---------------------------------------------------------------------------------------


def test_purge_deletes_at_the_provider_and_records_it(make, server, prepared, tmp_path, key):
    jobs = make(server.provider_config())
    item = jobs.upload(prepared)
    assert jobs.purge(dry_run=True) == []  # not expired yet
    (outcome,) = jobs.purge(older_than=timedelta(0))
    assert outcome.action == "deleted"
    deletes = [r for r in server.requests if r.method == "DELETE"]
    assert [r.path.rsplit("/", 1)[-1] for r in deletes] == [item.remote_id]
    assert item.remote_id not in server.files
    assert jobs.inventory() == []
    (gone,) = jobs.inventory(include_deleted=True)
    assert gone.deleted_at is not None
    assert gone.delete_note == "deleted by privllm purge"
    assert jobs.verify().ok
    records = _records(tmp_path, key)
    assert records[-1].call_id == gone.delete_call_id
    assert records[-1].payload["remote_id"] == item.remote_id


def test_purge_by_retention_with_a_clock(make, prepared):
    now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    with OpenAIServer() as server:
        jobs = make(
            server.provider_config(),
            settings=FinetuneConfig(retention_days=7),
            clock=lambda: now[0],
        )
        jobs.upload(prepared)
        now[0] += timedelta(days=6)
        assert jobs.purge() == []
        now[0] += timedelta(days=1)
        assert [o.action for o in jobs.purge()] == ["deleted"]


def test_purge_keeps_the_file_of_a_running_job_and_models_unless_asked(make, prepared):
    with OpenAIServer() as server:
        jobs = make(server.provider_config())
        item = jobs.upload(prepared)
        job = jobs.create_job(item.remote_id, model="gpt-4o-mini")
        (kept,) = jobs.purge(older_than=timedelta(0))
        assert (kept.action, kept.item.remote_id) == ("kept", item.remote_id)
        while not jobs.status(job.job_id).done:
            pass
        outcomes = jobs.purge(older_than=timedelta(0))
        assert [(o.item.kind, o.action) for o in outcomes] == [("file", "deleted")]
        outcomes = jobs.purge(older_than=timedelta(0), models=True)
        assert [(o.item.kind, o.action) for o in outcomes] == [("model", "deleted")]
        assert server.tuned_models == set()


def test_purge_of_a_file_already_gone(make, prepared):
    with OpenAIServer() as server:
        jobs = make(server.provider_config())
        item = jobs.upload(prepared)
        del server.files[item.remote_id]  # the provider expired it on its own
        (outcome,) = jobs.purge(older_than=timedelta(0))
        assert outcome.action == "gone"
        assert jobs.inventory() == []


def test_purge_of_a_vertex_model(make):
    with GeminiServer() as server:
        jobs = make(server.provider_config(), settings=FinetuneConfig(model_retention_days=1))
        job = jobs.create_job("gs://b/t.jsonl", model="gemini-2.5-flash")
        while not jobs.status(job.job_id).done:
            pass
        assert jobs.purge(models=True) == []  # a day has not passed
        (outcome,) = jobs.purge(older_than=timedelta(0), models=True)
        assert outcome.action == "deleted"
        assert server.last.method == "DELETE"
        assert "@" not in server.last.path
        assert server.tuned_models == set()


def test_purge_reaches_items_of_another_profile(make, prepared, tmp_path, key):
    with OpenAIServer() as one, OpenAIServer() as two:
        first = make(one.provider_config())
        first.upload(prepared)
        jobs = make(two.provider_config(), providers={"old": one.provider_config()})
        (outcome,) = jobs.purge(older_than=timedelta(0))
        assert outcome.action == "deleted"
        assert [r.method for r in one.requests] == ["POST", "DELETE"]
        assert two.requests == []


def test_purge_fails_softly_without_a_section_for_the_endpoint(make, prepared):
    with OpenAIServer() as one, OpenAIServer() as two:
        make(one.provider_config()).upload(prepared)
        (outcome,) = make(two.provider_config()).purge(older_than=timedelta(0))
        assert outcome.action == "failed"
        assert "no provider section" in outcome.note
        assert len(one.files) == 1


def test_repr_holds_no_key(make):
    jobs = make({"name": "openai", "openai": {"api_key": "sk-secret-value-1234"}})
    assert "sk-secret" not in repr(jobs)


def test_settings_validate():
    with pytest.raises(ValueError, match="retention_days"):
        FinetuneConfig(retention_days=0)
    assert FinetuneConfig(retention_days=90).expiry_seconds() == 30 * 86400
    assert json.loads(FinetuneConfig().model_dump_json())["delete_models"] is False

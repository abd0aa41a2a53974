"""The local wire servers' files, fine-tuning and tuning endpoints, through the real SDKs."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import httpx2
import openai
import pytest
from google.genai import errors as genai_errors
from google.genai import types as gt

from privllm.config import ProviderConfig
from privllm.providers.google import GoogleProvider
from privllm.testing import AzureOpenAIServer, GeminiServer, OpenAIServer

LINE = b'{"messages": [{"role": "user", "content": "Hi"}]}\n'


@pytest.fixture
def sdk() -> Iterator[openai.OpenAI]:
    with OpenAIServer() as server:
        client = openai.OpenAI(api_key="k", base_url=server.url, http_client=httpx2.Client())
        client.server = server  # type: ignore[attr-defined]
        with client:
            yield client


def test_files_upload_list_get_content_delete(sdk):
    uploaded = sdk.files.create(file=("t.jsonl", LINE), purpose="fine-tune")
    assert (uploaded.bytes, uploaded.purpose, uploaded.expires_at) == (len(LINE), "fine-tune", None)
    assert [f.id for f in sdk.files.list()] == [uploaded.id]
    assert sdk.files.retrieve(uploaded.id).filename == "t.jsonl"
    assert sdk.files.content(uploaded.id).read() == LINE
    assert sdk.files.delete(uploaded.id).deleted
    with pytest.raises(openai.NotFoundError):
        sdk.files.retrieve(uploaded.id)


@pytest.mark.parametrize(
    ("content", "kwargs"),
    [
        (LINE, {"purpose": "nonsense"}),
        (b"not json\n", {"purpose": "fine-tune"}),
        (LINE, {"purpose": "fine-tune", "expires_after": {"anchor": "created_at", "seconds": 60}}),
    ],
)
def test_bad_uploads_are_refused(sdk, content, kwargs):
    with pytest.raises(openai.BadRequestError):
        sdk.files.create(file=("t.jsonl", content), **kwargs)
    assert sdk.server.files == {}


def test_jobs_create_list_events_cancel(sdk):
    with pytest.raises(openai.BadRequestError):
        sdk.fine_tuning.jobs.create(model="m", training_file="file-missing")
    file_id = sdk.files.create(file=("t.jsonl", LINE), purpose="fine-tune").id
    first = sdk.fine_tuning.jobs.create(model="m", training_file=file_id)
    second = sdk.fine_tuning.jobs.create(model="m", training_file=file_id, suffix="s")
    assert [j.id for j in sdk.fine_tuning.jobs.list()] == [second.id, first.id]
    assert sdk.fine_tuning.jobs.cancel(first.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        sdk.fine_tuning.jobs.cancel(first.id)
    statuses = [sdk.fine_tuning.jobs.retrieve(second.id).status for _ in range(4)]
    assert statuses == ["queued", "running", "succeeded", "succeeded"]
    events = [e.message for e in sdk.fine_tuning.jobs.list_events(second.id)]
    assert events[0].startswith("New fine-tuned model created: ft:m:privllm-test:s:")
    with pytest.raises(openai.PermissionDeniedError):
        sdk.models.delete("test-model")
    with pytest.raises(openai.NotFoundError):
        sdk.models.delete("ft:unknown")


def test_azure_paths_and_api_version():
    with AzureOpenAIServer() as server:
        http = httpx2.Client()
        with openai.AzureOpenAI(
            api_key="k", azure_endpoint=server.url, api_version="2024-10-21", http_client=http
        ) as azure:
            file_id = azure.files.create(file=("t.jsonl", LINE), purpose="fine-tune").id
            job = azure.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
            assert job.status == "pending"
            assert [azure.fine_tuning.jobs.retrieve(job.id).status for _ in range(2)] == [
                "running", "succeeded"
            ]  # fmt: skip
            tuned = azure.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
            assert tuned == f"gpt-4o-mini.ft-{job.id.rsplit('-', 1)[-1]}"
        assert server.requests[0].path == "/openai/files"
        assert server.requests[0].query == {"api-version": ["2024-10-21"]}
        unversioned = httpx2.get(f"{server.url}/openai/files", headers={"api-key": "k"})
        assert unversioned.status_code == 404
        old = httpx2.get(
            f"{server.url}/openai/files?api-version=2020-01-01", headers={"api-key": "k"}
        )
        assert old.status_code == 400
        anonymous = httpx2.get(f"{server.url}/openai/files?api-version=2024-10-21")
        assert anonymous.status_code == 401
        with openai.OpenAI(
            api_key="k", base_url=f"{server.url}/openai/v1/", http_client=httpx2.Client()
        ) as v1:
            assert [f.id for f in v1.files.list()] == [file_id]
            assert v1.models.delete(tuned).deleted
        assert server.last.path == f"/openai/v1/models/{tuned}"


def test_vertex_tuning_endpoints():
    with GeminiServer(access_token="ya29.right") as server:
        section = ProviderConfig.model_validate(server.provider_config())
        provider = GoogleProvider(section, env={})
        parent = f"projects/{server.project}/locations/{server.location}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", genai_errors.ExperimentalWarning)
            job = provider.sdk.tunings.tune(
                base_model="gemini-2.5-flash",
                training_dataset=gt.TuningDataset(gcs_uri="gs://b/t.jsonl"),
            )
        assert job.name == f"{parent}/tuningJobs/1001"
        assert [j.name for j in provider.sdk.tunings.list()] == [job.name]
        with pytest.raises(genai_errors.ClientError) as caught:
            provider.sdk.tunings.get(name=f"{parent}/tuningJobs/9")
        assert caught.value.code == 404
        with pytest.raises(genai_errors.ClientError) as caught:
            provider.sdk.models.delete(model=f"{parent}/models/9")
        assert caught.value.code == 404
        provider.close()
        wrong = httpx2.get(
            f"{server.url}/v1/{parent}/tuningJobs", headers={"authorization": "Bearer ya29.wrong"}
        )
        assert wrong.status_code == 401

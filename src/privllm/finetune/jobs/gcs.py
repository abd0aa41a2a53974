"""Cloud Storage for Vertex AI tuning: prepared files go to your bucket, and leave it, here.

Vertex AI reads training data from ``gs://`` URIs only, so ``upload`` on a Vertex section
writes the checked bytes to ``[finetune] gcs_bucket`` with the JSON API, and ``purge``
deletes them there:

- ``POST {origin}/upload/storage/v1/b/{bucket}/o?uploadType=media&name=...&ifGenerationMatch=0``
  (a simple upload that never overwrites an object);
- ``DELETE {origin}/storage/v1/b/{bucket}/o/{object}``.

No Cloud Storage SDK: two requests over privllm's httpx2 client, authorised with the Vertex
section's own google-auth credentials (``access_token``, else Application Default
Credentials; the cloud-platform scope covers Cloud Storage). The client's egress guard
allows the storage origin for exactly those two requests on that one bucket (a
:class:`~privllm.policy.egress.PathRule`, as identity hosts take token requests only), and
the Vertex identity hosts for token refreshes; nothing else. A chat client's guard never
allows the storage host at all.

The object is named ``[gcs_prefix/]privllm-<sha256[:16]>.jsonl``, as the other providers get
their files: never the local name. The table of the inventory keeps that name only; the
``gs://`` URI (bucket and folder can say what the data is) is kept in the encrypted audit
record, as a job's ``training_uri`` is.

    >>> object_name("privllm-0123abcd.jsonl", "training/2026")
    'training/2026/privllm-0123abcd.jsonl'
    >>> split_uri("gs://acme-training/training/2026/privllm-0123abcd.jsonl")
    ('acme-training', 'training/2026/privllm-0123abcd.jsonl')
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from privllm.errors import ConfigError, PrivllmError, ProviderError, error_for_status
from privllm.types import Endpoint

if TYPE_CHECKING:
    import httpx2

    from privllm.config import PolicyConfig, ProviderConfig
    from privllm.finetune.settings import FinetuneConfig
    from privllm.policy.egress.guard import EgressPolicy
    from privllm.providers.base import TransportWrapper

__all__ = [
    "STORAGE_ORIGIN",
    "CloudStorage",
    "object_name",
    "split_uri",
    "storage_endpoint",
    "storage_guard",
]

#: The Cloud Storage JSON API's public origin.
STORAGE_ORIGIN = "https://storage.googleapis.com"
_STORAGE_HOSTS = frozenset({"storage.googleapis.com"})
_MULTI_REGIONS = frozenset({"eu", "us", "asia"})
_URI = re.compile(r"gs://(?P<bucket>[^/\s]+)/(?P<name>[^\r\n]+)")


def object_name(name: str, prefix: str | None) -> str:
    """The object's name in the bucket: ``name`` in the ``prefix`` folder, if any."""
    return f"{prefix}/{name}" if prefix else name


def split_uri(uri: str) -> tuple[str, str]:
    """``(bucket, object)`` of a ``gs://`` URI; ``ConfigError`` for anything else."""
    match = _URI.fullmatch(uri)
    if match is None:
        raise ConfigError("not a gs://BUCKET/OBJECT URI")
    return match["bucket"], match["name"]


def storage_endpoint(settings: FinetuneConfig, self_hosted_hosts: Iterable[str]) -> Endpoint:
    """Where ``upload`` writes on Vertex, as policy sees it (no IO): the storage host is an
    enterprise API of Google; the region is the bucket's declared ``gcs_location``.

    >>> from privllm.finetune.settings import FinetuneConfig
    >>> ep = storage_endpoint(FinetuneConfig(gcs_location="EU"), ())
    >>> ep.host, ep.kind, ep.region, ep.data_zone
    ('storage.googleapis.com', 'enterprise_api', 'eu', 'eu')
    """
    from privllm.policy.endpoints import host_kind, normalize_host

    base_url = settings.gcs_endpoint or STORAGE_ORIGIN
    try:
        host = normalize_host(urlsplit(base_url).hostname or "")
    except ValueError:
        raise ConfigError(
            "finetune.gcs_endpoint: not a valid host", field="finetune.gcs_endpoint"
        ) from None
    # Not in the policy host tables: those list model endpoints, and a chat call must never
    # be allowed to reach the storage host. Here it is known, for this purpose only.
    kind = "enterprise_api" if host in _STORAGE_HOSTS else host_kind(host, self_hosted_hosts)
    location = settings.gcs_location
    return Endpoint(
        provider="google",
        base_url=base_url,
        host=host,
        kind=kind,
        region=location,
        data_zone=location if location in _MULTI_REGIONS else None,
    )


def storage_guard(
    section: ProviderConfig,
    policy: PolicyConfig,
    terms: Mapping[str, Iterable[str]] | None,
    endpoint: Endpoint,
    bucket: str,
) -> EgressPolicy:
    """The egress guard of the storage client for ``bucket``: the storage origin for that
    bucket's object upload, get and delete only; the Vertex section's identity hosts for
    token refreshes; the section's body rules (none for a self-hosted storage host)."""
    from privllm.policy.egress.body import detector_scanner, detectors_for
    from privllm.policy.egress.guard import EgressPolicy, PathRule
    from privllm.policy.egress.origin import Origin
    from privllm.policy.egress.scope import guard_scope

    scope = guard_scope(section, policy, terms)
    try:
        origin = Origin.of(endpoint.base_url)
    except ValueError as exc:
        raise ConfigError(f"finetune.gcs_endpoint: {exc}", field="finetune.gcs_endpoint") from None
    block = frozenset() if endpoint.kind == "self_hosted" else frozenset(policy.egress_block_types)
    in_bucket = f"/storage/v1/b/{re.escape(quote(bucket, safe=''))}/o"
    # One path segment, percent-encoded, never "." or "..": a client may resolve those.
    one_object = f"{in_bucket}/(?!\\.\\.?$)[^/]+"
    rules = frozenset(
        {
            PathRule(origin.host, "POST", f"/upload{in_bucket}"),
            PathRule(origin.host, "GET", one_object),
            PathRule(origin.host, "DELETE", one_object),
        }
    )
    return EgressPolicy(
        origins=frozenset({origin}),
        identity_hosts=scope["identity_hosts"],
        self_hosted_hosts=scope["self_hosted_hosts"],
        require_no_store=scope["require_no_store"],
        block_types=block,
        scanner=detector_scanner(detectors_for(block, terms)) if block else None,
        path_rules=rules,
    )


class CloudStorage:
    """One bucket, through the JSON API: :meth:`upload` and :meth:`delete` an object.

    Errors are privllm's (``NotFoundError`` for a missing object, ...), naming the bucket,
    never a token. Build with :meth:`open`; close it.
    """

    def __init__(
        self, base_url: str, bucket: str, http: httpx2.Client, credentials: Any, token: str | None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.bucket = bucket
        self._http = http
        self._credentials = credentials
        self._secrets = (token,)

    @classmethod
    def open(
        cls,
        section: ProviderConfig,
        endpoint: Endpoint,
        bucket: str,
        env: Mapping[str, str],
        wrapper: TransportWrapper | None,
    ) -> CloudStorage:
        """A client for ``bucket`` with the Vertex ``section``'s credentials; ``wrapper`` (the
        egress guard) wraps its transport, token refreshes included."""
        from privllm.config import resolve_secret
        from privllm.providers.base import make_http_client
        from privllm.providers.google.auth import vertex_credentials

        settings = section.google
        token = resolve_secret(
            settings.access_token,
            settings.access_token_env,
            env,
            field="provider.google.access_token",
        )
        http = make_http_client(section.timeout, wrapper)
        try:
            credentials = vertex_credentials(None, token, http)
        except BaseException:
            http.close()
            raise
        return cls(endpoint.base_url, bucket, http, credentials, token)

    def __repr__(self) -> str:
        return f"CloudStorage({self.base_url!r}, bucket={self.bucket!r})"

    def close(self) -> None:
        self._http.close()

    def uri(self, name: str) -> str:
        return f"gs://{self.bucket}/{name}"

    def upload(self, name: str, data: bytes) -> dict[str, Any]:
        """Write ``data`` as object ``name`` (refused by Cloud Storage if it exists); returns
        the object's metadata, once its size and MD5 match what was sent."""
        url = f"{self.base_url}/upload/storage/v1/b/{quote(self.bucket, safe='')}/o"
        params = {"uploadType": "media", "name": name, "ifGenerationMatch": "0"}
        response = self._send(
            "POST", url, params=params, content=data, headers={"content-type": "application/jsonl"}
        )
        try:
            obj: dict[str, Any] = response.json()
        except ValueError:
            obj = {}
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        if obj.get("name") != name or str(obj.get("size")) != str(len(data)):
            raise ProviderError(
                f"Cloud Storage bucket {self.bucket}: the upload's answer does not describe "
                "the object sent",
                provider="google",
                status_code=response.status_code,
            )
        if obj.get("md5Hash") not in (None, md5):
            raise ProviderError(
                f"Cloud Storage bucket {self.bucket}: object {name} does not hold the bytes "
                "sent (MD5 differs)",
                provider="google",
                status_code=response.status_code,
            )
        return obj

    def delete(self, name: str) -> None:
        """Delete object ``name`` (``NotFoundError`` if it is not there)."""
        self._send("DELETE", self._object_url(name))

    def _object_url(self, name: str) -> str:
        return (
            f"{self.base_url}/storage/v1/b/{quote(self.bucket, safe='')}/o/{quote(name, safe='')}"
        )

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx2.Response:
        from privllm.providers.cause import detach
        from privllm.providers.google.auth import HttpxAuthRequest
        from privllm.providers.google.errors import to_privllm_error

        sent = dict(headers or {})
        error: PrivllmError | None = None
        try:
            # Refreshes the token when needed (through the guarded client), then sets the
            # Authorization header: google-auth's own order.
            self._credentials.before_request(HttpxAuthRequest(self._http), method, url, sent)
            response = self._http.request(method, url, params=params, content=content, headers=sent)
        except PrivllmError:
            raise
        except Exception as exc:
            error = detach(to_privllm_error(exc, provider="google", secrets=self._secrets), exc)
        if error is not None:
            raise error  # outside the except block: the SDK exception is not its context
        if response.status_code >= 400:
            raise self._error(response)
        return response

    def _error(self, response: httpx2.Response) -> ProviderError:
        from privllm.config import mask_secret

        status = response.status_code
        try:
            body = response.json()
            text = str(body["error"]["message"])
        except (ValueError, KeyError, TypeError):
            text = f"HTTP {status}"
        if status == 412:
            text = "an object of that name is already there, and privllm does not overwrite"
        for secret in self._secrets:
            if secret and secret in text:
                text = text.replace(secret, mask_secret(secret))
        message = f"Cloud Storage bucket {self.bucket}: {text}"
        request_id = response.headers.get("x-guploader-uploadid")
        return error_for_status(status)(
            message, provider="google", status_code=status, request_id=request_id
        )

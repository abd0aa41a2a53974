"""Local wire servers and helpers for testing apps built on privllm, offline.

Each server is a real HTTP server on 127.0.0.1 (ephemeral port, threaded) that speaks one
provider's wire protocol, plays scripted :class:`Reply` objects and records every request,
so a test can assert on the exact bytes a provider would have received.

>>> from privllm import Client
>>> from privllm.testing import OpenAIServer, Reply
>>> with OpenAIServer() as server:
...     server.reply(Reply.text("Bonjour"))
...     with Client(provider=server.provider_config()) as client:
...         answer = client.chat("Say hello in French").text
...     sent = server.last.json()["messages"][0]["content"]
>>> answer, sent
('Bonjour', 'Say hello in French')

``AzureOpenAIServer`` (deployment paths, api-version, ``api-key`` or bearer auth) and
``GeminiServer`` (Gemini API and Vertex AI paths) take the same replies; each has
``provider_config()`` so swapping provider in a test is one line. ``ManagedIdentityServer``
stands in for Azure's managed-identity endpoint (``IDENTITY_ENDPOINT``) and
``EntraAuthorityServer`` for the Entra authority (``AZURE_AUTHORITY_HOST``: service
principals and workload identity).

For pytest, add ``pytest_plugins = ["privllm.testing.pytest_plugin"]`` to ``conftest.py``
and use the ``openai_server``, ``azure_server`` and ``gemini_server`` fixtures.

``privllm.testing.postgres.PostgresServer`` starts a throwaway PostgreSQL (``initdb`` in a
temp folder, a free loopback port) for tests of the PostgreSQL audit log, and
``privllm.testing.redis.RedisServer`` a throwaway ``redis-server`` (temp folder, free
loopback port, ``monitor()`` and ``save()`` to read what Redis saw and stores) for the
shared conversation vault.

``ConnectionRecorder`` is a bare TCP listener for the channels that bypass HTTP (websocket
APIs): point one at it and assert that nothing connected.
"""

from .azure import AzureOpenAIServer
from .azure_identity import EntraAuthorityServer, ManagedIdentityServer
from .google import GeminiServer
from .listener import ConnectionRecorder
from .openai import OpenAIServer
from .replies import Reply, ScriptedToolCall, fake_embedding
from .server import RecordedRequest, WireServer

__all__ = [
    "AzureOpenAIServer",
    "ConnectionRecorder",
    "EntraAuthorityServer",
    "GeminiServer",
    "ManagedIdentityServer",
    "OpenAIServer",
    "RecordedRequest",
    "Reply",
    "ScriptedToolCall",
    "WireServer",
    "fake_embedding",
]

"""A drop-in for ``google-genai``: change the import line, keep the code.

>>> from privllm import genai  # was: from google import genai

``genai.Client`` takes google-genai's constructor arguments (``api_key=`` for the Gemini
API; ``vertexai=True, project=, location=`` for Vertex AI; ``http_options``) plus privllm's
config, and offers ``models.generate_content``, ``models.generate_content_stream``,
``models.embed_content``, ``chats`` and their ``client.aio`` twins. Every call runs through
a privllm ``Client`` / ``AsyncClient`` (redaction, policy, audit, the egress guard) and
returns google-genai's own types (``GenerateContentResponse``, ``EmbedContentResponse``), so
``response.text``, ``.candidates[0].content.parts``, ``.function_calls``, ``.parsed`` and
``.usage_metadata`` work as before. Errors are google-genai's classes and privllm's at once
(``except genai.errors.ClientError`` keeps working). Surfaces privllm does not carry (files,
caches, batches, tunings, live...) raise :class:`errors.EndpointNotCovered` naming the
privllm way, and send nothing. ``genai.types`` is google-genai's ``types``. See
docs/migrate.md.

Importing this module imports google-genai; ``import privllm`` does not.
"""

from google.genai import types

from . import errors
from ._client import AsyncClient, Client

__all__ = ["AsyncClient", "Client", "errors", "types"]

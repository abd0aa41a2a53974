"""The ``[redaction]`` section with its ``[redaction.vault]`` and ``[redaction.ner]`` tables.

``config.py`` composes it into ``Config``; this module needs nothing but pydantic, as
``import privllm`` loads it (the detectors load only to check ``actions``).

>>> RedactionConfig(actions={"EMAIL": "mask"}).actions
{'EMAIL': 'mask'}
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from privllm.config_keys import EnvName
from privllm.config_load import FieldError
from privllm.config_section import Section, master_key_in_code

__all__ = ["NERConfig", "RedactionAction", "RedactionConfig", "VaultConfig"]

RedactionAction = Literal["placeholder", "mask", "block", "allow"]

_TYPE_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def _default_ner_labels() -> dict[str, str]:
    from privllm.redaction.terms import DEFAULT_NER_LABELS

    return dict(DEFAULT_NER_LABELS)


class NERConfig(Section):
    """A named-entity model run beside the built-in detectors (docs/redaction.md, "NER").

    Off unless ``engine`` is set. ``model`` is a model the user installed (for spaCy a package
    name such as ``en_core_web_sm``, or a folder); it is loaded when the client is built.
    ``labels`` maps the model's labels to privllm types; labels not in it are ignored.

    >>> NERConfig(engine="spacy", model="en_core_web_sm").labels["GPE"]
    'LOCATION'
    """

    engine: Literal["spacy"] | None = None
    model: str = ""
    labels: dict[str, str] = Field(default_factory=_default_ner_labels)
    #: Texts per ``nlp.pipe`` batch in ``privllm redact`` and ``finetune prepare``.
    batch_size: int = Field(default=64, gt=0)

    @model_validator(mode="after")
    def _model_and_labels(self) -> NERConfig:
        if self.engine is not None and not self.model.strip():
            raise FieldError(
                ("model",), f"engine {self.engine!r} needs a model: an installed package name"
            )
        if self.engine is not None and not self.labels:
            raise FieldError(("labels",), "maps no model label to a type: nothing would be found")
        for label, kind in self.labels.items():
            if not _TYPE_NAME.fullmatch(kind):
                raise FieldError(
                    ("labels", label),
                    "a type is upper-case letters, digits and _ (PERSON, LOCATION)",
                )
        return self


class VaultConfig(Section):
    """Where a ``Conversation`` with an ``id`` keeps its placeholder map (docs/vault.md).

    ``memory`` (the default) keeps it in the client; ``redis`` shares it between workers
    (``pip install 'privllm[redis]'``): values are encrypted under the vault key before they
    reach Redis, which holds ciphertext and keyed-hash ids only.

    >>> VaultConfig().backend, VaultConfig().url_env, VaultConfig().ttl
    ('memory', 'PRIVLLM_VAULT_URL', 86400)
    """

    backend: Literal["memory", "redis"] = "memory"
    #: ``redis``: env var holding the URL (``redis://:password@host:6379/0``, ``rediss://``
    #: for TLS). Read from the environment only, as it may hold a password; never shown.
    url_env: EnvName = "PRIVLLM_VAULT_URL"
    #: Env var holding the vault's master key (base64 of 32 bytes, ``privllm audit keygen``);
    #: every worker of a fleet needs the same key.
    key_env: EnvName = "PRIVLLM_VAULT_KEY"
    #: In code only: a ``MasterKey`` or a callable returning the key (a KMS). Never shown.
    key: Any = Field(default=None, exclude=True, repr=False)
    #: Start of every Redis key privllm writes; ``tenant`` follows it.
    prefix: str = Field(default="privllm:vault:", pattern=r"^[A-Za-z0-9_.:-]{0,64}$")
    #: One tenant's conversations are unreadable to another's (own keys, own MAC key).
    tenant: str = Field(default="default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    #: Seconds a conversation's map is kept after its last call.
    ttl: int = Field(default=86_400, ge=1)
    #: Seconds to wait for Redis before the call is refused.
    timeout: float = Field(default=2.0, gt=0)

    @field_validator("key")
    @classmethod
    def _key_in_code(cls, value: Any) -> Any:
        return master_key_in_code(value, "the PRIVLLM_VAULT_KEY environment variable")


class RedactionConfig(Section):
    """What to detect and what to do with it, before anything leaves the process.

    ``actions`` maps a type to ``placeholder`` (reversible, the default), ``mask``
    (irreversible), ``block`` (refuse the call) or ``allow``. ``terms`` maps PERSON /
    ORGANIZATION (or any type name you choose) to term lists; ``terms_files`` to files with
    one term per line.
    """

    enabled: bool = True
    #: Built-in types to detect; ``None`` means all of them.
    types: list[str] | None = None
    default_action: RedactionAction = "placeholder"
    actions: dict[str, RedactionAction] = Field(default_factory=dict)
    terms: dict[str, list[str]] = Field(default_factory=dict)
    terms_files: dict[str, str] = Field(default_factory=dict)
    phone_regions: list[str] = Field(default_factory=lambda: ["US", "GB", "DE", "FR", "NL"])
    #: Seconds one call may spend scanning before it is refused (fail closed).
    timeout: float = Field(default=2.0, gt=0)
    #: Embedding inputs: redact them (placeholders change vectors slightly) or refuse.
    embeddings: Literal["redact", "block"] = "redact"
    #: Types whose placeholders stay placeholders in the tool-call arguments of answers:
    #: a prompt-injected document could otherwise have the model put your key in a call to
    #: its server. Empty the list to get real values there too.
    keep_placeholders_in_tool_calls: list[str] = Field(
        default_factory=lambda: ["SECRET", "URL_CREDENTIALS"]
    )
    #: Where a ``Conversation(id=...)`` keeps its placeholder map (``[redaction.vault]``).
    vault: VaultConfig = Field(default_factory=VaultConfig)
    #: A named-entity model (``[redaction.ner] engine = "spacy"``); off by default.
    ner: NERConfig = Field(default_factory=NERConfig)

    @model_validator(mode="after")
    def _actions_name_known_types(self) -> RedactionConfig:
        # A misspelt type (credit_card, CREDITCARD) would silently fall back to the default
        # action: fail closed instead.
        if not self.actions:
            return self
        # Only when actions are set: the scan module loads the detectors.
        from privllm.redaction.scanner import BUILTIN_TYPES, NAME_TYPES

        known = BUILTIN_TYPES | NAME_TYPES | set(self.terms) | set(self.terms_files)
        if self.ner.engine is not None:
            known |= set(self.ner.labels.values())
        for kind in self.actions:
            if kind in known:
                continue
            hint = (
                f"types are upper-case: {kind.upper()}"
                if kind.upper() in known
                else "known types: " + ", ".join(sorted(known))
            )
            raise FieldError(
                ("actions", kind),
                f"{kind!r} is not a redaction type ({hint}; a type of your own needs an "
                "entry in redaction.terms or redaction.terms_files)",
            )
        return self

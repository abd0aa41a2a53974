"""The spaCy engine: ``[redaction.ner] engine = "spacy"``, ``model = "en_core_web_sm"``.

The model is one the user installed (``python -m spacy download en_core_web_sm``, or a
package name or a folder); privllm never downloads one. Only the ``ner`` component runs,
with the ``tok2vec`` it listens to if it has one: the tagger, parser, lemmatizer and the
rest are excluded when the model is loaded, which more than doubles the throughput of a
small English model. Texts given together run through ``nlp.pipe`` in batches.

Imported only when configured; ``spacy`` comes with ``pip install 'privllm[spacy]'``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privllm.errors import ConfigError
from privllm.redaction.ner import Entities, ModelDetector

if TYPE_CHECKING:
    from privllm.config import NERConfig

__all__ = ["SpacyRun", "load"]

_FIELD = "redaction.ner.model"


def load(config: NERConfig) -> ModelDetector:
    """Load ``config.model`` with its NER component only; ``ConfigError`` naming the model
    if spaCy or the model is missing, or the model cannot find entities."""
    try:
        import spacy
    except ImportError:
        raise ConfigError(
            "redaction.ner.engine 'spacy' needs spaCy: pip install 'privllm[spacy]'",
            field="redaction.ner.engine",
        ) from None
    name = config.model
    try:
        nlp = spacy.load(name, exclude=_not_needed(spacy, name))
    except Exception as exc:
        # Only the class: spaCy's own message is long and may list the local file system.
        raise ConfigError(
            f"{_FIELD}: cannot load the spaCy model {name!r} ({type(exc).__name__}); install "
            "it first (e.g. python -m spacy download en_core_web_sm) and give its package "
            "name or folder",
            field=_FIELD,
        ) from None
    if "ner" not in nlp.pipe_names:
        raise ConfigError(
            f"{_FIELD}: the spaCy model {name!r} has no 'ner' component", field=_FIELD
        )
    run = SpacyRun(nlp, batch_size=config.batch_size)
    return ModelDetector(run, name=name, labels=config.labels, batch_size=config.batch_size)


class SpacyRun:
    """The loaded pipeline as an engine's batch runner: ``run(texts)`` gives each text's
    ``(start, end, label)`` spans.

    Runs happen inside a spaCy memory zone (``nlp.memory_zone()``) that is closed, and all
    the strings and lexemes of its texts freed, once ``zone_texts`` texts ran in it: a
    long-running client's string store stays the size of the model's own plus one window of
    texts (without a zone, every new word a client ever saw stayed in memory for good). The
    zone spans calls rather than one call because within it the tokenizer's cache still
    works: against no zone at all, a zone per call cost a short text's call 5-24% more CPU,
    one zone per 500 texts 5-9% (the held-out corpus, one text per call, a loaded machine,
    three runs each). Nothing of a ``Doc`` outlives its call:
    the spans are plain ints and strings. Calls must be serialised (``ModelDetector`` does).
    """

    #: Texts run in one memory zone before it is closed; bounds what the zone keeps.
    zone_texts = 500

    def __init__(self, nlp: Any, *, batch_size: int) -> None:
        self.nlp = nlp
        self.batch_size = batch_size
        self._zone = ExitStack()
        self._in_zone: int | None = None  # texts run in the open zone; None: none is open

    def __call__(self, texts: list[str]) -> Entities:
        nlp = self.nlp
        if self._in_zone is None or self._in_zone >= self.zone_texts:
            self.release()
            self._zone.enter_context(nlp.memory_zone())
            self._in_zone = 0
        self._in_zone += len(texts)
        # One text (a client call): nlp() directly, as nlp.pipe's setup costs more than a
        # short prompt's inference.
        one = len(texts) == 1
        docs = [nlp(texts[0])] if one else nlp.pipe(texts, batch_size=self.batch_size)
        return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]

    def release(self) -> None:
        """Close the open memory zone, if any: the strings of the texts run in it are freed."""
        self._zone.close()
        self._in_zone = None


def _not_needed(spacy: Any, name: str) -> list[str]:
    """The model's components other than ``ner`` and the embedding layers it listens to,
    read from its config.cfg; none (load everything) when the config cannot be read."""
    try:
        folder = spacy.util.get_package_path(name) if spacy.util.is_package(name) else Path(name)
        path = folder / "config.cfg"
        if not path.exists():
            path = next(iter(sorted(folder.glob("*/config.cfg"))))
        components: dict[str, Any] = dict(
            spacy.util.load_config(path, interpolate=False)["components"]
        )
    except Exception:  # an unusual layout: spacy.load reports what is really wrong
        return []
    if "ner" not in components:
        return []
    upstreams = set(_listened_to(components["ner"]))
    if "*" in upstreams:  # listens to any embedding layer: keep them all
        upstreams |= {n for n, c in components.items() if "tok2vec" in n or "transformer" in n}
    keep = {"ner", *upstreams}
    return [n for n in components if n not in keep]


def _listened_to(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        architecture = str(node.get("@architectures", ""))
        if "Listener" in architecture and "upstream" in node:
            yield str(node["upstream"])
        for value in node.values():
            yield from _listened_to(value)

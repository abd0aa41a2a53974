"""Named-entity models turned on by config alone (``[redaction.ner]``), and what they share.

An engine module (``ner_spacy``) only loads a model and runs it over a batch of texts; this
module makes the result a detector: labels mapped to privllm types, fail closed, and batched
runs. The engine is imported when a client (or ``privllm redact``) is built with an engine
configured, never at ``import privllm``.

Batching: ``Redactor.prefetched`` runs a dry pass with the detector *recording* the texts it is
asked about, then ``prefetch`` runs the model over all of them at once (spaCy's ``nlp.pipe``)
and the real pass reads the results. A text not prefetched is run alone.

    >>> run = lambda texts: [[(0, 3, "PER")] if t.startswith("Bob") else [] for t in texts]
    >>> ner = ModelDetector(run, name="fake", labels={"PER": "PERSON"})
    >>> with ner.recording() as asked:
    ...     _ = list(ner.find("Bob here")), list(ner.find("nobody"))
    >>> ner.prefetch(asked)
    >>> [(f.type, f.value) for f in ner.find("Bob here")]
    [('PERSON', 'Bob')]

Findings of a model never replace a structured one: ``scan`` keeps only the parts of a model
span that lie outside the spans other detectors found (a key stays ``SECRET``).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, ClassVar

from privllm.errors import RedactionError
from privllm.providers.cause import raise_mapped
from privllm.redaction.findings import Finding

if TYPE_CHECKING:
    from privllm.config import NERConfig

__all__ = ["ENGINES", "Entities", "ModelDetector", "load_ner"]

#: What an engine's batch runner returns: for each text, ``(start, end, label)`` spans.
Entities = list[list[tuple[int, int, str]]]

#: Engine name -> "module:function(config) -> ModelDetector", imported only when configured.
ENGINES: Mapping[str, str] = {"spacy": "privllm.redaction.ner_spacy:load"}


class ModelDetector:
    """A named-entity model as a ``Detector``: ``run(texts)`` gives each text's entities.

    ``labels`` maps the model's labels to privllm types; other labels are dropped. Any error
    of the model refuses the call (``RedactionError`` naming the model and the error class,
    never the text). Calls are serialised: a model object is not assumed thread-safe.
    """

    #: ``scan`` lets other detectors' findings win over this one's.
    model_based: ClassVar[bool] = True

    def __init__(
        self,
        run: Callable[[list[str]], Entities],
        *,
        name: str,
        labels: Mapping[str, str],
        batch_size: int = 64,
    ) -> None:
        self._run = run
        self.name = name
        self.labels = {label.upper(): kind for label, kind in labels.items()}
        self.types: frozenset[str] = frozenset(self.labels.values())
        self.batch_size = batch_size
        self._lock = threading.Lock()
        # Per thread: a client is shared by threads (and the async client's worker threads),
        # and one thread's dry pass must never make another's ``find`` find nothing.
        self._local = _State()

    def __repr__(self) -> str:
        return f"ModelDetector(model={self.name!r}, types={sorted(self.types)})"

    def find(self, text: str) -> Iterator[Finding]:
        state = self._local
        if state.asked is not None:  # this thread's dry pass: remember the text, find nothing
            state.asked[text] = None
            return
        spans = state.ready.get(text)
        if spans is None:
            spans = self._entities([text])[0]
        for start, end, label in spans:
            kind = self.labels.get(label.upper())
            if kind is not None:
                yield Finding(start, end, kind, text[start:end])

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        """Within the block, ``find`` records its texts (and finds nothing); they are in the
        list yielded once the block ends."""
        state = self._local
        recorded: dict[str, None] = {}
        state.asked = recorded
        asked: list[str] = []
        try:
            yield asked
        finally:
            asked.extend(recorded)
            state.asked = None

    def prefetch(self, texts: Sequence[str]) -> None:
        """Run the model over ``texts`` in batches; ``find`` on one of them reads the result.
        Replaces what an earlier ``prefetch`` kept (``prefetch(())`` forgets it all)."""
        self._local.ready = {}
        if texts:
            self._local.ready = dict(zip(texts, self._entities(list(texts)), strict=True))

    def _entities(self, texts: list[str]) -> Entities:
        def run() -> Entities:
            with self._lock:
                out = self._run(texts)
            if len(out) != len(texts):
                raise ValueError("the model returned a result per text in a different count")
            return out

        # A model's message may quote the text it failed on: the error's cause is a
        # stand-in naming its type, and the model's exception is not its context either.
        return raise_mapped(
            run,
            lambda exc: RedactionError(
                f"NER model {self.name!r} failed ({type(exc).__name__}); the call is refused"
            ),
        )


class _State(threading.local):
    def __init__(self) -> None:
        self.ready: dict[str, list[tuple[int, int, str]]] = {}
        self.asked: dict[str, None] | None = None


def load_ner(config: NERConfig) -> ModelDetector:
    """The configured engine's detector, with its model loaded (``ConfigError`` if not)."""
    target = ENGINES[config.engine or ""]
    module, _, function = target.partition(":")
    loader: Callable[[NERConfig], ModelDetector] = getattr(
        importlib.import_module(module), function
    )
    return loader(config)

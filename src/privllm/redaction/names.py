"""Person names without a model: found from cues, structure, linkage, and a census gazetteer.

Evidence, strongest first:

- a key or header that names a person (``name: Jane Doe``, ``From: Jane Doe <jd@...>``, a
  CSV ``customer`` column, a JSON ``"holder"`` key), see ``name_cues.NAME_KEYS``;
- a cue just before the name: a title (Mr, Dr, Frau, Mme), a salutation or sign-off (Dear,
  Hi, Regards, Liebe, Cordialement), a phrase ("my name is", "spoke with", "account holder");
- linkage: the parts of an e-mail's local part (``jane.doe@``) written as a name;
- the gazetteer (``gazetteer.py``): a capitalised given name from the census and registry
  lists followed by a listed surname (``Priya Raman``). Given names that are also words
  (Will, Mark, Rose, Summer) never count from the list alone.

Profile URLs (``linkedin.com/in/...``, ``x.com/<user>``, a bare ``github.com/<user>``) are
reported as PERSON too: they identify one.

    >>> [f.value for f in PersonDetector().find("Dear Ms. Okafor, thanks. Priya Raman")]
    ['Okafor', 'Priya Raman']
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from privllm.redaction.eponyms import is_brand as _brand
from privllm.redaction.findings import Finding
from privllm.redaction.gazetteer import Gazetteer, fold, gazetteer
from privllm.redaction.name_cues import (
    COMPANY_WORDS,
    NAME_KEYS,
    NOT_NAMES,
    PARTICLES,
    PLACE_HEADS,
    PLACES,
    key_words,
)
from privllm.redaction.word_trie import trie_pattern

__all__ = ["PersonDetector", "name_parts"]

# A name word: a letter, then letters, apostrophes and hyphens (O'Brien, Müller-Lüdenscheidt).
_WORD = re.compile(r"[^\W\d_](?:[\w'\u2019-]*[^\W\d_])?\.?")
# Cues after which a name follows on the same line. Written capitalised, as they start a
# line or a sentence: a regex led by capitals skips the rest of the text in C (a
# case-insensitive alternation of words would test every letter: ten times slower).
_BEFORE_WORDS = frozenset(
    word.strip()
    for word in """
        Hi|Hello|Hey|Dear|Hallo|Liebe|Lieber|Liebes|Sehr geehrte|Sehr geehrter|Sehr geehrtes
        |Guten Tag|Moin|Servus|Bonjour|Bonsoir|Salut|Cher|Chère|Chers|My name is|My name's
        |Mein Name ist|Ich heiße|Je m'appelle|Je m\u2019appelle|Spoke with|Spoke to
        |Account holder|Cardholder|Card holder|Policyholder|Policy holder|Signed by
        |Approved by|Reported by|Assigned to|Attn|Attn.|Attention|Contact person
        |Ansprechpartner|Ansprechpartnerin|Kontoinhaber|Kontoinhaberin|Karteninhaber
        |Karteninhaberin|Titulaire|Titulaire du compte|Patient|Patientin|Patiente|Customer
        |Client|Kunde|Kundin|Kollege|Kollegin|Tochter|Sohn|Schwester|Bruder|Mutter|Vater|Oma
        |Opa|Ehemann|Ehefrau|Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Herrn|Frau|Hr|Fr|Mme|Mlle
        |Monsieur|Madame|Mademoiselle|M.
        """.split("|")  # noqa: SIM905 - a word list reads better as one string
)
# Words that a person often follows and a place or a product less often: after them only a
# listed given name alone counts, one that is no word and no place ("with Ottavio", not
# "with Hope", "for Florence", "and Dell").
_WEAK_PHRASES = (
    "with", "for", "and", "while", "whether", "because", "unless", "until", "avec", "pour",
    "et", "mit", "für", "und", "als",
)  # fmt: skip
# The same cues inside a sentence, lower-case: found with str.find on the lowered text.
_PHRASES = (
    "my name is", "name is", "spoke with", "spoke to", "speaking with", "speaking to",
    "talked to", "talked with", "met with", "call with", "meeting with", "account holder",
    "cardholder", "card holder", "policyholder", "on behalf of", "signed by", "approved by",
    "reported by", "assigned to", "requested by", "contact person", "mein name ist",
    "ich heiße", "gespräch mit", "telefonat mit", "im auftrag von", "je m'appelle",
    "titulaire du compte", "de la part de", "échangé avec", "parlé avec", "au nom de",
    # Relations: "my colleague Ambrose", "ma femme Capucine" (a listed name must follow).
    "colleague", "coworker", "co-worker", "husband", "wife", "daughter", "son", "mother",
    "father", "mom", "mum", "dad", "brother", "sister", "friend", "boss", "manager",
    "grandmother", "grandfather", "grandma", "grandpa", "handed over to", "escalated to",
    "transferred to", "forwarded to", "femme", "mari", "fille", "fils", "mère", "père",
    "collègue", "frère", "sœur",
    # Asked to reach someone: "ping Anastasia", "ask Leopold", "cc Wilhelmina Achterberg".
    "ping", "ask", "cc", "tell", "remind", "thank", "name was", "reply to", "write to",
    "wrote to", "talk to", "sent to", "send to", "forward to", "introduce", "invite",
    *_WEAK_PHRASES,
)  # fmt: skip
_WEAK = frozenset(_WEAK_PHRASES)
# The phrases by their last three letters (" cc" for "cc"), and what may follow one before a
# name.
_PHRASE_ENDS: dict[str, tuple[str, ...]] = {}
for _phrase in _PHRASES:
    _end = f" {_phrase}"[-3:]
    _PHRASE_ENDS[_end] = (*_PHRASE_ENDS.get(_end, ()), _phrase)
# A capital just after a phrase's last three letters and a separator ("with Jane", "is: Jane"):
# led by the capital, which re skips to in C; the lookbehinds, fixed-width alternations of
# those endings (tried only after a lower-case letter and a separator: most capitals open a
# sentence), leave to Python only the capitals a phrase may cue (a tenth of them).
_ENDS = "|".join(re.escape(e) for e in sorted(_PHRASE_ENDS))
_CAPS = "[A-ZÀ-ÖØ-Þ]"
_CAPITAL = re.compile(
    rf"[A-ZÀ-ÖØ-Þ](?:(?<=[a-zß-öø-ÿ][ \t:,][A-ZÀ-ÖØ-Þ])(?<=(?:{_ENDS})[ \t:,][A-ZÀ-ÖØ-Þ])"
    rf"|(?<=[a-zß-öø-ÿ][:,] [A-ZÀ-ÖØ-Þ])(?<=(?:{_ENDS})[:,] [A-ZÀ-ÖØ-Þ]))"
)
# Titles: what follows may be a surname alone ("Herr Schulz"), and may be a word ("Mr Bill").
_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "herr", "herrn", "frau", "hr", "fr", "mme",
     "mlle", "monsieur", "madame", "mademoiselle", "m."}
)  # fmt: skip
_GREETINGS = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "dear",
        "hallo",
        "liebe",
        "lieber",
        "liebes",
        "moin",
        "servus",
        "bonjour",
        "bonsoir",
        "salut",
        "cher",
        "chère",
        "chers",
    ]
) | {"sehr geehrte", "sehr geehrter", "guten tag"}
# Sign-offs: the name follows on the same line or the next one.
_AFTER_WORDS = frozenset(
    word.strip()
    for word in """
        Thanks|Thank you|Many thanks|Thx|Cheers|Regards|Best regards|Kind regards
        |Warm regards|Best wishes|Best|Sincerely|Yours truly|Yours sincerely|All the best
        |Mit freundlichen Grüßen|Mit freundlichen Grüssen|Viele Grüße|Beste Grüße
        |Liebe Grüße|Freundliche Grüße|Schöne Grüße|Grüße|Gruß|LG|VG|MfG|Cordialement
        |Bien cordialement|Bien à vous|Merci beaucoup|Merci|Amitiés|Bises|Salutations
        |Sincères salutations|Danke|Vielen Dank|Best Regards|Kind Regards
        """.split("|")  # noqa: SIM905 - a word list reads better as one string
)
# Both lists in one pass, led by their capitals (one trie: most capitals start neither). A
# cue before a name is followed by a space or a stop; after a sign-off, the name follows on
# the same line or the next (``_SIGN_OFF_TAIL``).
_CUE = re.compile(trie_pattern(_BEFORE_WORDS | _AFTER_WORDS) + r"(?=[\s.,:!])")
# With the capitals after a lower-case phrase (``_CAPITAL``): one pass over the capitals.
# Led by the capital itself, so re still skips to capitals in C (a plain "cue|capital"
# alternation would try every position: 150 us on a 2 KB prompt, against 15 us this way);
# the cue is then read by a lookahead, from inside a one-letter lookbehind. A capital that
# starts a cue is read as the cue ("with Dr Okafor").
_CUED = re.compile(
    f"{_CAPS}(?:(?<=(?=(?P<cue>{_CUE.pattern})){_CAPS})|{_CAPITAL.pattern[len(_CAPS) :]})"
)
_SIGN_OFF_TAIL = re.compile(r"[ \t]*([,.!]?)[ \t]*(\r?\n[ \t]*)?(?=[^\W\d_])")
# Sign-offs that also end a line in lower case ("Kind regards,\nJane"): found from "regards".
_AFTER_LOWER = re.compile(r"(?:regards|grüße|grüßen|thanks)[ \t]*([,.!]?)[ \t]*(\r?\n[ \t]*)?")
# A capitalised word, then a second one (a pair: "Priya Raman") or what only a person does
# ("Gideon confirmed the order"): both read in one pass over the text's capitals.
_PERSON_VERBS = trie_pattern(
    """
    said says wrote writes asked asks replied told emailed mentioned agreed presented
    confirmed approved explained suggested promised complained apologised apologized
    signed sagte schrieb fragte meinte bestätigte erklärte a_dit a_écrit a_présenté
    a_demandé a_confirmé a_validé a_signé a_appelé a_posé a_répondu
    """.replace("_", "\x00").split()
).replace("\x00", " ")
_PAIR = re.compile(
    r"([A-ZÀ-ÖØ-Þ\u0100-\u017f][\w'\u2019-]*)[ \t]+(?:(?:[A-Z]\.[ \t]+)?"
    r"([A-ZÀ-ÖØ-Þ\u0100-\u017f][\w'\u2019-]*)|(?P<verb>" + _PERSON_VERBS + r")\b)"
)
# The given name before such a verb: one capitalised word of letters.
_ACTING_WORD = re.compile(r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'\u2019-]+")
# A profile host just before ".com/" (found with str.find), and the account after it.
_PROFILE_HOST = re.compile(
    r"(?:https?://)?(?:www\.|[a-z]{2}\.)?(linkedin|xing|x|twitter|facebook|instagram|github)$",
    re.IGNORECASE,
)
_PROFILE_PATH = {"linkedin": "in/", "xing": "profile/"}
_ACCOUNT = re.compile(r"[\w.%-]{2,}")
_NOT_PROFILES = frozenset(
    [
        "features",
        "orgs",
        "settings",
        "login",
        "about",
        "pricing",
        "explore",
        "topics",
        "marketplace",
        "sponsors",
        "search",
        "home",
        "share",
        "intent",
        "i",
        "hashtag",
        "pages",
        "groups",
        "events",
        "watch",
        "help",
        "policies",
        "privacy",
    ]
)
_NOT_PERSON_QUALIFIERS = frozenset(
    [
        "company",
        "product",
        "file",
        "host",
        "user",
        "domain",
        "brand",
        "app",
        "application",
        "project",
        "model",
        "service",
        "bank",
        "street",
        "city",
        "country",
        "business",
        "org",
        "organization",
        "organisation",
        "team",
        "server",
        "database",
        "db",
        "table",
        "column",
        "field",
        "package",
        "module",
        "class",
        "function",
        "variable",
        "event",
        "item",
        "device",
        "branch",
        "repo",
        "repository",
        "bucket",
        "queue",
        "topic",
        "image",
        "container",
        "cluster",
        "node",
        "pod",
        "namespace",
        "site",
        "store",
        "shop",
        "firm",
        "plan",
        "tier",
        "course",
        "campaign",
        "channel",
        "group",
        "role",
        "display",
        "screen",
        "code",
        "brand",
        "trade",
        "firmen",
        "produkt",
        "datei",
        "projekt",
        "société",
        "produit",
        "fichier",
        "entreprise",
        "projet",
        "ville",
    ]
)
# The last word of every name key, lower-case: "customer_name", "firstName" end in "name".
_KEY_ENDINGS = tuple(sorted({k.rsplit("_", 1)[-1] for k in NAME_KEYS}))
_BARE_KEYS = frozenset({"first", "last", "given", "family"})
_LOOSE_KEYS = frozenset(
    """
    name customer client kunde kundin owner recipient sender destinataire empfänger absender
    expéditeur expediteur member guest tenant author holder inhaber inhaberin titulaire
    """.split()  # noqa: SIM905 - a word list reads better as one string
)
# The word after a name, past a generational suffix: "King Jr. Day".
_AFTER_NAME = re.compile(r"(?:,? (?:Jr|Sr|II|III|IV)\.?)? ([^\W\d_]+)")
_ADDRESSING = frozenset({"from", "to", "cc", "reply_to", "attn", "attention", "author"})
_PERSON_NEXT = re.compile(
    r",? (?:who|said|says|wrote|writes|asked|approved|confirmed|called|replied|signed|owns"
    r"|joined|left|told|emailed|mentioned|agreed|sent|sagte|schrieb|hat|ist|a dit|a écrit"
    r"|a validé|a signé|qui)\b"
)
# Addressed, then spoken to: "Harold, you forgot", "Jonas, kannst du", "Léa, merci". Led by
# the comma (re jumps to a literal); the name before it is read in Python.
_VOCATIVE = re.compile(
    r",[ \t]+(?:you|your|please|thanks|thank|can you|could you|would you|did you|du|dein"
    r"|deine|kannst|bitte|danke|tu|vous|merci|peux|pourriez|pouvez)\b"
)
# Assistants, products and places that are also listed given names.
_NOT_PEOPLE = frozenset(
    """
    alexa siri cortana jenkins florence charlotte augusta savannah madison eugene tyler
    jackson marion raleigh elizabeth victoria sofia vienna regina beverly aurora chelsea
    """.split()  # noqa: SIM905 - a word list reads better as one string
)
_OPENERS = frozenset('.!?"\u201c\u201e\u00ab:\n')
# Between two items of a list of names, and what may follow an item.
_LIST_SEP = re.compile(r",[ \t]*(?:(?:and|und|et)[ \t]+)?|[ \t]+(?:and|und|et)[ \t]+")
_LIST_BEFORE = re.compile(
    r"([A-ZÀ-ÖØ-Þ][\w'\u2019-]*(?:[ \t]+[A-ZÀ-ÖØ-Þ][\w'\u2019-]*){0,2})"
    r"(?:,[ \t]*(?:(?:and|und|et)[ \t]+)?|[ \t]+(?:and|und|et)[ \t]+)$"
)
_AND = re.compile(r"\b(?:and|und|et)\b")
_ITEM_END = frozenset(",.;:!?)( \t\r\n")
_LOCAL_PART = re.compile(r"([^\W\d_]{2,})[._-]([^\W\d_]{2,})$")
_MAX_TOKENS = 4
_LINK_WINDOW = 4000


def name_parts(name: str) -> list[str]:
    """The words of a name worth redacting alone: no particles, initials or titles.

    >>> name_parts("Dr. Jean-Luc van der Berg")
    ['Jean-Luc', 'Berg']
    """
    parts = []
    for word in name.replace(",", " ").split():
        word = word.strip(".'\u2019")
        low = fold(word)
        if len(word) > 1 and low not in PARTICLES and low not in _TITLES and low not in NOT_NAMES:
            parts.append(word)
    return parts


class PersonDetector:
    """PERSON from keys, cues, e-mail linkage, profile URLs and the census gazetteer."""

    types = frozenset({"PERSON"})

    def __init__(self, names: Gazetteer | None = None) -> None:
        self._names = names

    @property
    def names(self) -> Gazetteer:
        if self._names is None:
            self._names = gazetteer()
        return self._names

    def find(self, text: str) -> Iterator[Finding]:
        found = [*self._keyed(text), *self._cued(text), *self._paired(text)]
        found += self._vocatives(text)
        found += self._last_line(text)
        found += self._dashed(text)
        if "@" in text:
            found += self._linked(text)
        if found:
            found += self._listed(text, found)
        yield from found
        if ".com/" in text:
            yield from self._profiles(text)

    # -- evidence -------------------------------------------------------------------------------

    def _keyed(self, text: str) -> Iterator[Finding]:
        """``name: Jane Doe``, ``"holder": "Jane Doe"``, ``From: Jane Doe <jd@x.org>``."""
        for i in _separators(text):
            # Most labels name no person (times, URLs, "Status:"): the window before the
            # separator is tested in C before the key is read in Python.
            if not text[max(0, i - 42) : i].rstrip(" \t\"'.").lower().endswith(_KEY_ENDINGS):
                continue
            key = _key_before(text, i)
            # Most labels name no person (times, URLs, "Status:"): a suffix test is enough
            # to skip them before the key is split into words.
            if not key or not key.lower().endswith(_KEY_ENDINGS):
                continue
            words = key_words(key).split("_")
            if "_".join(words[-2:]) in NAME_KEYS:
                words = [*words[:-2], "_".join(words[-2:])]
            elif words[-1] not in NAME_KEYS:
                continue
            if len(words) > 1 and words[-2] in _NOT_PERSON_QUALIFIERS:
                continue  # "Product name:", "company name:"
            span = self._value(text, i + 1)
            if span is not None and words[-1] in _ADDRESSING:
                # "From: Berlin" is a route: a header names a person in two words or more,
                # or with their address after the name.
                rest = text[span[1] : span[1] + 3]
                if " " not in text[span[0] : span[1]] and "<" not in rest:
                    continue
            # "first": "Leontine" names a person, "last": "Success" does not: the value of
            # a key this short must be a listed name.
            bare = words[-1] in _BARE_KEYS
            if span is not None and bare and not self._known(text[span[0] : span[1]]):
                continue
            # "name", "customer", "owner" may hold a product or a firm ("Atlas Pro", "Rose
            # Gold"): their value needs a listed given name or a surname that is no word.
            loose = len(words) == 1 and words[0] in _LOOSE_KEYS
            if span is not None and loose and not self._listed_person(text[span[0] : span[1]]):
                continue
            if span is not None:
                yield Finding(span[0], span[1], "PERSON", text[span[0] : span[1]])
            else:
                yield from self._list_value(text, i + 1)

    def _list_value(self, text: str, i: int) -> Iterator[Finding]:
        """``"watchers": ["Freya Lindqvist", "Olamide Bakare"]``: each quoted item."""
        while i < len(text) and text[i] in " \t":
            i += 1
        if not text.startswith("[", i):
            return
        close = text.find("]", i, i + 2000)
        q = text.find('"', i, close)
        while 0 <= q < close:
            span = self._value(text, q)
            if span is not None and text.startswith('"', span[1]):
                yield Finding(span[0], span[1], "PERSON", text[span[0] : span[1]])
            end = text.find('"', q + 1, close)
            if end < 0:
                return
            q = text.find('"', end + 1, close)

    def _value(self, text: str, i: int) -> tuple[int, int] | None:
        """The name a key holds: letters only, one to five words, on the key's line."""
        n = len(text)
        while i < n and text[i] in " \t\"'":
            i += 1
        end = _value_end(text, i)
        if end < n and text[end] in ",;":
            # "Doe, Jane" / "Roe; Rick": a surname-first name, when nothing else follows.
            more = _value_end(text, end + 1)
            if (more >= n or text[more] in '\r\n"') and 0 < len(text[end + 1 : more].split()) < 3:
                end = more
        value = text[i:end].rstrip(" .'")
        if end < n and text[end] in ":=" and " " in value:
            value = value.rsplit(" ", 1)[0].rstrip(" ,")  # "Jane Doe Phone:": the next key
        words = value.split()
        if not words or len(words) > 5 or any(c.isdigit() for c in value):
            return None
        if not any(len(w.strip(".,;")) > 1 for w in words):
            return None  # "X", "n/a"-like placeholders
        if all(fold(w) in NOT_NAMES or fold(w) in PARTICLES for w in words):
            return None
        if fold(words[-1]) in COMPANY_WORDS:
            return None
        if not all(_WORD.fullmatch(w.rstrip(",;")) for w in words):
            return None
        if value.islower() and not any(
            self.names.is_given(w) or self.names.is_ambiguous(w) for w in words
        ):
            return None  # "Reporter: automation", "assignee: unassigned"
        return (i, i + len(value))

    def _cued(self, text: str) -> Iterator[Finding]:
        for m in _CUED.finditer(text):
            cue = m.group("cue")
            if cue is None:
                # A capital after a lower-case phrase: looked up from the phrase's last three
                # letters (a pass per phrase cost more than every other name evidence).
                cap = m.start()
                end = cap - 1 if text[cap - 2].isalpha() else cap - 2
                for phrase in _PHRASE_ENDS.get(text[end - 3 : end], ()):
                    i = end - len(phrase)
                    if i >= 0 and text[i].islower() and text[i:end].lower() == phrase:
                        yield from self._after_cue(text, i, end, phrase, sign_off=False)
            elif cue in _AFTER_WORDS:
                tail = _SIGN_OFF_TAIL.match(text, m.end("cue"))
                if tail is not None:
                    start, end = m.start(), tail.end()
                    yield from self._after_cue(text, start, end, cue, sign_off=True, m=tail)
            else:
                yield from self._after_cue(text, m.start(), m.end("cue"), cue, sign_off=False)
        i = text.find("regards")
        while i >= 0:
            low = _AFTER_LOWER.match(text, i)
            if low is not None and low.group(2):
                yield from self._after_cue(text, i, low.end(), "regards", sign_off=True, m=low)
            i = text.find("regards", i + 7)

    def _after_cue(
        self,
        text: str,
        start: int,
        end: int,
        cue: str,
        *,
        sign_off: bool,
        m: re.Match[str] | None = None,
    ) -> Iterator[Finding]:
        if start and (text[start - 1].isalnum() or text[start - 1] in "_-'"):
            return
        cue = fold(cue.strip())
        title = cue.rstrip(".") in _TITLES or cue == "m."
        span = self._read(text, end, cue_is_title=title, next_line=sign_off)
        if span is None:
            return
        # "Thanks Jane!" but not "Best Practices for...": without a comma or a line break
        # after the sign-off, the name must end the sentence.
        bare = sign_off and m is not None and not (m.group(1) or m.group(2))
        if bare and span[1] < len(text) and text[span[1]] not in "!.,\r\n":
            return
        role = not (title or sign_off or cue in _GREETINGS)
        if cue in _WEAK and not self._given_alone(text, span[0], span[1]):
            return
        if role and not self._known(text[span[0] : span[1]], alone=False):
            return  # "Customer Success", "Customer Care": a role's cue needs a listed name
        if not title and not self._known(text[span[0] : span[1]]):
            if role:
                return
            # "Thanks, Looks good": a name in no list needs the greeting's own punctuation
            # after it ("Hi Oluwaseun,"), or a line of its own under a sign-off.
            if span[1] < len(text) and text[span[1]] not in ",!\r\n":
                return
        yield Finding(span[0], span[1], "PERSON", text[span[0] : span[1]])

    def _read(
        self, text: str, i: int, *, cue_is_title: bool, next_line: bool
    ) -> tuple[int, int] | None:
        """The capitalised name starting at (or just after) ``i``, up to four words."""
        n = len(text)
        while (i < n and text[i] in " \t.,:") or (next_line and i < n and text[i] in "\r\n"):
            i += 1
        tokens: list[tuple[int, int]] = []
        pos = i
        while len(tokens) < _MAX_TOKENS:
            m = _WORD.match(text, pos)
            if m is None:
                break
            word = m.group().rstrip(".")
            low = fold(word)
            if low in PARTICLES and tokens:
                nxt = (
                    _WORD.match(text, m.end() + 1) if m.end() < n and text[m.end()] == " " else None
                )
                if nxt is None or not nxt.group()[0].isupper():
                    break
                pos = m.end() + 1
                continue
            if not _name_like(word) or low in NOT_NAMES or low in COMPANY_WORDS:
                break
            # An initial keeps its dot; a full word's dot ends the sentence.
            end = m.end() if len(word) == 1 else m.start() + len(word)
            tokens.append((m.start(), end))
            if m.end() >= n or text[m.end()] != " " or (len(word) > 1 and m.group().endswith(".")):
                break
            pos = m.end() + 1
        if not tokens:
            return None
        after = _WORD.match(text, tokens[-1][1] + 1)
        if after is not None and fold(after.group().rstrip(".")) in COMPANY_WORDS:
            return None  # "Dear Acme Corp"
        start, end = tokens[0][0], tokens[-1][1]
        if not cue_is_title and len(tokens) == 1:
            word = text[start:end]
            # A single word after a greeting: a name if it is not a word (Hi Team, Hi Will).
            if word.isupper() and len(word) < 3:
                return None
        return (start, end)

    def _given_alone(self, text: str, start: int, end: int) -> bool:
        """One listed given name that is no word, no place and no firm, ending a clause or
        followed by a lower-case word: "with Ottavio", "for Ines while"."""
        word = text[start:end]
        low = fold(word)
        if " " in word or word.isupper() or low in PLACES or low in _NOT_PEOPLE:
            return False
        if not self.names.is_given(word) or _brand(text, start, end):
            return False
        return end >= len(text) or not text[end + 1 : end + 2].isupper()

    def _listed_person(self, name: str) -> bool:
        names = self.names
        parts = name_parts(name)
        if any(names.is_given(p) or names.is_plain_surname(p) for p in parts):
            return True
        if ("," in name or ";" in name) and any(names.is_ambiguous(p) for p in parts):
            return True  # "Roe; Rick": surname first, a person's form
        # "Rose Gold" is a colour, "ROSE CALLOWAY" and "Amandine Rousseau" are people.
        return len(parts) > 1 and any(names.is_surname(p) and not names.is_word(p) for p in parts)

    def _known(self, name: str, *, alone: bool = True) -> bool:
        """A part of ``name`` is listed; with ``alone=False`` a one-word name must be a
        given name (a surname alone, "Care", "Sale", is too often a word)."""
        names = self.names
        parts = name_parts(name)
        if not alone and len(parts) == 1:
            return names.is_given(parts[0]) or names.is_ambiguous(parts[0])
        return any(names.is_given(w) or names.is_ambiguous(w) or names.is_surname(w) for w in parts)

    def _paired(self, text: str) -> Iterator[Finding]:
        """Given name + surname from the gazetteer, both capitalised: ``Priya Raman``; and a
        given name before a person's verb (``_acting``), found by the same pass."""
        pos = 0
        while True:
            m = _PAIR.search(text, pos)
            if m is None:
                return
            if m.group("verb") is not None:
                yield from self._acting(text, m)
                pos = m.end()
                continue
            start, end = m.span()
            first_end, last_start = m.end(1), m.start(2)
            first, last = m.group(1), m.group(2)
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-'\u2019@./"):
                pos = first_end
                continue
            if end < len(text) and text[end] in "@/":
                pos = last_start
                continue
            if self._pair_ok(text, start, first, last, end):
                end = self._more_surnames(text, end)
                if end < 0:  # "Martin Luther King Jr. Day": a holiday
                    pos = last_start
                    continue
                yield Finding(start, end, "PERSON", text[start:end])
                pos = end
            else:
                pos = last_start

    def _pair_ok(self, text: str, start: int, first: str, last: str, end: int) -> bool:
        names = self.names
        # Most capitalised pairs ("The Company", "New York") fail here: checked first.
        if not names.is_given(first) and not names.is_ambiguous(first):
            return False
        lf, ll = fold(first), fold(last)
        if lf in NOT_NAMES or ll in NOT_NAMES or lf in PLACE_HEADS or ll in COMPANY_WORDS:
            return False
        if not names.is_surname(last):
            return self._unlisted_surname(text, start, first, last, end)
        if not (_name_like(first) and _name_like(last)):
            return False
        if names.is_ambiguous(first) or lf in PLACES:
            # "Bill Hughes approved", "Grant Abernathy, who": a word-name needs a person's verb,
            # or a surname that is no word ("Rose Iwasaki", not "Rose Gold").
            if not (names.is_plain_surname(last) or _PERSON_NEXT.match(text, end)):
                return False
        elif not names.is_given(first):
            return False
        after = _WORD.match(text, end + 1) if end < len(text) and text[end] == " " else None
        if after is not None and fold(after.group().rstrip(".")) in COMPANY_WORDS:
            return False
        return not _brand(text, start, end) and not self._in_brand_list(text, start, end)

    def _unlisted_surname(self, text: str, start: int, first: str, last: str, end: int) -> bool:
        """A surname the census lacks, after a listed given name that is no word and no
        place: "Priyanka Wrzesniewski", not "Alexa Skills" or "Priyanka Dashboard"."""
        names = self.names
        low = fold(last)
        if len(last) < 3 or low in NOT_NAMES or low in COMPANY_WORDS or low in PLACE_HEADS:
            return False
        if last.isupper() != first.isupper() or not _name_like(last):
            return False
        lf = fold(first)
        if lf in PLACES or lf in _NOT_PEOPLE or not names.is_given(first) or names.is_word(last):
            return False
        if names.is_given(last) or names.is_ambiguous(last):
            return False  # "Anna Maria", "Paul Simon Says": two given names are no evidence
        after = _WORD.match(text, end + 1) if text.startswith(" ", end) else None
        if after is not None and fold(after.group().rstrip(".")) in COMPANY_WORDS:
            return False
        return not _brand(text, start, end) and not self._in_brand_list(text, start, end)

    def _more_surnames(self, text: str, end: int) -> int:
        """The end of a name whose further parts are listed surnames ("Yasmina Ben Ali",
        "Ana María García López"); -1 when a place or an event follows it ("Martin Luther
        King Jr. Day", "Grace Hopper Center")."""
        names = self.names
        for _ in range(2):
            m = _WORD.match(text, end + 1) if text.startswith(" ", end) else None
            if m is None:
                break
            word = m.group().rstrip(".")
            if not (_name_like(word) and names.is_surname(word)) or fold(word) in NOT_NAMES:
                break
            if fold(word) in COMPANY_WORDS:
                break
            end = m.start() + len(word)
        after = _AFTER_NAME.match(text, end)
        if after is not None and fold(after.group(1)) in COMPANY_WORDS:
            return -1
        return end

    def _in_brand_list(self, text: str, start: int, end: int) -> bool:
        """Listed beside a one-word item that is no given name: "Charles Schwab, Fidelity
        and Vanguard" lists firms (people are listed by full or first names). Only a clear
        list counts: an item joined by "and", or followed by another item ("Hier, Inès
        Haddad a validé" is a sentence, not a list)."""
        names = self.names
        items = []
        sep = _LIST_SEP.match(text, end)
        span = self._next_item(text, end)
        if (
            sep is not None
            and span is not None
            and (_AND.search(sep.group()) or _LIST_SEP.match(text, span[1]))
        ):
            items.append(span)
        m = _LIST_BEFORE.search(text, max(0, start - 80), start)
        if m is not None and _AND.search(text, m.end(1), start):
            span = self._previous_item(text, start)
            if span is not None:
                items.append(span)
        for span in items:
            item = text[span[0] : span[1]]
            if " " not in item and not (names.is_given(item) or names.is_ambiguous(item)):
                return True
        return False

    def _vocatives(self, text: str) -> Iterator[Finding]:
        """A listed given name opening a sentence or a quote, then a comma and a lower-case
        word: "Harold, you forgot the report" (not "Austin, Dallas and Houston")."""
        names = self.names
        for m in _VOCATIVE.finditer(text):
            comma = m.start()
            start = comma
            while start and (text[start - 1].isalpha() or text[start - 1] in "'\u2019-"):
                start -= 1
            word = text[start:comma]
            if not word or not word[0].isupper() or word.isupper():
                continue
            before = start
            while before and text[before - 1] in " \t":
                before -= 1
            if before and text[before - 1] not in _OPENERS:
                continue
            if fold(word) in NOT_NAMES or fold(word) in PLACES or not names.is_given(word):
                continue
            yield Finding(start, comma, "PERSON", word)

    def _acting(self, text: str, m: re.Match[str]) -> Iterator[Finding]:
        """A listed given name alone, then a verb only a person does: "Gideon confirmed"."""
        start, word = m.start(), m.group(1)
        if m.start("verb") != m.end(1) + 1 or not _ACTING_WORD.fullmatch(word):
            return
        if start and (text[start - 1].isalnum() or text[start - 1] in "_-@./"):
            return
        if fold(word) in NOT_NAMES or fold(word) in PLACES or not self.names.is_given(word):
            return
        yield Finding(start, m.end(1), "PERSON", word)

    def _last_line(self, text: str) -> Iterator[Finding]:
        """A message signed with a listed given name on its last line: "See attached.\nHiroshi"."""
        end = len(text.rstrip())
        start = text.rfind("\n", 0, end) + 1
        if start == 0 or end - start > 40:
            return
        above = text[:start].rstrip()
        if above and above[-1] not in ".!?:,":
            return  # the end of a paragraph, not a signature
        span = self._read(text, start, cue_is_title=False, next_line=False)
        if span is None or span[1] != end:
            return
        name = text[start:end]
        if fold(name) in PLACES:
            return
        if len(name.split()) <= 2 and self._known(name, alone=False):
            yield Finding(start, end, "PERSON", name)

    def _dashed(self, text: str) -> Iterator[Finding]:
        """A signature line: "-- Tasha", "— Kwabena (Tier 1)"."""
        for dash in ("\n-", "\n\u2014", "\n\u2013"):
            i = text.find(dash)
            while i >= 0:
                j = i + 1
                while j < len(text) and text[j] in "-\u2013\u2014":
                    j += 1
                span = self._read(text, j, cue_is_title=False, next_line=False)
                if span is not None and (span[1] >= len(text) or text[span[1]] in "\r\n ,("):
                    name = text[span[0] : span[1]]
                    if self._known(name, alone=False):
                        yield Finding(span[0], span[1], "PERSON", name)
                i = text.find(dash, i + 2)

    def _listed(self, text: str, found: list[Finding]) -> list[Finding]:
        """Names listed beside a found one: "Attendees: Lorcan Doyle, Aiyana Begay and ..."."""
        out: list[Finding] = []
        seen = {(f.start, f.end) for f in found}
        queue = [f for f in found if f.type == "PERSON"]
        while queue:
            f = queue.pop()
            words = len(f.value.split())
            for span in (self._next_item(text, f.end), self._previous_item(text, f.start)):
                if span is None or span in seen:
                    continue
                name = text[span[0] : span[1]]
                n = len(name.split())
                # Full names beside full names; a first name alone only beside another.
                if n >= 2 and words >= 2 and self._known(name):
                    pass
                elif not (n == 1 and words == 1 and self._known(name, alone=False)):
                    continue
                if _brand(text, span[0], span[1]):
                    continue
                seen.add(span)
                item = Finding(span[0], span[1], "PERSON", name)
                out.append(item)
                queue.append(item)
        return out

    def _next_item(self, text: str, end: int) -> tuple[int, int] | None:
        sep = _LIST_SEP.match(text, end)
        if sep is None:
            return None
        span = self._read(text, sep.end(), cue_is_title=False, next_line=False)
        if span is None or (span[1] < len(text) and text[span[1]] not in _ITEM_END):
            return None
        return span

    def _previous_item(self, text: str, start: int) -> tuple[int, int] | None:
        m = _LIST_BEFORE.search(text, max(0, start - 80), start)
        if m is None:
            return None
        span = self._read(text, m.start(1), cue_is_title=False, next_line=False)
        return span if span is not None and span[1] == m.end(1) else None

    def _linked(self, text: str) -> Iterator[Finding]:
        """``jane.doe@...`` makes ``Jane Doe``, ``Jane`` and ``Doe`` names in the same text."""
        lowered = text.lower()
        if len(lowered) != len(text):
            return
        seen: set[tuple[str, str]] = set()
        for at in _positions(text, "@"):
            lo = at
            while lo > 0 and (text[lo - 1].isalnum() or text[lo - 1] in "._-"):
                lo -= 1
            m = _LOCAL_PART.search(text, lo, at)
            if m is None:
                continue
            first, last = m.group(1).lower(), m.group(2).lower()
            if (first, last) in seen or first in NOT_NAMES or last in NOT_NAMES:
                continue
            seen.add((first, last))
            # Near the address only: one pass over a whole 5 MB export per address would be
            # quadratic. A message's signature and its From: line sit within a few KB.
            lo, hi = max(0, at - _LINK_WINDOW), min(len(text), at + _LINK_WINDOW)
            for part in (first, last):
                i = lowered.find(part, lo, hi)
                while i >= 0:
                    end = i + len(part)
                    if text[i].isupper() and _alone(text, i, end):
                        if part == first and lowered.startswith(" " + last, end):
                            full = end + 1 + len(last)
                            if _alone(text, i, full):
                                end = full
                        yield Finding(i, end, "PERSON", text[i:end])
                    i = lowered.find(part, end, hi)

    def _profiles(self, text: str) -> Iterator[Finding]:
        for i in _positions(text, ".com/"):
            host = _PROFILE_HOST.search(text, max(0, i - 24), i)
            if host is None or (host.start() and text[host.start() - 1] not in " \t\n(<[\"'"):
                continue
            site = host.group(1).lower()
            path = i + 5
            prefix = _PROFILE_PATH.get(site, "")
            if not text.startswith(prefix, path):
                continue
            account = _ACCOUNT.match(text, path + len(prefix))
            if account is None:
                continue
            user = account.group().rstrip(".")
            end = account.start() + len(user)
            if fold(user) in _NOT_PROFILES:
                continue
            if site == "github" and end < len(text) and text[end] == "/":
                continue  # github.com/<org>/<repo>: a project, not a person
            yield Finding(host.start(), end, "PERSON", text[host.start() : end])


def _name_like(word: str) -> bool:
    """Capitalised, or all capitals of three letters or more (JEAN-LUC, not IT or HR)."""
    if not word or not word[0].isupper() or not _WORD.fullmatch(word):
        return False
    if word.isupper():
        return len(word) >= 3
    return True


def _alone(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` is a whole word, not part of an address or a longer word."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "_@.") and not (after.isalnum() or after in "_@")


def _value_end(text: str, i: int) -> int:
    end, n = i, len(text)
    while end < n and text[end] not in _VALUE_STOPS and end - i < 80:
        end += 1
    return end


_VALUE_STOPS = frozenset('\n\r,;|<>("[{}]=:/@\t')


def _separators(text: str) -> Iterator[int]:
    """Every ``:`` and ``=`` in order; each found once (linear, however many there are)."""
    colon, equals = text.find(":"), text.find("=")
    while colon >= 0 or equals >= 0:
        if equals < 0 or 0 <= colon < equals:
            yield colon
            colon = text.find(":", colon + 1)
        else:
            yield equals
            equals = text.find("=", equals + 1)


def _key_before(text: str, i: int) -> str:
    """The label just before ``text[i]`` on its line, quotes dropped: at most 40 chars."""
    j = i
    while j > 0 and text[j - 1] in " \t\"'":
        j -= 1
    k = j
    while k > 0 and j - k < 40 and (text[k - 1].isalnum() or text[k - 1] in " _-.'\u2019"):
        k -= 1
    return text[k:j].strip(" .\"'")


def _positions(text: str, char: str) -> Iterator[int]:
    i = text.find(char)
    while i >= 0:
        yield i
        i = text.find(char, i + 1)

"""Model-free PERSON, STREET_ADDRESS and DATE_OF_BIRTH: the rules one by one, the vault's
part-by-part memory of a name, and the import budget."""

from __future__ import annotations

import subprocess
import sys

import pytest

from privllm.redaction.redactor import Redactor
from privllm.redaction.scanner import BUILTIN_TYPES, default_detectors, scan
from privllm.redaction.vault import Vault

DETECTORS = default_detectors(BUILTIN_TYPES)  # the preview types included


def found(text: str, kind: str) -> list[str]:
    return [f.value for f in scan(text, DETECTORS) if f.type == kind]


def looks_for(kind: str) -> bool:
    """The default set has a built-in detector for ``kind`` (a look-alike test means nothing
    when nothing looks)."""
    return any(kind in d.types and type(d).__name__ != "TermListDetector" for d in DETECTORS)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Dear Ms. Okafor, thanks.", ["Okafor"]),
        ("Hi Oluwaseun, the refund is on its way.", ["Oluwaseun"]),  # in no list: the greeting
        ("Best regards,\nJEAN-LUC MARCHAND", ["JEAN-LUC MARCHAND"]),
        ("Sehr geehrte Frau Müller-Lüdenscheidt,", ["Müller-Lüdenscheidt"]),
        ("Cordialement,\nZoë Lefèvre", ["Zoë Lefèvre"]),
        ("From: Priya Raman <p.raman@example.org>", ["Priya Raman"]),
        ("Customer name: jane doe", ["jane doe"]),
        ("Kunde: Doe, Jane", ["Doe, Jane"]),
        ("Thanks, Will!", ["Will"]),  # a word-name with a cue
        ("I spoke with Bill Hughes today.", ["Bill Hughes"]),
        ("Yesterday Priya Raman approved it.", ["Priya Raman"]),  # the gazetteer alone
        ("see linkedin.com/in/praman-42 or x.com/praman", ["linkedin.com/in/praman-42",
                                                           "x.com/praman"]),
        # A word-name before a surname that is no word; listed next to a found name.
        ("Owner: Rose Iwasaki", ["Rose Iwasaki"]),
        ("Attendees: Lorcan Doyle, Aiyana Begay and Rose Calloway.",
         ["Lorcan Doyle", "Aiyana Begay", "Rose Calloway"]),
        ("my colleague Hildegard has the same problem", ["Hildegard"]),
        ("Refunded.\n-- Tasha", ["Tasha"]),
        ('"Harold, you forgot the report again."', ["Harold"]),
        ("Gideon confirmed the order.", ["Gideon"]),
        ("pls ping Anastasia about it", ["Anastasia"]),
        ("See attached.\nHiroshi", ["Hiroshi"]),
        # A surname the census lacks after a listed given name that is no word.
        ("then Priyanka Wrzesniewski joined the call", ["Priyanka Wrzesniewski"]),
        ("a reply for Ottavio while he is out", ["Ottavio"]),  # after "for", a given name
        ('{"watchers": ["Freya Lindqvist", "Olamide Bakare"]}',
         ["Freya Lindqvist", "Olamide Bakare"]),
        ('{"name": {"first": "Leontine", "last": "Okafor"}}', ["Leontine", "Okafor"]),
        ("Yasmina Ben Ali a appelé.", ["Yasmina Ben Ali"]),  # further listed surnames
        ("Mr Paul Smith called.", ["Paul Smith"]),  # a cue makes a brand's name a person
        # A line break after "Okafor," is no list joined by "and": no list of firms.
        ("Dear Ms. Okafor,\nPriya Raman (DOB 07/03/1984) moved.", ["Okafor", "Priya Raman"]),
    ],
)  # fmt: skip
def test_names_with_evidence(text, names):
    assert found(text, "PERSON") == names


@pytest.mark.parametrize(
    "text",
    [
        "Will the Summer Sale start in May?",
        "Mark Bill as paid and Hope for the best.",  # words, no cue
        "Hi team, Hello World, Dear Customer,",
        "Thanks, looks good. Best practices are in the wiki.",
        "Morgan Stanley and Johnson Controls reported on Monday.",
        "Product name: Falcon CRM\nCompany name: Acme Corp",
        "Paris, Berlin and Lyon; the Jordan River tour.",
        "Senior Account Manager, Head of Sales",
        "github.com/python/cpython and github.com/features",
        "From: Berlin To: Paris",
        "Rose Gold and Summer Sale",  # the surname is also a word: a colour, a sale
        "Regards,\nCustomer Care",  # a role's cue and a surname alone
        "Assignee: unassigned\nReporter: automation",
        "Austin, we have a problem; Florence, Milan and Rome.",
        "Escalated to Engineering; my manager approved it.",
        "Walt Disney World opens at 9.",
        "Deploy to:\nAustin",  # a place that is also a given name, on a line of its own
        "Dallas, you are next on the rollout.",
        "Mercedes confirmed the recall.",
        # Firms named after people: a known eponym, an "&", what they sell, a list of firms.
        "Paul Smith and Ted Baker opened new shops.",
        "Johnson & Johnson and Procter & Gamble sponsor it.",
        "Sherwin Williams paint is in aisle 4.",
        "Charles Schwab, Fidelity and Vanguard hold the funds.",
        "Martin Luther King Jr. Day is a holiday.",
        "Alexa Skills and Priyanka Dashboard",  # a word after a given name
        "work with Florence and Hope on it",  # after "with": a place, a word-name
        "name,price\nRose Gold Case,19\nAtlas Pro,49",  # a "name" column of products
        '{"first": "Yes", "last": "Success"}',
    ],
)
def test_look_alikes_are_not_names(text):
    assert looks_for("PERSON")
    assert found(text, "PERSON") == []


def test_email_local_part_links_the_name():
    text = "jane.okafor@example.org wrote; Okafor will call, and Jane too."
    assert found(text, "PERSON") == ["Okafor", "Jane"]


def test_a_name_found_once_is_redacted_part_by_part_in_the_conversation():
    redactor, vault = Redactor.from_types(BUILTIN_TYPES), Vault()
    first = redactor.redact("The account holder Priya Raman called. Raman was upset.", vault)
    assert "Priya" not in first.text
    assert "Raman" not in first.text
    later = redactor.redact("Thanks, that was Priya again.", vault)  # no cue, no surname
    assert "Priya" not in later.text
    assert vault.restore(later.text) == "Thanks, that was Priya again."


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Ship to 742 Evergreen Terrace, Springfield, OR 97403 today",
         "742 Evergreen Terrace, Springfield, OR 97403"),
        ("55 W 46th St, New York, NY 10036", "55 W 46th St, New York, NY 10036"),
        ("221B Baker Street, London NW1 6XE", "221B Baker Street, London NW1 6XE"),
        ("wohnt in der Berliner Str. 5a, 80331 München", "Berliner Str. 5a, 80331 München"),
        ("Lindenstraße 14, 50674 Köln", "Lindenstraße 14, 50674 Köln"),
        ("au 12 bis rue des Lilas, 69003 Lyon.", "12 bis rue des Lilas, 69003 Lyon"),
        ("Anschrift: Postweg 3-5, Haus B", "Postweg 3-5, Haus B"),
    ],
)  # fmt: skip
def test_addresses(text, address):
    assert found(text, "STREET_ADDRESS") == [address]


@pytest.mark.parametrize(
    "text",
    ["Use port 8080 and 3 workers.", "Add 3 Ways to Save", "Paris 2024", "Room 204, Building 7"],
)
def test_no_address_without_a_street(text):
    assert looks_for("STREET_ADDRESS")
    assert found(text, "STREET_ADDRESS") == []


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("DOB: 1984-03-07", "1984-03-07"),
        ("born on March 7, 1984", "March 7, 1984"),
        ("Date of birth 07/03/1984", "07/03/1984"),
        ("geboren am 7. März 1984", "7. März 1984"),
        ("Geburtsdatum: 07.03.84", "07.03.84"),
        ("née le 1er mars 1984", "1er mars 1984"),
        ('{"dateOfBirth": "3rd of May 1991"}', "3rd of May 1991"),
        ('{"dob": "19840307", "created": "20240105"}', "19840307"),
        ("Geburtsdatum\n14.06.1990\nEintrittsdatum\n01.09.2015", "14.06.1990"),
    ],
)
def test_dates_of_birth(text, date):
    assert found(text, "DATE_OF_BIRTH") == [date]


@pytest.mark.parametrize(
    "text",
    [
        "Released 2024-03-07, invoice 07/03/2024, meeting on March 7, 2024.",
        "record born 2024-05-01T10:00:00Z",  # a timestamp after a cue
        "Adobe 2024-01-01",
        "The project was born in 2015.",
        "Born in the 90s.\n2024-01-05 release",  # a label above needs its value right below
    ],
)
def test_dates_that_are_not_births(text):
    assert looks_for("DATE_OF_BIRTH")
    assert found(text, "DATE_OF_BIRTH") == []


def test_the_gazetteer_is_read_on_the_first_scan_not_at_import():
    code = (
        "import sys, privllm\n"
        "from privllm.redaction.scanner import BUILTIN_TYPES, default_detectors, scan\n"
        "detectors = default_detectors(BUILTIN_TYPES)\n"
        "loaded = lambda: 'privllm.redaction.gazetteer' in sys.modules and"
        " sys.modules['privllm.redaction.gazetteer'].gazetteer.cache_info().currsize\n"
        "print(bool(loaded()), [f.type for f in scan('Priya Raman wrote.', detectors)],"
        " bool(loaded()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False ['PERSON'] True"

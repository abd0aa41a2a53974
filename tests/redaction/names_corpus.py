"""A hand-written, labelled corpus for PERSON, STREET_ADDRESS and DATE_OF_BIRTH, and PII-free
look-alikes, in English, German and French.

Every name, address and date here was written by hand for this file (people of many origins,
made up), not drawn from the gazetteer's sources (US Census, Tzioumis, nam_dict) nor from
a fake-data generator: a corpus drawn from the detector's own lists would prove nothing. Some
names are in no list at all (Oluwaseun Adeyemi, Aylin Y\u0131ld\u0131z), so only a cue or a
structure can find them; some are also words (Rose, Hope, Bill, Mark, Will, Summer).

Markup: ``[[P:Jane Doe]]`` is a PERSON label, ``[[A:...]]`` a STREET_ADDRESS, ``[[D:...]]``
a DATE_OF_BIRTH. Look-alikes carry no label: any finding in one is a false positive.

No pytest here: ``benchmarks/redaction_names.py`` loads this file too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

KINDS = {"P": "PERSON", "A": "STREET_ADDRESS", "D": "DATE_OF_BIRTH"}
TYPES = tuple(KINDS.values())
_MARK = re.compile(r"\[\[([PAD]):(.+?)\]\]")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str


@dataclass(frozen=True)
class Example:
    text: str
    spans: tuple[Span, ...]
    lang: str
    kind: str  # what makes it hard: "cue", "structure", "prose", "lookalike", ...


def parse(marked: str, lang: str, kind: str) -> Example:
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    length = 0
    for m in _MARK.finditer(marked):
        out.append(marked[pos : m.start()])
        length += m.start() - pos
        value = m.group(2)
        spans.append(Span(length, length + len(value), KINDS[m.group(1)]))
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(marked[pos:])
    return Example("".join(out), tuple(spans), lang, kind)


# -- names, written by hand ---------------------------------------------------------------------

EN_NAMES = [
    "Priya Raman", "Oluwaseun Adeyemi", "Siobhan O'Connell", "Marcus Whitfield",
    "Hannah Kowalski", "Diego Fernández", "Mei-Ling Chou", "Aaliyah Brooks", "Kwame Mensah",
    "Ingrid Solberg", "Rafael Quintero", "Yuki Tanaka", "Chidi Okonkwo", "Dmitri Volkov",
    "Tamsin Pryce", "Declan Moriarty", "Lakshmi Subramanian", "Grant Abernathy",
    "Bill Hughes", "Rose Thornton", "Hope Delaney", "Mark Ellison", "Will Fairbanks",
    "Summer Reyes", "Zoë Hartley", "Nkechi Eze", "Trevor McAllister", "Esperanza Villalobos",
]  # fmt: skip
DE_NAMES = [
    "Jürgen Müller-Lüdenscheidt", "Sabine Köhler", "Klaus-Dieter Brandt", "Aylin Y\u0131ld\u0131z",
    "Friederike von Stetten", "Mehmet Demir", "Heike Schwarzkopf", "Lukas Brenner",
    "Annika Schäfer", "Gerd Wohlleben", "Magdalena Wiśniewska", "Torsten Engelhardt",
    "Ulrike Hagedorn", "Yannick Bauer",
]  # fmt: skip
FR_NAMES = [
    "Jean-Luc Marchand", "Éloïse Fontaine", "Thibault Lefèvre", "Amandine Rousseau",
    "Karim Belkacem", "Maëlle Guérin", "François-Xavier Dupuis", "Nathalie Chevalier",
    "Mamadou Diallo", "Ségolène Arnaud", "Gaëtan Perrin", "Inès Haddad", "Clémence Morel",
]  # fmt: skip

EN_PERSON = [
    ("cue", "Hi [[P:{first}]], thanks for getting back to me about the refund."),
    ("cue", "Dear [[P:{name}]],\nyour contract renewal is attached."),
    ("cue", "Dear Ms. [[P:{last}]], we received your complaint on Tuesday."),
    ("cue", "I spoke with [[P:{name}]] yesterday and she confirmed the new plan."),
    ("cue", "My name is [[P:{name}]] and I cannot log in to the portal."),
    ("cue", "The account holder [[P:{name}]] asked us to close the account."),
    ("cue", "Kind regards,\n[[P:{name}]]\nCustomer Success"),
    ("cue", "Thanks, [[P:{first}]]!"),
    ("cue", "Please forward this to Dr [[P:{name}]] before the review."),
    ("cue", "Mr. [[P:{last}]] called twice about the delayed shipment."),
    ("structure", "From: [[P:{name}]] <{mail}@example.com>\nSubject: invoice question"),
    ("structure", "Customer name: [[P:{name}]]\nPlan: Business\nSeats: 14"),
    ("structure", '{{"ticket": 4411, "customer": "[[P:{name}]]", "priority": "high"}}'),
    ("structure", "id,full_name,plan\n1201,[[P:{name}]],pro\n1202,[[P:{name2}]],team"),
    ("linkage", "Contact {mail}@acme-mail.com — [[P:{name}]] handles the migration."),
    ("prose", "Yesterday [[P:{name}]] approved the budget for the Lisbon office."),
    ("prose", "The escalation went to [[P:{name}]], who owns the billing queue."),
    ("allcaps", "PASSENGER: [[P:{upper}]]\nSEAT 14C"),
]  # fmt: skip
DE_PERSON = [
    ("cue", "Hallo [[P:{first}]], danke für die schnelle Antwort."),
    ("cue", "Sehr geehrte Frau [[P:{last}]],\nanbei die Rechnung für März."),
    ("cue", "Sehr geehrter Herr [[P:{last}]], Ihr Antrag ist eingegangen."),
    ("cue", "Mit freundlichen Grüßen\n[[P:{name}]]"),
    ("cue", "Ich hatte ein Telefonat mit [[P:{name}]] wegen der Kündigung."),
    ("cue", "Mein Name ist [[P:{name}]] und ich habe eine Frage zum Vertrag."),
    ("structure", "Vorname: [[P:{first}]]\nNachname: [[P:{last}]]\nTarif: Basis"),
    ("structure", "Kundennr;Kunde;Ort\n5521;[[P:{name}]];Köln\n5522;[[P:{name2}]];Bremen"),
    ("structure", '{{"kontoinhaber": "[[P:{name}]]", "status": "aktiv"}}'),
    ("prose", "Gestern hat [[P:{name}]] die Freigabe erteilt."),
]  # fmt: skip
FR_PERSON = [
    ("cue", "Bonjour [[P:{first}]], merci pour votre retour rapide."),
    ("cue", "Madame [[P:{last}]], votre dossier est complet."),
    ("cue", "Cordialement,\n[[P:{name}]]"),
    ("cue", "J'ai parlé avec [[P:{name}]] ce matin au sujet du devis."),
    ("cue", "Je m'appelle [[P:{name}]] et je souhaite résilier mon abonnement."),
    ("cue", "Le titulaire du compte [[P:{name}]] demande un remboursement."),
    ("structure", "Nom : [[P:{last}]]\nPrénom : [[P:{first}]]\nVille : Lyon"),
    ("structure", "client;offre\n[[P:{name}]];premium\n[[P:{name2}]];standard"),
    ("prose", "Hier, [[P:{name}]] a validé la commande pour l'agence de Nantes."),
    ("allcaps", "TITULAIRE : [[P:{upper}]]\nCARTE N° 4 ****"),
    ("allcaps", "Cordialement,\n[[P:JEAN-LUC MARCHAND]]\nDIRECTION COMMERCIALE"),
]  # fmt: skip

# -- addresses, written by hand -----------------------------------------------------------------

ADDRESSES = {
    "en": [
        "742 Evergreen Terrace, Springfield, OR 97403", "1180 Juniper Hollow Rd",
        "55 W 46th St, New York, NY 10036", "3107 Larkspur Lane Apt 4B",
        "18 Sycamore Court, Bend, OR 97701", "9 Harbour View Road, Plymouth PL4 8AA",
        "221B Baker Street, London NW1 6XE", "14 Primrose Close, Leeds LS6 2QT",
        "4 Cathedral Mews, York YO1 7HH", "2250 N Mockingbird Blvd Suite 300",
    ],
    "de": [
        "Lindenstraße 14, 50674 Köln", "Am Kirchberg 3, 01067 Dresden", "Hauptstr. 27a",
        "Gartenweg 9, 79098 Freiburg im Breisgau", "Berliner Allee 112, 40212 Düsseldorf",
        "Schillerplatz 4", "Mühlenring 18, 26122 Oldenburg",
    ],
    "fr": [
        "12 bis rue des Lilas, 69003 Lyon", "8 avenue Jean Jaurès, 31000 Toulouse",
        "27 boulevard de la Liberté, 59800 Lille", "3 impasse du Moulin, 44000 Nantes",
        "140 rue de Rivoli, 75001 Paris", "5 place Bellecour",
        "19 chemin des Vignes, 13090 Aix-en-Provence",
    ],
}  # fmt: skip
ADDRESS_FRAMES = {
    "en": [
        ("cue", "Please ship the replacement to [[A:{a}]] by Friday."),
        ("structure", "Shipping address: [[A:{a}]]\nPhone on file."),
        ("prose", "The tenant moved out of [[A:{a}]] last spring."),
        ("structure", "name,address,plan\n[[P:Odile Ferrand]],\"[[A:{a}]]\",pro"),
    ],
    "de": [
        ("cue", "Bitte senden Sie die Unterlagen an [[A:{a}]]."),
        ("structure", "Anschrift: [[A:{a}]]\nTarif: Basis"),
        ("prose", "Die Wohnung in der [[A:{a}]] ist ab Juni frei."),
    ],
    "fr": [
        ("cue", "Merci d'envoyer le colis au [[A:{a}]] avant lundi."),
        ("structure", "Adresse : [[A:{a}]]\nOffre : premium"),
        ("prose", "Le client habite [[A:{a}]] depuis 2019."),
    ],
}  # fmt: skip

# -- dates of birth, written by hand, beside dates that are not ---------------------------------

BIRTHS = {
    "en": [
        ("cue", "Patient DOB: [[D:1984-03-07]], admitted 2024-05-02 09:14."),
        ("cue", "She was born on [[D:March 7, 1984]] and joined us in June 2015."),
        ("cue", "Date of birth: [[D:07/03/1984]] (invoice dated 12/01/2024)"),
        ("cue", "born [[D:12 August 1979]]; policy start 2021-01-01T00:00:00Z"),
        ("cue", "D.O.B. [[D:3rd of May 1991]], last login 2024-06-11 14:02"),
        ("structure", "name,dob,plan\n[[P:Kofi Tetteh]],[[D:1990-11-23]],pro"),
        ("structure", '{{"member_id": 88, "date_of_birth": "[[D:1975-02-14]]"}}'),
        ("structure", "birth_date=[[D:21.06.1988]] created=2023-07-01"),
        ("cue", "Birthday: [[D:Jan 5, 2001]]. Renewal due Jan 5, 2025."),
        ("cue", "DOB [[D:07.03.84]] / order 07.03.2024"),
    ],
    "de": [
        ("cue", "geboren am [[D:7. März 1984]] in Hannover, Vertrag vom 1. April 2020"),
        ("cue", "Geburtsdatum: [[D:07.03.1984]], Eingang 12.05.2024 10:31"),
        ("cue", "geb. [[D:14.02.1975]]; Kunde seit 01.01.2010"),
        ("structure", "Name;Geburtsdatum;Tarif\n[[P:Anke Bode]];[[D:03.11.1969]];Basis"),
    ],
    "fr": [
        ("cue", "née le [[D:1er mars 1984]] à Lyon, contrat signé le 3 avril 2021"),
        ("cue", "Date de naissance : [[D:07/03/1984]] ; rendez-vous le 12/06/2024"),
        ("cue", "né le [[D:21 juin 1988]], inscrit depuis 2015"),
        ("structure", "nom;date_naissance\n[[P:Berthier]];[[D:1992-09-30]]"),
    ],
}  # fmt: skip

# -- look-alikes: no personal value at all ------------------------------------------------------

LOOKALIKES_FIXED = [
    "Microsoft Teams crashed again after the May update.",
    "We moved the Summer Sale to the first week of August.",
    "Will the Apple Watch sync with Google Fit?",
    "Mark the ticket as resolved and bill the customer on Monday.",
    "Hope this helps! Let me know if the export still fails.",
    "Rose Gold is our best-selling iPhone case colour.",
    "The Jordan River tour leaves at 08:30.",
    "Morgan Stanley and Goldman Sachs both reported on Tuesday.",
    "Johnson Controls acquired the HVAC unit in 2019.",
    "Wells Fargo changed the wire cut-off time.",
    "Ford Motor recalled 12,000 vehicles in March.",
    "Paris, Berlin and Madrid are the pilot cities.",
    "The Senior Account Manager and the Head of Sales will join.",
    "Our Chief Technology Officer approved the roadmap.",
    "Release 4.2.1 shipped on 2024-03-07 at 14:22 UTC.",
    "Invoice date: 07/03/2024, due 21/03/2024.",
    "The log shows 2024-05-01T10:00:00Z followed by 2024-05-01T10:00:03Z.",
    "Meeting moved to Thursday, 7 March 2024 at 3 pm.",
    "Sprint 42 ends on Friday; retro on Monday.",
    "Customer Service hours: Monday to Friday, 9 to 5.",
    "Hi team, the build is green again.",
    "Hello World is the first program most people write.",
    "Dear Customer, your order has shipped.",
    "Thanks, looks good to me.",
    "Best practices for Python packaging are in the wiki.",
    "Regards to everyone at the Berlin office.",
    "Amazon Web Services and Google Cloud both offer this.",
    "The Grand Canyon Railway runs daily.",
    "Visit San Jose, Santa Clara and Palo Alto on the same day.",
    "New York Times and Wall Street Journal covered it.",
    "Victoria Station is closed for maintenance.",
    "Lincoln Center hosts the gala in June.",
    "Harley Davidson sales grew 4% in Q2.",
    "The Marie Curie fellowship deadline is in April.",
    "We use Jira, Confluence and Bitbucket from Atlassian.",
    "The Tesla Model 3 and the Ford Mustang Mach-E.",
    "Hallo zusammen, der Build läuft wieder.",
    "Sehr geehrte Damen und Herren, anbei das Angebot.",
    "Mit freundlichen Grüßen\nIhr Support-Team",
    "Der Termin am Montag, 4. März 2024 um 10 Uhr entfällt.",
    "Die Rechnung vom 01.03.2024 ist fällig am 15.03.2024.",
    "Bonjour à tous, la mise à jour est disponible.",
    "Cordialement,\nL'équipe support",
    "La réunion du mardi 5 mars 2024 est reportée.",
    "Facture du 07/03/2024, échéance le 21/03/2024.",
    "Version 3.11 was born out of the performance work in 2021.",
    "The project was born in 2015 at a hackathon.",
    "Created: 2024-05-01 10:00, Updated: 2024-05-02 11:30",
    "Order #55821 ships from warehouse 3 on 2024-06-01.",
    "Section 12 Park Avenue style guide",
    "Add 3 Ways to Save to the newsletter.",
    "Step 5 Configure the proxy.",
    "Use port 8080 and 3 workers.",
    "Room 204 is booked for the workshop.",
    "Flight LH 1234 departs Frankfurt 07:35.",
    "github.com/python/cpython has the source.",
    "See https://github.com/features/actions for the docs.",
    "Read linkedin.com/company/acme for updates.",
    "The Sales Director, Regional Manager and CFO signed off.",
    "Grace period ends on June 30.",
    "Chase Bank and Capital One are supported.",
    "Austin, Dallas and Houston are in the Texas region.",
    "April showers bring May flowers.",
    "Apple, Oracle and Salesforce were on the shortlist.",
    "Summer Olympics, Winter Olympics and the World Cup.",
    "Frank feedback from the pilot was positive.",
    "Bill of materials updated for rev C.",
    "Will we hit the deadline? Maybe.",
    "Joy Division and New Order played that night.",
    "Christian values and Islamic art were the topics.",
    "Max retries is 5; min backoff 200 ms.",
]  # fmt: skip
_PRODUCTS = [
    "Acme Cloud", "Nimbus Drive", "Orion Analytics", "Falcon CRM", "Atlas Gateway",
    "Beacon Monitor", "Quartz Ledger", "Helix Search", "Polaris Edge", "Zephyr Mail",
]  # fmt: skip
_CITIES = [
    "Denver", "Hamburg", "Lyon", "Toronto", "Osaka", "Nairobi", "Porto", "Leipzig", "Austin",
    "Florence",
]  # fmt: skip
_ROLES = [
    "Account Executive", "Data Engineer", "Product Owner", "Support Lead", "Head of Finance",
    "Solutions Architect", "Office Manager", "Legal Counsel",
]  # fmt: skip
_FRAMES_LOOKALIKE = [
    "{p} v{n}.2 was released on 2024-0{m}-1{n} 09:{n}5 in {c}.",
    "Our {r} in {c} renewed the {p} licence for {n}0 seats.",
    "The {p} outage on Monday, {n} May 2024 affected {c} customers.",
    "Ticket {n}{m}41: {p} export times out after {n}0 s ({c} region).",
    "Hi team, {p} is down in {c} again. Regards, the {r}",
    "Invoice {n}{m}7 for {p}, issued 0{m}/0{n}/2024, due in 30 days.",
]  # fmt: skip


def lookalikes() -> list[Example]:
    out = [parse(t, "en", "lookalike") for t in LOOKALIKES_FIXED]
    k = 0
    for i, frame in enumerate(_FRAMES_LOOKALIKE):
        for j in range(28):
            p = _PRODUCTS[(i + j) % len(_PRODUCTS)]
            c = _CITIES[(i * 3 + j) % len(_CITIES)]
            r = _ROLES[(i + j * 5) % len(_ROLES)]
            out.append(parse(frame.format(p=p, c=c, r=r, n=1 + j % 8, m=1 + (i + j) % 8), "en",
                             "lookalike"))  # fmt: skip
            k += 1
    return out


def _fill(frame: str, names: list[str], i: int) -> str:
    name = names[i % len(names)]
    name2 = names[(i + 5) % len(names)]
    first, last = name.split(" ", 1)
    if last.startswith("von "):
        last = last[4:]
    mail = f"{_ascii(first)}.{_ascii(last.split()[-1])}".lower()
    return frame.format(
        name=name, name2=name2, first=first, last=last, mail=mail, upper=name.upper()
    )


def _ascii(word: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", word) if c.isascii())


def examples() -> list[Example]:
    """Every labelled example and look-alike, in a fixed order."""
    out: list[Example] = []
    for lang, names, frames in (
        ("en", EN_NAMES, EN_PERSON),
        ("de", DE_NAMES, DE_PERSON),
        ("fr", FR_NAMES, FR_PERSON),
    ):
        for i, (kind, frame) in enumerate(frames):
            for j in range(3):
                out.append(parse(_fill(frame, names, i * 3 + j), lang, kind))
    for lang, addresses in ADDRESSES.items():
        for i, (kind, frame) in enumerate(ADDRESS_FRAMES[lang]):
            for j, a in enumerate(addresses):
                if (i + j) % 2 == 0 or kind == "structure":
                    out.append(parse(frame.format(a=a), lang, kind))
    for lang, births in BIRTHS.items():
        for kind, text in births:
            out.append(parse(text.format(), lang, kind))
    return out + lookalikes()


@dataclass
class Tally:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    found: int = 0
    missed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return (self.found - self.fp) / self.found if self.found else 1.0


def evaluate(
    items: list[Example], detect: Callable[[str], list[tuple[int, int, str]]]
) -> dict[tuple[str, str], Tally]:
    """Tallies per (type, language). A label counts only when one finding of its type covers
    it whole; a finding counts as right when it overlaps a label of its type."""
    tallies: dict[tuple[str, str], Tally] = {}
    for ex in items:
        findings = [f for f in detect(ex.text) if f[2] in TYPES]
        for span in ex.spans:
            t = tallies.setdefault((span.type, ex.lang), Tally())
            if any(k == span.type and s <= span.start and e >= span.end for s, e, k in findings):
                t.tp += 1
            else:
                t.fn += 1
                t.missed.append(ex.text[span.start : span.end])
        for s, e, k in findings:
            t = tallies.setdefault((k, ex.lang), Tally())
            t.found += 1
            if not any(sp.type == k and s < sp.end and sp.start < e for sp in ex.spans):
                t.fp += 1
    return tallies


def table(tallies: dict[tuple[str, str], Tally]) -> str:
    rows = [f"{'type':<16}{'lang':<6}{'labels':>8}{'recall':>9}{'findings':>10}{'precision':>11}"]
    for (kind, lang), t in sorted(tallies.items()):
        rows.append(
            f"{kind:<16}{lang:<6}{t.tp + t.fn:>8}{t.recall:>9.3f}{t.found:>10}{t.precision:>11.3f}"
        )
    return "\n".join(rows)

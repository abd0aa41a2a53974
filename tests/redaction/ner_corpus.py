"""A held-out, labelled corpus for named-entity recall: realistic English text of the kinds
users send (support tickets, e-mails, chat prompts, meeting notes, CRM notes), written for
this measure and never used to tune a detector (the model-free detectors are tuned on
``names_corpus.py``; keep the two apart).

Markup: ``[[...]]`` a person's name, ``<<...>>`` an organisation, ``{{...}}`` a place. What is
not marked is not personal: many texts hold look-alikes on purpose (a verb "will", "mark",
"bill", "hope"; a month; a product; "rose" as a verb), which count against precision.

Hard on purpose: names in prose with no cue, names that are also words (Rose, Hope, Bill,
Mark, Will, Summer, Grace, Dawn, Hunter), hyphenated, accented and all-caps names,
lower-case names in chat, and names from many locales written in English text.
"""

from __future__ import annotations

import re

__all__ = ["DOCS", "Labelled", "parse"]

_MARK = re.compile(r"\[\[(.+?)\]\]|<<(.+?)>>|\{\{(.+?)\}\}")
_KINDS = ("PERSON", "ORGANIZATION", "LOCATION")

Labelled = tuple[str, list[tuple[int, int, str]]]

RAW = [
    # support tickets
    "Order 4471 arrived damaged. [[Rose Whitfield]] opened the box in front of the courier and "
    "took photos; the driver, [[Tomasz Wiśniewski]], signed the note. Please advise.",
    "Escalating: the customer says [[Bill Ashworth]] promised a refund on the phone last week. "
    "Can you bill the replacement to the original card instead? It rose to 3 calls already.",
    "I hope this helps. [[Hope Castellanos]] from billing confirmed the duplicate charge, and "
    "[[Mark O'Donnell]] will mark the invoice as void once finance signs off.",
    "Will you check with [[Will Hartley]] whether the summer pricing applies? The Summer Sale "
    "banner still shows on the checkout page.",
    "[[Summer Nguyen]] reports the app crashes on login since the May update. Device: Pixel 7, "
    "Android 14. She tried reinstalling twice.",
    "Customer [[JEAN-LUC MARCHETTI]] wrote in all caps again: ACCOUNT LOCKED AFTER PASSWORD "
    "RESET, PLEASE HELP. Account was created in {{Lyon}}.",
    "[[Zoë Müller-Lüdenscheidt]] cannot download her statements; the PDF link times out. "
    "Browser is Firefox 128 on Windows.",
    "The parcel for [[Siobhán Ní Bhraonáin]] went to the depot in {{Galway}} instead of the "
    "pickup point. Tracking says delivered.",
    "Ticket reopened by [[Oluwaseun Adebayo-Williams]]: the export still drops the last column "
    "when the file has more than 10,000 rows.",
    "Refund approved. [[Grace Liu]] processed it on Tuesday; expect 5-7 business days.",
    # e-mails
    "Thanks for the quick turnaround on this. [[Dawn Peterson]] and I went through the draft "
    "and only have two comments on section 4. Talk soon, [[Hunter Blake]]",
    "Following up on our call: [[Rajesh Venkataraman]] will send the signed NDA by Friday, and "
    "[[Mei-Ling Chen]] is handling the data processing addendum on our side.",
    "Apologies for the delay. [[Francesca Bellini]] was out sick, so [[Álvaro Domínguez]] "
    "picked up the review. We expect feedback early next week.",
    "Quick intro: [[Nadia Haddad]] leads procurement at <<Northwind Traders>> and asked to be "
    "looped in on the renewal. [[Kwame Mensah]] can walk her through the usage report.",
    "The auditors from <<Baker Tilly>> arrive Monday. [[Ingrid Johansson]] has the room booked; "
    "[[Pieter van der Berg]] will bring the access logs.",
    "Per [[Sean McAllister]], the board meets on the 14th in {{Edinburgh}}, not {{Glasgow}}.",
    "Could you forward this to [[Anh Tran]]? She owns the vendor relationship with "
    "<<Globex>> now that [[Carlos Mendoza]] has moved to the {{Madrid}} office.",
    "We received the cheque from Dr. [[Amara Okonkwo]] yesterday; accounting will deposit it "
    "today.",
    # chat prompts
    "summarise this thread for me: [[priya]] says the migration failed twice and [[Daniel Kim]] "
    "thinks it's the index, but nobody checked the logs",
    "Write a polite reply to [[Fatima Al-Sayed]] explaining that her warranty expired in March "
    "and offering a 20% discount on the repair.",
    "Draft a performance review for [[Marcus Johnson]]: strong on delivery, needs to delegate "
    "more, great mentor to [[Lena Fischer]] and [[Yusuf Demir]].",
    "Translate to German: '[[Chloé Lefebvre]] will present the roadmap at 10am.'",
    "Can you make this sound friendlier? '[[Bob]], the numbers you sent are wrong again.'",
    "Rewrite the intro of my speech for [[Olivia Bennett]]'s retirement party, she spent 31 "
    "years at <<Harlow & Finch>>.",
    "make a table of who owns what: [[Sakura Tanaka]] frontend, [[Arjun Mehta]] backend, "
    "[[Emily Rhodes]] QA",
    "Which of these candidates fits the role best? [[Wei Zhang]] (8 yrs Java), [[Ana Costa]] "
    "(5 yrs Go), [[Piotr Kowalczyk]] (10 yrs C++).",
    # meeting notes and CRM notes
    "Attendees: [[Laura Schmidt]], [[Tom Becker]], [[Aisha Bello]]. Decision: postpone the "
    "launch to Q3. Action items: [[Tom]] to update the plan, [[Aisha]] to brief support.",
    "Notes from the {{Chicago}} site visit: [[Mike Sullivan]] showed us the new line; output "
    "rose 12% since March. Next visit in June.",
    "Call with Mrs. [[Eleanor Vance]] re: policy renewal. She wants the premium split into "
    "monthly payments. Follow up Thursday.",
    "Lead came in via the webinar. [[Hiroshi Yamamoto]], CTO at <<Kaito Robotics>>, interested "
    "in the enterprise tier; budget approved for next fiscal year.",
    "Spoke to [[Claire Dubois-Martin]] about the delayed shipment; she accepted store credit.",
    "[[Ivan Petrov]] and [[Olga Smirnova]] asked for a demo of the reporting module.",
    "Customer since 2019. Primary contact [[Matteo Russo]]; backup [[Giulia Romano]].",
    "[[Kofi Boateng]] mentioned that [[Abena]] from their finance team will approve the PO.",
    "Interview feedback: [[Rose]] was the strongest candidate; [[Will]] lacked depth on systems "
    "design.",
    "[[Ewa Zielińska]] joined as head of data. Please give her access to the warehouse.",
    "Reminder that [[Connor Walsh]] is on leave until the 3rd; route his tickets to "
    "[[Bridget Doyle]].",
    # look-alike heavy (few or no names)
    "Will the new build fix the sync issue? Mark it as urgent and bill the hours to the "
    "support contract. I hope we can close it by Summer.",
    "The Rose Garden suite is booked for the offsite. Grace period for payments is 14 days.",
    "Sales rose in May and June; the Dawn patrol release shipped on time.",
    "Please mark all duplicate tickets as resolved and will them to the archive queue.",
    "Our March invoice was billed twice; we hope the credit note arrives before April.",
    "Reset the password, then sign in again with Chrome or Safari.",
    "The Hunter boots order shipped from the warehouse on Monday.",
]


def parse(marked: str) -> Labelled:
    """The plain text and its ``(start, end, type)`` labels."""
    out: list[str] = []
    labels: list[tuple[int, int, str]] = []
    pos = 0
    length = 0
    for m in _MARK.finditer(marked):
        out.append(marked[pos : m.start()])
        length += m.start() - pos
        kind = next(k for k, g in zip(_KINDS, m.groups(), strict=True) if g is not None)
        value = m.group(m.lastindex or 0)
        labels.append((length, length + len(value), kind))
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(marked[pos:])
    return "".join(out), labels


DOCS: list[Labelled] = [parse(doc) for doc in RAW]

# ruff: noqa: E501 - texts keep their own line lengths
"""The held-out corpus, second slice: measure only, never tune on it (see README.md).

Written in one sitting for issue 13's second round, after the detectors were tuned on the
development corpus and before this slice was ever run; never used to change a detector.
Same forms and markup as ``documents.py``: ``(lang, form, marked text)`` documents,
``(lang, text)`` look-alikes; ``[[P:...]]`` PERSON, ``[[A:...]]`` STREET_ADDRESS,
``[[D:...]]`` DATE_OF_BIRTH.
"""

from __future__ import annotations

# fmt: off
DOCUMENTS: list[tuple[str, str, str]] = [
    # -- support tickets, English -----------------------------------------------------------
    ("en", "ticket", """Ticket #10442 - Wrong size shipped
Requester: [[P:Imogen Fairweather]]

hi, I ordered the 42 and got a 38. My sister [[P:Delphine]] ordered the same boots and got hers fine.
could you swap them? the box is still sealed.
thanks
[[P:Imogen]]"""),
    ("en", "ticket", """Internal: [[P:Rashid Al-Khouri]] called again about the chargeback. He was polite but firm. I promised
a call from [[P:Wendell Okafor-Brooks]] before 5pm. DOB on the account: [[D:17/08/1983]]."""),
    ("en", "ticket", """Account locked after too many attempts. User says she is [[P:Priscilla Nakamura-Lowe]], born
[[D:May 2, 1990]]. Verified with the last four of the card. Unlocked, and told her to reset the password."""),
    ("en", "ticket", """Change of address for policy 77-31902:
from [[A:311 Juniper Hollow Rd, Asheville, NC 28803]]
to [[A:9 Larkspur Court, Bath BA2 4QT]]
Policyholder [[P:Cormac Ní Bhriain]] confirmed by phone."""),
    ("en", "ticket", """Escalating to tier 2. Customer [[P:Bethany Oduya]] has been charged for three seats but only uses one.
Her manager, [[P:Lionel Ashcroft]], approved the downgrade in writing (attached).
- [[P:Marisol]]"""),
    ("en", "ticket", """Callback note: spoke with [[P:Hamish Drummond]]. He wants the replacement sent to his office instead:
[[A:2200 Riverside Pkwy, Suite 400, Austin, TX 78741]]. Will ship Monday."""),
    ("en", "ticket", """Hello support,
my dad [[P:Augustin]] can't log in anymore, he is 81 and the SMS code never arrives. His date of birth is
[[D:3 January 1944]] if you need it. Could you send the code to my number instead?
Best,
[[P:Noor Haddad]]"""),

    # -- support tickets, German ------------------------------------------------------------
    ("de", "ticket", """Betreff: Rechnung doppelt

Guten Tag,
die Rechnung 2024-0711 wurde zweimal abgebucht. Kontoinhaber ist mein Mann, [[P:Florian Weißgerber]].
Bitte erstatten Sie einen Betrag zurück.
Mit freundlichen Grüßen
[[P:Annegret Weißgerber]]"""),
    ("de", "ticket", """Notiz: Herr [[P:Oberländer]] hat angerufen, er zieht um. Neue Anschrift: [[A:Ringstraße 88, 24103 Kiel]].
Geburtsdatum zur Prüfung genannt: [[D:12.12.1961]]. Rückruf durch [[P:Lena Sturm]] erledigt."""),
    ("de", "ticket", """Hallo [[P:Malte]],
kannst du dir bitte den Fall von Frau [[P:Cengiz-Wagner]] ansehen? Sie wartet seit zwei Wochen auf die Gutschrift.
Danke dir
[[P:Bettina]]"""),

    # -- support tickets, French ------------------------------------------------------------
    ("fr", "ticket", """Ticket 5518 - Remboursement
Bonjour,
Je m'appelle [[P:Solène Garnier-Duval]], j'ai retourné l'article le 4 mars et je n'ai toujours rien reçu.
Cordialement,
[[P:Solène Garnier-Duval]]"""),
    ("fr", "ticket", """Note interne : Mme [[P:Ouattara]], née le [[D:22/06/1975]], demande l'envoi des factures au
[[A:27 avenue Jean Jaurès, 69007 Lyon]]. Dossier transmis à [[P:Quentin Morvan]]."""),

    # -- CRM exports (CSV) ------------------------------------------------------------------
    ("en", "csv", """account_id,contact_name,phone_ext,segment
A-301,[[P:Gwendolyn Achebe]],204,enterprise
A-302,[[P:Tobias Lindgren]],311,smb
A-303,[[P:Rose Vantongeren]],118,smb"""),
    ("en", "csv", """first_name;last_name;dob;city
[[P:Ezra]];[[P:Kowalczyk]];[[D:1991-04-18]];Denver
[[P:Hope]];[[P:Marchetti]];[[D:1987-12-02]];Tampa
[[P:Dashiell]];[[P:Obuya]];[[D:2001-07-09]];Portland"""),
    ("en", "csv", """customer,street,zip,joined
[[P:Marguerite Haskins]],[[A:48 Old Mill Road]],06810,2021-03-04
[[P:Theo Vasquez-Lund]],[[A:1207 Sycamore Ave]],97205,2022-11-19"""),
    ("de", "csv", """Kundennummer;Vorname;Nachname;Geburtsdatum;Straße
K-17;[[P:Wiebke]];[[P:Hansen]];[[D:30.01.1979]];[[A:Lindenweg 12]]
K-18;[[P:Yusuf]];[[P:Kaplan]];[[D:08.08.1990]];[[A:Bahnhofstraße 3a]]"""),
    ("fr", "csv", """prénom,nom,date_naissance,ville
[[P:Maëlys]],[[P:Bonnefoy]],[[D:14/02/1998]],Nantes
[[P:Aurélien]],[[P:Traoré]],[[D:30/10/1985]],Toulouse"""),

    # -- JSON records -----------------------------------------------------------------------
    ("en", "json", """{"ticket": 8812, "requester": {"name": "[[P:Cassius Abernathy]]", "email_verified": true}, "priority": "high"}"""),
    ("en", "json", """{"patient_name": "[[P:Lucinda Fairbairn]]", "birth_date": "[[D:1956-09-27]]", "ward": "B2", "admitted": "2024-06-01T07:45:00Z"}"""),
    ("en", "json", """{"shipping_address": "[[A:640 Birchwood Lane, Madison, WI 53711]]", "recipient": "[[P:Felix Ostrowski]]", "items": 3}"""),
    ("de", "json", """{"kunde": "[[P:Henrike Voss]]", "anschrift": "[[A:Feldstraße 21, 20357 Hamburg]]", "tarif": "Komfort"}"""),
    ("fr", "json", """{"titulaire": "[[P:Baptiste Lemaire]]", "date_de_naissance": "[[D:1972-05-05]]", "agence": "Rennes Centre"}"""),

    # -- e-mails with headers and signatures ------------------------------------------------
    ("en", "email", """From: [[P:Oona Castellanos]] <oona.castellanos@harbourline.example>
To: billing@vendor.example
Subject: Invoice 2291 query

Hi,
Invoice 2291 lists 14 licences, we have 12. Could you check?

Thanks,
[[P:Oona]]"""),
    ("en", "email", """Hi [[P:Raffaele]],

Following up on my call with [[P:Jasmine Whitlock]] this morning: she's happy with the revised quote.
[[P:Jasmine]] will sign on Friday.

Kind regards,
[[P:Gregor Ivanov]]
Account Executive"""),
    ("de", "email", """Von: [[P:Konstantin Reuter]] <k.reuter@example.de>
Betreff: Termin

Liebe [[P:Frauke]],
passt dir Donnerstag um 10 Uhr? Ich bringe [[P:Ilse Brandauer]] mit.
Viele Grüße
[[P:Konstantin]]"""),
    ("fr", "email", """De : [[P:Margaux Lefort]] <margaux.lefort@example.fr>
Objet : Dossier 4471

Bonjour Monsieur [[P:Delacourt]],
Suite à notre échange, je vous confirme la résiliation.
Bien à vous,
[[P:Margaux Lefort]]"""),

    # -- chat prompts -----------------------------------------------------------------------
    ("en", "chat", """Write a friendly reminder to [[P:Tamsin]] that her timesheet is late, and cc [[P:Everett Bloom]]."""),
    ("en", "chat", """Summarise this: [[P:Ignacio]] reviewed the contract, [[P:Philippa Grant]] flagged two clauses, and [[P:Will]] agreed to redraft them."""),
    ("en", "chat", """Draft a birthday message for my colleague [[P:Soraya]], she was born on [[D:11 March 1992]]."""),
    ("en", "chat", """make a table of attendees: [[P:Lavinia Oke]], [[P:Bram Hollis]], [[P:Mark Ferreira]]"""),
    ("en", "chat", """translate to Spanish: "Dear Mr. [[P:Haverford]], your order has shipped.\""""),
    ("de", "chat", """Formuliere eine Absage an [[P:Jannik Hoffmeister]], höflich und kurz."""),
    ("fr", "chat", """Écris un message de bienvenue pour [[P:Clémentine Aubry]], qui rejoint l'équipe lundi."""),

    # -- forms ------------------------------------------------------------------------------
    ("en", "form", """Full name: [[P:ABIGAIL O'DONNELL-PRICE]]
Date of birth: [[D:09/30/1966]]
Home address: [[A:55 Chestnut Street, Providence, RI 02903]]"""),
    ("de", "form", """Name: [[P:Gerlinde Mayerhofer]]
geboren am: [[D:4. Juli 1950]]
Anschrift: [[A:Kirchplatz 2, 83022 Rosenheim]]"""),
    ("fr", "form", """Nom complet : [[P:Yannick Le Bihan]]
Né le : [[D:18 septembre 1981]]
Adresse : [[A:5 place des Lices, 35000 Rennes]]"""),
]

LOOKALIKES: list[tuple[str, str]] = [
    ("en", "The Chrysler Building and the Empire State Building light up blue tonight."),
    ("en", "Wendy's and Arby's both changed their fry suppliers."),
    ("en", "Ordered 3 Herman Miller chairs and a Steelcase desk for the new hires."),
    ("en", "Our Hilton Honors and Marriott Bonvoy points expire in December."),
    ("en", "Ticket closed 2024-08-14 09:30 by automation."),
    ("en", "Please review the Q3 numbers before Thursday's board call."),
    ("en", "Kind regards,\nThe Billing Team"),
    ("en", "Thanks, Finance"),
    ("en", "Hi all, the VPN is back up."),
    ("en", "Lincoln Park and Jackson Heights are the two pilot neighbourhoods."),
    ("en", "Grace period ends June 30; renewals after that pay full price."),
    ("en", "We switched from Jira to Linear in April."),
    ("en", "Pull the Kellogg and General Mills SKUs from the promo."),
    ("en", "The Tommy Hilfiger outlet in Orlando has the jackets."),
    ("en", "Mark all as read and archive the Summer 2023 folder."),
    ("en", "Dear Valued Customer, your statement is ready."),
    ("en", "Regards,\nIT Service Desk"),
    ("en", "-- Automated message, do not reply"),
    ("en", "Subject: Weekly digest\nFrom: Notifications\nTo: Everyone"),
    ("en", "Assigned to: Platform Team\nReporter: Nightly Build"),
    ("en", "id,name,price\n1,Aurora Lamp,39\n2,Everest Pack,120\n3,Sierra Mug,12"),
    ("en", '{"owner": "data-platform", "name": "Nightly ETL", "created": "2023-09-01"}'),
    ("en", "Invoice dated 05/06/2024, due 05/07/2024."),
    ("en", "Order 8812 shipped to the Chicago warehouse on 12 March."),
    ("en", "The Ford F-150 and the Dodge Ram are on the fleet list."),
    ("en", "Boeing and Airbus delivery slots moved to Q2."),
    ("en", "Our Head of People and the Payroll Lead meet on Friday."),
    ("en", "McKinsey and Bain both pitched; Deloitte declined."),
    ("en", "Charlotte, Raleigh and Durham offices close early on Friday."),
    ("en", "Victoria Falls and Lake Louise top this year's travel survey."),
    ("en", "Ben & Jerry's, Häagen-Dazs and Magnum are in the freezer aisle."),
    ("en", "Harvey Nichols and Selfridges carry the new line."),
    ("en", "Will it rain on Sunday? Hope not, the picnic is booked."),
    ("en", "Walgreens and Rite Aid stock the test kits."),
    ("en", "Sent from Outlook for Android"),
    ("en", "Build 2024.06.1 released; born-digital records migrated."),
    ("en", "The Morgan Library and the Frick Collection are closed Mondays."),
    ("en", "Dell Technologies and Hewlett Packard Enterprise both bid."),
    ("de", "Mit freundlichen Grüßen\nIhr Kundenservice"),
    ("de", "Die Filialen in Augsburg und Ingolstadt öffnen am Montag."),
    ("de", "Bestellung vom 14.05.2024, geliefert am 17.05.2024."),
    ("de", "Hallo zusammen, die Besprechung fällt aus."),
    ("de", "Wir haben Miele und Bosch Geräte im Angebot."),
    ("de", "Das Porsche Zentrum Stuttgart und das Mercedes-Benz Museum sind sonntags offen."),
    ("de", "Liebe Grüße\nEuer Orga-Team"),
    ("de", "Abteilungsleiter Vertrieb und Teamleitung Einkauf sind informiert."),
    ("de", "Hugo Boss und Adidas melden bessere Zahlen."),
    ("fr", "Bonjour à tous, le serveur est de nouveau disponible."),
    ("fr", "Cordialement,\nL'équipe Facturation"),
    ("fr", "Commande du 12/03/2024 livrée le 15/03/2024 à Bordeaux."),
    ("fr", "Les boutiques Pierre Cardin et Nina Ricci ferment à 19 h."),
    ("fr", "Le directeur commercial et la responsable RH valident le plan."),
    ("fr", "Michelin et Renault annoncent un partenariat."),
    ("fr", "La place Charles de Gaulle et l'avenue Victor Hugo sont fermées."),
    ("fr", "Rendez-vous gare Saint-Lazare à 8 h 15."),
]
# fmt: on

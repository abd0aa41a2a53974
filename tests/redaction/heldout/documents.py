# ruff: noqa: E501 - texts keep their own line lengths
"""The held-out corpus: measure only, never tune on it (see README.md beside this file).

Each document is ``(lang, form, marked text)``; look-alikes are ``(lang, text)``.
Markup: ``[[P:...]]`` PERSON, ``[[A:...]]`` STREET_ADDRESS, ``[[D:...]]`` DATE_OF_BIRTH.
"""

from __future__ import annotations

# fmt: off
DOCUMENTS: list[tuple[str, str, str]] = [
    # -- support tickets, English -----------------------------------------------------------
    ("en", "ticket", """Ticket #88213 - Refund not received
Opened by: [[P:Harriet Okonjo-Blake]]
Priority: P2

Hi there,
I returned the blender on the 3rd but the refund still hasn't shown up. My husband [[P:Tobias]] says
he got an email saying it was processed. Can someone check?

Thanks,
[[P:Harriet]]"""),
    ("en", "ticket", """Agent note (internal): spoke to [[P:Rose Albrecht]] on the phone, she wants the invoice
re-issued to her new address, [[A:48 Fenwick Road, Bristol BS5 7HQ]]. Verified with DOB [[D:02/11/1979]].
Escalated to [[P:Bill Ferreira-Nunes]] in billing."""),
    ("en", "ticket", """Subject: cannot reset password

hey, its [[P:mark]] from the warehouse team, the reset link keeps expiring. i tried 4 times.
my manager [[P:Deepa Venkataraman]] said to raise a ticket. cheers [[P:Mark Tulloch]]"""),
    ("en", "ticket", """Customer [[P:Hope Castellanos]] reports that the card reader at the Elm Street branch
declined her card twice on Saturday. Her date of birth on file is [[D:April 9, 1991]], which matches.
Please call her back before Friday."""),
    ("en", "ticket", """#4471 Address change
Old: [[A:1932 Bramble Creek Dr, Round Rock, TX 78664]]
New: [[A:77 Whitlow Ave Apt 12, Cambridge, MA 02139]]
Requested by [[P:Summer Oyelaran]] via chat. DOB confirmed ([[D:1988-07-30]])."""),
    ("en", "ticket", """Hello,

My name is [[P:Will Ashdown]] and I'm writing on behalf of my mother, [[P:Margaret Ashdown]], who is
87 and cannot use the app. Her account is under her maiden name, [[P:Margaret Quayle]]. She was born
[[D:14 February 1938]]. Could you please add me as a trusted contact?

Kind regards,
[[P:Will]]"""),
    ("en", "ticket", """Escalation: duplicate charge. [[P:Anneliese Brockhurst]] was charged twice for the annual plan
(order 55-20931). I told her the second charge would be reversed in 5-7 working days.
-- [[P:Kwabena]] (Tier 1)"""),
    ("en", "ticket", """Delivery failed. Driver notes: nobody home at [[A:16 Copperfield Mews, Norwich NR2 4BT]], card left.
Recipient: Ms [[P:T. Abernethy-Clarke]]. Will re-attempt Monday."""),

    # -- support tickets, German ------------------------------------------------------------
    ("de", "ticket", """Ticket 2024-11873: Lieferadresse falsch
Sehr geehrte Damen und Herren,
meine Bestellung wurde an die alte Adresse geschickt. Richtig ist: [[A:Kastanienallee 41, 10435 Berlin]].
Mit freundlichen Grüßen
[[P:Renate Oberhuber]]"""),
    ("de", "ticket", """Hallo [[P:Jonas]],
Frau [[P:Müller-Lüdenscheidt]] hat nochmal angerufen wegen der Gutschrift. Sie sagt, sie hat
die Ware am Dienstag zurückgeschickt. Kannst du das bitte prüfen?
Danke und Gruß
[[P:Steffi]]"""),
    ("de", "ticket", """Interne Notiz: Kunde [[P:Dragan Petrović]], geb. [[D:23.05.1982]], wohnhaft
[[A:Am Wiesengrund 7, 04179 Leipzig]], möchte den Vertrag zum Monatsende kündigen. Rückruf durch
Frau [[P:Hollweg]] vereinbart."""),
    ("de", "ticket", """Betreff: Zugang gesperrt

Guten Tag,
ich heiße [[P:Benedikt Strohmaier]] und komme seit gestern nicht mehr in mein Konto. Mein
Geburtsdatum ist der [[D:3. Oktober 1975]], falls Sie das zur Prüfung brauchen.
Viele Grüße
[[P:B. Strohmaier]]"""),

    # -- support tickets, French ------------------------------------------------------------
    ("fr", "ticket", """Ticket 30982 - Colis non reçu
Bonjour,
Je suis [[P:Mathilde Carrère]] et j'attends toujours mon colis commandé le 12 novembre. L'adresse
de livraison est [[A:18 rue des Tanneurs, 67000 Strasbourg]].
Cordialement,
[[P:Mathilde Carrère]]"""),
    ("fr", "ticket", """Note interne : appel de M. [[P:Abdelkader Benslimane]], né le [[D:09/12/1969]], qui conteste
les frais de résiliation. Transmis à [[P:Sandrine]] du service facturation."""),
    ("fr", "ticket", """Bonjour [[P:Loïc]],
La cliente [[P:Zoë Lagarde-Petit]] nous a écrit deux fois cette semaine. Elle a déménagé au
[[A:4 allée des Peupliers, 33600 Pessac]] et souhaite que la facture de décembre y soit envoyée.
Merci,
[[P:Hélène]]"""),

    # -- CRM CSV exports -------------------------------------------------------------------
    ("en", "csv", """contact_id,first_name,last_name,email,company,title,city
10231,[[P:Marisol]],[[P:Etchegaray]],m.etchegaray@brightwell.io,Brightwell,VP Operations,Denver
10232,[[P:Bill]],[[P:Osterhout]],bosterhout@kettleridge.com,Kettle Ridge Foods,Buyer,Omaha
10233,[[P:Precious]],[[P:Nwachukwu]],pnwachukwu@lumenrail.co.uk,Lumenrail,CFO,Manchester
10234,[[P:Rose]],[[P:Vandermeer]],rose.v@halcyonlabs.com,Halcyon Labs,Head of Design,Portland"""),
    ("en", "csv", """Account Name,Primary Contact,Phone,Billing Street,Billing City,Billing Zip
Northgate Dental,Dr. [[P:Imogen Fairweather]],(503) 555-0142,[[A:2210 NE Halsey St]],Portland,97232
Copperline Hardware,[[P:Randy Pike]],(406) 555-0187,[[A:18 W Main St]],Bozeman,59715
Sable & Finch LLP,[[P:Augustina Mbeki]],(212) 555-0119,[[A:350 Hudson St Fl 9]],New York,10014"""),
    ("en", "csv", """"customer","dob","plan","signup"
"[[P:Desmond Achterberg]]","[[D:1964-10-02]]","gold","2023-03-14 08:12"
"[[P:Hope Nakashima]]","[[D:1999-01-27]]","basic","2024-07-01 16:40"
"[[P:Tamar Ben-Haim]]","[[D:1983-06-11]]","gold","2022-12-30 11:05\""""),
    ("de", "csv", """Kundennummer;Anrede;Vorname;Nachname;Straße;PLZ;Ort;Geburtsdatum
K-20991;Herr;[[P:Wolfram]];[[P:Eichhorn]];[[A:Brunnenstraße 12]];18055;Rostock;[[D:11.04.1958]]
K-20992;Frau;[[P:Svenja]];[[P:Kühnlein-Marx]];[[A:Talweg 3b]];72070;Tübingen;[[D:29.02.1988]]
K-20993;Frau;[[P:Özlem]];[[P:Karagöz]];[[A:Lessingplatz 1]];30159;Hannover;[[D:07.08.1993]]"""),
    ("fr", "csv", """id;civilité;nom;prénom;adresse;code_postal;ville;date_naissance
501;Mme;[[P:Beaulieu]];[[P:Margaux]];[[A:7 rue Victor Hugo]];69002;Lyon;[[D:15/03/1986]]
502;M.;[[P:N'Diaye]];[[P:Ousmane]];[[A:112 boulevard Voltaire]];75011;Paris;[[D:02/09/1979]]
503;Mme;[[P:Lefranc-Moreau]];[[P:Anaïs]];[[A:3 impasse des Cerisiers]];44300;Nantes;[[D:21/12/2001]]"""),
    ("en", "csv", """ticket,requester,assignee,status,created
7712,[[P:Gwendolyn Achebe]],[[P:Mark Villanueva]],open,2024-09-03T09:22:11Z
7713,[[P:Pieter de Wolff]],[[P:Mark Villanueva]],pending,2024-09-03T10:01:45Z
7714,[[P:Summer Blackwood]],[[P:Yusuf Erdem]],closed,2024-09-04T14:37:02Z"""),

    # -- JSON records ---------------------------------------------------------------------
    ("en", "json", """{"id": "cus_8812", "name": "[[P:Genevieve Harrowgate]]", "email": "gharrowgate@fastmail.example", "address": {"line1": "[[A:419 Sassafras Lane]]", "city": "Asheville", "state": "NC", "postal_code": "28801"}, "created": 1714567200}"""),
    ("en", "json", """{"patient": {"given": "[[P:Thaddeus]]", "family": "[[P:Okwuosa]]", "birthDate": "[[D:1971-05-19]]"}, "encounter": {"date": "2024-02-11", "provider": "Dr. [[P:Lucinda Marchetti]]"}}"""),
    ("en", "json", """[{"user": "[[P:Bill Thistlewood]]", "role": "admin", "last_login": "2024-10-01T08:00:00Z"},
 {"user": "[[P:Hope Fairclough]]", "role": "viewer", "last_login": "2024-10-02T17:45:10Z"}]"""),
    ("de", "json", """{"kunde": {"vorname": "[[P:Gisela]]", "nachname": "[[P:Wendeborn]]", "geburtsdatum": "[[D:1949-12-24]]", "anschrift": "[[A:Rosenhag 22, 53757 Sankt Augustin]]"}, "tarif": "Komfort"}"""),
    ("fr", "json", """{"titulaire": "[[P:Ghislaine Quéméner]]", "date_de_naissance": "[[D:12/04/1966]]", "adresse": "[[A:25 quai des Chartrons, 33000 Bordeaux]]", "offre": "Sérénité"}"""),
    ("en", "json", """{"order_id": 99120, "shipping": {"recipient": "[[P:Osvaldo Ketteridge]]", "street": "[[A:1200 Ridgecrest Blvd Unit 5]]", "city": "Tulsa", "zip": "74105"}, "items": 3}"""),

    # -- e-mails with headers and signatures -----------------------------------------------
    ("en", "email", """From: [[P:Cordelia Haverstock]] <cordelia.haverstock@northwind-legal.com>
To: [[P:Ravi Chandrasekhar]] <ravi.c@acmefreight.com>
Date: Tue, 8 Oct 2024 09:14:22 +0100
Subject: Re: lease renewal

[[P:Ravi]],

Attached is the signed renewal. Please note the tenant's new correspondence address:
[[A:9 Larch Grove, Harrogate HG1 2PJ]].

Best,
[[P:Cordelia]]

[[P:Cordelia Haverstock]]
Senior Associate | Northwind Legal
+44 20 7946 0321"""),
    ("en", "email", """From: support@streamly.example
To: bill.marchbanks@gmail.example
Subject: Your subscription

Hi [[P:Bill]],

Your Streamly Premium subscription renews on November 1. Nothing to do if you want to keep it.

The Streamly Team"""),
    ("en", "email", """Hi all,

Quick update from the offsite: [[P:Priscilla Oduya]] and [[P:Lennart Hakansson]] will lead the Q1
planning. [[P:Lennart]] is out next week, so ping [[P:Priscilla]] with questions.

Thanks!
[[P:Jo]]
--
[[P:Joanna Whitcombe-Reyes]] | Chief of Staff
Meridian Analytics, [[A:600 Congress Ave Suite 1400, Austin, TX 78701]]"""),
    ("de", "email", """Von: [[P:Matthias Kreuzberger]] <m.kreuzberger@stadtwerke-nord.example>
An: [[P:Anja Bertelsmeier]] <anja.bertelsmeier@example.de>
Betreff: Zählerstand

Liebe Frau [[P:Bertelsmeier]],

vielen Dank für Ihre Nachricht. Den Zählerstand haben wir übernommen.

Beste Grüße
[[P:Matthias Kreuzberger]]
Kundenservice Stadtwerke Nord
[[A:Hafenstraße 90, 28217 Bremen]]"""),
    ("fr", "email", """De : [[P:Aurélien Desrosiers]] <aurelien.desrosiers@cabinet-dr.example>
À : [[P:Josiane Fleury]] <j.fleury@example.fr>
Objet : Votre dossier

Madame [[P:Fleury]],

Suite à notre échange de ce matin, je vous confirme la réception des pièces. Pour finaliser,
merci de me transmettre un justificatif de domicile au [[A:6 place du Marché, 21000 Dijon]].

Bien cordialement,
[[P:Aurélien Desrosiers]]
Conseiller patrimonial"""),
    ("en", "email", """-----Original Message-----
From: [[P:KOWALCZYK, DARIUSZ]]
Sent: Monday, March 4, 2024 4:12 PM
To: IT Service Desk
Subject: laptop replacement

Please ship the replacement laptop to my home: [[A:3055 Quail Run Ct, Naperville, IL 60564]].
[[P:DARIUSZ]]"""),

    # -- chat prompts ----------------------------------------------------------------------
    ("en", "chat", """Write a friendly birthday message for my coworker [[P:Lorraine]]. She's turning 50, she was born
[[D:June 3rd, 1974]], and she loves gardening. Sign it from me and [[P:Hamid]]."""),
    ("en", "chat", """can you summarize this call transcript? participants were [[P:Bartholomew Nkemelu]] (client), [[P:Ines Sobral]]
(our side) and [[P:Mark]] from legal. [[P:Bartholomew]] asked about the deposit at [[A:250 Pine Hollow Road]]."""),
    ("en", "chat", """Draft a reply to Ms. [[P:Winterbourne]] saying we can't waive the late fee but we can split it
over two months. Address it to [[P:Felicity Winterbourne]], [[A:88 Orchard Hill, Guildford GU1 3SR]]."""),
    ("en", "chat", """Fix the grammar: "me and [[P:Will]] went to the store and [[P:Will]]'s sister [[P:Summer]] was their.\""""),
    ("en", "chat", """Here is a row from our HR system, turn it into a short bio:
Employee: [[P:Aurelio Fontanesi]] | DOB: [[D:1981-09-14]] | Start: 2016-02-01 | Title: Staff Engineer | Office: Seattle"""),
    ("en", "chat", """I need a cover letter. My name's [[P:Nadia Rahimi-Torres]], I live at [[A:14 Beacon Street, Apt 3, Somerville, MA 02143]],
and I'm applying to be a Data Analyst at Greenfield Health."""),
    ("de", "chat", """Formuliere bitte eine höfliche Absage an Herrn Dr. [[P:Konstantin Wöhrle]]. Er hatte sich als
Projektleiter beworben. Unterschreiben mit [[P:Carina Lindqvist-Hahn]], Personalabteilung."""),
    ("de", "chat", """Übersetze ins Englische: "Mein Sohn [[P:Fynn]] ist am [[D:12.07.2015]] geboren und geht in die
dritte Klasse. Wir wohnen in der [[A:Rheinstraße 5, 65185 Wiesbaden]].\""""),
    ("fr", "chat", """Peux-tu rédiger une lettre de recommandation pour [[P:Capucine Morvan]] ? Elle a travaillé avec
moi trois ans comme assistante de direction. Signe-la au nom de [[P:Philippe-Henri Castaing]]."""),
    ("fr", "chat", """Résume ce message : « Bonjour, je m'appelle [[P:Yasmina Cherkaoui]], née le [[D:30 août 1990]],
et j'habite [[A:10 avenue Foch, 54000 Nancy]]. Je voudrais changer de forfait. »"""),

    # -- mixed / prose without strong cues ---------------------------------------------------
    ("en", "prose", """Minutes, Oct 3. Attendees: [[P:Cassius Mbatha]], [[P:Helga Strand]], [[P:Rose Pemberton]].
[[P:Helga]] presented the churn numbers; [[P:Cassius]] will follow up with the Denver team."""),
    ("en", "prose", """[[P:Grant Oyelowo]] joined Helios Robotics as Director of Sales in May. Before that, [[P:Grant]]
spent nine years at Pacific Freight."""),
    ("en", "prose", """Per the police report, the vehicle was registered to [[P:Terrence Blaylock]] of
[[A:611 Magnolia Street, Mobile, AL 36604]], born [[D:11/30/1967]]."""),
    ("de", "prose", """Protokoll vom 14. März: Anwesend waren [[P:Ines Wachtmeister]], [[P:Holger Brandstätter]] und
[[P:Yvonne Kessel]]. [[P:Holger Brandstätter]] übernimmt die Abstimmung mit dem Vertrieb."""),
    ("fr", "prose", """Compte rendu : [[P:Gaspard Lemercier]] présentera le budget jeudi. [[P:Solène Abitbol]] prépare
les chiffres du trimestre avec l'équipe de Rennes."""),
    ("en", "form", """PATIENT INTAKE
NAME: [[P:JEAN-LUC BEAUREGARD]]
DATE OF BIRTH: [[D:08/22/1956]]
ADDRESS: [[A:4102 CYPRESS BEND DR, SARASOTA, FL 34238]]
EMERGENCY CONTACT: [[P:MARIE-CLAIRE BEAUREGARD]] (wife)
APPOINTMENT: 10/14/2024 09:30"""),
    ("en", "form", """Name: [[P:Zoë Papadakis]]
Date of Birth: [[D:5 Jan 1997]]
Home address: [[A:Flat 2, 31 Ravensworth Terrace, Newcastle upon Tyne NE4 6BA]]
Policy start: 01 Feb 2024"""),
    ("de", "form", """Antragsteller: [[P:Hans-Joachim Pfeiffer]]
geboren am: [[D:17.11.1961]]
Anschrift: [[A:Ulmenweg 14, 89073 Ulm]]
Antragsdatum: 02.04.2024"""),
    ("fr", "form", """Nom : [[P:DELACROIX]]
Prénom : [[P:Bérénice]]
Né(e) le : [[D:04/06/1984]]
Adresse : [[A:27 rue Nationale, 37000 Tours]]
Date de la demande : 15/01/2024"""),
]

# PII-free look-alikes: none of these should change.
LOOKALIKES: list[tuple[str, str]] = [
    ("en", "Will the Summer release include the new dashboard?"),
    ("en", "Mark all tickets older than 30 days as stale."),
    ("en", "Hope you had a great weekend! The deploy went fine."),
    ("en", "Bill the customer for the extra seats at the end of March."),
    ("en", "Rose Bowl tickets go on sale in December."),
    ("en", "Our Head of Customer Success will present on Thursday."),
    ("en", "The Regional Sales Manager for EMEA joins on Monday."),
    ("en", "Send the quarterly report to the Finance Director by Friday."),
    ("en", "Denver and Phoenix both saw higher churn in May."),
    ("en", "We opened a new office in Manchester last April."),
    ("en", "Salesforce, HubSpot and Zendesk are all integrated."),
    ("en", "Grafana dashboards show latency spikes every Tuesday."),
    ("en", "Invoice INV-2024-0931 was issued on 03/04/2024 and paid on 03/18/2024."),
    ("en", "Backup completed 2024-09-30T02:00:14Z (duration 00:41:07)."),
    ("en", "The contract runs from 1 January 2024 to 31 December 2026."),
    ("en", "Release notes for Atlas 3.2, shipped on May 14, 2024."),
    ("en", "The meeting is on Wednesday 12 June at 10:00 in Room 4B."),
    ("en", "Reply by Friday, August 2, or the offer expires."),
    ("en", "Victoria Line delays are expected until Sunday."),
    ("en", "The Cambridge and Oxford campuses close at 6 pm."),
    ("en", "Morgan Lewis and Baker McKenzie are the outside counsel."),
    ("en", "Jack Daniel's and Johnnie Walker sales rose in Q3."),
    ("en", "Procter & Gamble moved its HQ event to Cincinnati."),
    ("en", "Kind regards from the whole Platform Team."),
    ("en", "Thanks, that fixed it!"),
    ("en", "Hi everyone, standup is cancelled today."),
    ("en", "Dear Valued Customer, your statement is ready."),
    ("en", "Best Buy and Home Depot carry the product."),
    ("en", "Chrome, Firefox and Safari are supported; Edge is in beta."),
    ("en", "Set MAX_WORKERS=8 and restart the Celery workers."),
    ("en", "The Lincoln Memorial and the Jefferson Memorial are both closed."),
    ("en", "Wells Fargo Center hosts the concert on July 4."),
    ("en", "Apple Pay and Google Pay are accepted at checkout."),
    ("en", "Copy the Amazon S3 bucket to the Frankfurt region."),
    ("en", "Graduation is on Saturday, June 8, 2024."),
    ("en", "The warranty expires 2025-03-31; the lease started 2022-04-01."),
    ("en", "Order 44-1902 shipped from Memphis on 10/02/2024 at 14:05."),
    ("en", "Ticket 7712 was created 2024-09-03 09:22 and closed 2024-09-04 14:37."),
    ("en", "Our Product Manager, Staff Engineer and UX Designer reviewed the spec."),
    ("en", "Sunday brunch at the Grand Hyatt was fully booked."),
    ("en", "The Ford F-150 and the Toyota Tacoma are the top sellers."),
    ("en", "Please review the Jenkins pipeline and the GitHub Actions workflow."),
    ("en", "Summer interns start on June 3 in the Austin office."),
    ("en", "Born to Run was released in 1975."),
    ("en", "The company was born out of a 2012 hackathon in Boston."),
    ("en", "Date: 2024-06-11\nSubject: Q2 roadmap\nAgenda: pricing, hiring, offsite"),
    ("en", "From: Berlin\nTo: Lisbon\nDeparture: 07:40"),
    ("en", "Customer: Acme Logistics GmbH\nPlan: Enterprise\nSeats: 250"),
    ("en", "Product name: Falcon Ledger\nVersion: 2.4.1\nRelease date: 2024-03-07"),
    ("en", "Created by: system\nAssigned to: Billing Team\nStatus: open"),
    ("en", "1 Infinite Loop was Apple's old HQ address, now a museum exhibit."),
    ("en", "Add 2 Cups Flour and 1 Tbsp Sugar to the bowl."),
    ("en", "Chapter 5 Park Rangers and Wildlife covers the national parks."),
    ("en", "We sold 300 Park Passes and 120 Lake Permits in July."),
    ("en", "Step 3 Drive Mapping explains the network shares."),
    ("en", "Gate 12 Terminal B is closest to the lounge."),
    ("en", "Version 10 Way Forward is the strategy deck for 2025."),
    ("en", "Summer Sale ends Sunday: 20% off all Patagonia jackets."),
    ("en", "Grant applications for the Sloan Foundation close in March."),
    ("en", "The Christian Dior show and the Louis Vuitton launch were on the same day."),
    ("en", "Mercedes-Benz and Porsche topped the survey."),
    ("en", "Jordan and Morocco are on the Q4 travel list."),
    ("en", "Ask the Customer Success Manager about the renewal."),
    ("en", "Merry Christmas and Happy New Year from all of us!"),
    ("en", "Hey team, pushing the release to Thursday."),
    ("en", "Regards,\nThe Billing Team"),
    ("en", "Thanks,\nIT Service Desk"),
    ("en", "name,price,sku\nWidget Pro,19.99,WP-100\nWidget Mini,9.99,WM-200"),
    ("en", "city,country,population\nLyon,France,522000\nPorto,Portugal,232000"),
    ("en", '{"product": "Orion Analytics", "region": "us-east-1", "launched": "2023-05-02"}'),
    ("en", '{"name": "billing-service", "owner": "platform-team", "created": "2024-01-09T10:00:00Z"}'),
    ("en", "Sprint review: Monday. Retro: Tuesday. Planning: Wednesday."),
    ("en", "March Madness brackets are due before the first game."),
    ("en", "May I ask when the new pricing takes effect?"),
    ("en", "August is the busiest month for the Denver warehouse."),
    ("en", "The Chief Operating Officer and the General Counsel signed the MSA."),
    ("en", "Dallas Cowboys vs Houston Texans, Sunday 1 pm."),
    ("en", "Queen Street Station and King's Cross are both on the route."),
    ("en", "Pacific Gas & Electric scheduled maintenance for 11/15/2024 from 08:00 to 12:00."),
    ("de", "Sehr geehrte Damen und Herren, anbei die Unterlagen für das Quartal."),
    ("de", "Hallo zusammen, das Release ist für Donnerstag geplant."),
    ("de", "Mit freundlichen Grüßen\nIhr Kundenservice"),
    ("de", "Viele Grüße aus dem Vertriebsteam!"),
    ("de", "Die Besprechung am Mittwoch, 12. Juni 2024, beginnt um 14 Uhr."),
    ("de", "Rechnungsdatum: 01.10.2024, Zahlungsziel: 15.10.2024."),
    ("de", "Der Vertrag läuft vom 01.01.2024 bis zum 31.12.2025."),
    ("de", "München, Hamburg und Köln sind die Pilotstädte."),
    ("de", "Unser Vertriebsleiter und die Geschäftsführerin waren anwesend."),
    ("de", "Deutsche Bahn und Lufthansa haben die Preise erhöht."),
    ("de", "Siemens Healthineers und Bosch Rexroth sind Kunden seit 2019."),
    ("de", "Im Mai ist das Büro am Freitag geschlossen."),
    ("de", "Das Projekt wurde 2016 in Stuttgart geboren."),
    ("de", "Erstellt am 2024-03-05 10:12, geändert am 2024-03-06 08:40."),
    ("de", "Kunde: Müller Logistik GmbH\nTarif: Premium"),
    ("de", "Produktname: Orion Kasse\nVersion: 5.1"),
    ("de", "Abfahrt 07:12 ab Frankfurt Hauptbahnhof, Gleis 9."),
    ("de", "Die Sommeraktion endet am Sonntag."),
    ("fr", "Bonjour à tous, la mise en production est prévue jeudi."),
    ("fr", "Cordialement,\nLe service client"),
    ("fr", "Bien à vous,\nL'équipe facturation"),
    ("fr", "La réunion du lundi 3 juin 2024 est déplacée à 15 h."),
    ("fr", "Facture n° 2024-118 du 05/09/2024, échéance au 05/10/2024."),
    ("fr", "Lyon, Marseille et Toulouse sont les villes pilotes."),
    ("fr", "Le directeur commercial et la responsable RH ont validé le budget."),
    ("fr", "Renault, Peugeot et Michelin participent au salon."),
    ("fr", "Le projet est né en 2018 d'un partenariat avec l'INRIA."),
    ("fr", "Mise à jour effectuée le 2024-07-01 à 09:15."),
    ("fr", "Client : Société Générale\nOffre : Entreprise"),
    ("fr", "Les soldes d'été commencent mercredi."),
    ("fr", "Le magasin de la place Bellecour ferme en août."),
]
# fmt: on

"""The words around a person's name, in English, German and French: the cues the name
detectors read, and the capitalised words that are never a name.

Kept apart from the detectors so the lists can be read (and extended) at a glance.
"""

from __future__ import annotations

import re

__all__ = [
    "ADDRESS_KEYS",
    "BIRTH_KEYS",
    "COMPANY_WORDS",
    "NAME_KEYS",
    "NOT_NAMES",
    "PARTICLES",
    "PLACES",
    "PLACE_HEADS",
    "key_words",
]

# Keys (CSV headers, JSON keys, "key: value" labels) whose value is a person's name, after
# ``key_words`` (casefolded, words joined by "_").
NAME_KEYS = frozenset(
    """
    name full_name fullname first_name firstname first_names given_name given_names forename
    last_name lastname surname family_name middle_name maiden_name display_name real_name
    contact contact_name contact_person customer customer_name client client_name holder
    account_holder account_holder_name cardholder card_holder cardholder_name holder_name
    patient patient_name employee employee_name person person_name applicant applicant_name
    recipient recipient_name sender sender_name beneficiary beneficiary_name insured
    policyholder policy_holder guest guest_name passenger passenger_name tenant member
    member_name user_full_name signed_by signatory assignee requester reporter owner_name
    spouse emergency_contact next_of_kin owner participants attendees attn attention from to cc
    reply_to author vorname watchers reviewers approvers assignees recipients signatories
    contacts authors members guests passengers participant attendee teilnehmer
    destinataires participants agent agent_name sales_rep account_manager technician driver
    caller buyer seller landlord witness supervisor approver reviewer interviewer candidate
    candidate_name doctor physician nurse sachbearbeiter sachbearbeiterin conseiller
    conseillère vendeur acheteur first last given family
    nachname familienname vollständiger_name kunde kundin kundenname ansprechpartner
    ansprechpartnerin inhaber inhaberin kontoinhaber kontoinhaberin karteninhaber patientin
    mitarbeiter mitarbeiterin empfänger absender antragsteller mieter versicherter nom
    prénom prenom prénoms nom_complet nom_de_famille nom_de_naissance titulaire
    titulaire_du_compte destinataire expéditeur expediteur bénéficiaire beneficiaire
    locataire assuré assure interlocuteur
    """.split()  # noqa: SIM905 - a word list reads better as one string
)
ADDRESS_KEYS = frozenset(
    """
    address street street_address address_line address_line1 address_line_1 address1 addr
    home_address postal_address mailing_address billing_address shipping_address
    delivery_address residence anschrift adresse straße strasse wohnort_adresse
    postanschrift lieferadresse rechnungsadresse adresse_postale domicile
    """.split()  # noqa: SIM905 - a word list reads better as one string
)
BIRTH_KEYS = re.compile(r"birth|dob|geburt|naissance|né_le|née_le|born", re.IGNORECASE)

_CAMEL = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])")
_SEPARATORS = re.compile(r"[^\w]+")


def key_words(key: str) -> str:
    """``"First Name"``, ``firstName``, ``first-name`` -> ``first_name``.

    >>> key_words("Account holder"), key_words("firstName"), key_words('"Vorname"')
    ('account_holder', 'first_name', 'vorname')
    """
    return _SEPARATORS.sub("_", _CAMEL.sub("_", key.strip())).strip("_").casefold()


# Lower-case words inside a name: "Ludwig van Beethoven", "Charles de Gaulle".
PARTICLES = frozenset(
    """
    van von de der den del della di da dos das du la le ten ter bin ibn al el zu y
    """.split()  # noqa: SIM905 - a word list reads better as one string
)
# First words of place names that are also given names (San Jose, Santa Clara, Saint Louis).
PLACE_HEADS = frozenset(
    """
    san santa saint st sankt los las new port fort mount lake bad fort cape
    """.split()  # noqa: SIM905 - a word list reads better as one string
)
# Places (and a brand) that are also given names, where the place is the likelier reading: a
# single word needs more than a verb, a comma or a line of its own to be a person
# ("Austin, we have a problem", "Deploy to:\nSydney").
PLACES = frozenset(
    """
    paris austin sydney dallas denver houston orlando lincoln georgia virginia carolina asia
    africa america india china israel kenya phoenix brooklyn adelaide alexandria odessa lima
    santiago valencia verona siena montana nevada camden kingston salem mercedes
    """.split()  # noqa: SIM905 - a word list reads better as one string
)
# After a name, a company (Johnson Controls, Morgan Stanley LLC).
COMPANY_WORDS = frozenset(
    """
    inc inc. llc ltd ltd. plc corp corp. co co. gmbh ag kg se sa sas sarl bv nv oy ab group
    bank holdings capital partners associates foundation university college school hospital
    clinic institute labs lab systems solutions technologies software consulting stanley
    motors motor airlines insurance trust fund media studios records river center centre
    station bridge hall airport stadium arena museum theatre theater tower building mall
    valley island bay beach lake county award prize fellowship world store stores shop shops
    brand brands products foods electronics cosmetics fashion boutique pharma day memorial
    bros brothers sons söhne fils cie
    bridge highway
    """.split()  # noqa: SIM905 - a word list reads better as one string
)
# Capitalised words that are never a name on their own: function words, months, weekdays,
# greetings, roles, generic nouns. Casefolded.
NOT_NAMES = frozenset(
    """
    a an the and or but if of in on at to for from with by as is are was were be been am i
    me my we our you your he him his she her it its they them their this that these those
    there here all any each every some no not yes ok okay hi hello hey dear thanks thank
    regards best cheers sincerely yours team all everyone everybody folks guys people
    friends colleagues sir madam madame sirs customer customers client clients support
    service sales admin administrator manager director engineer developer ceo cto cfo coo vp
    hr it qa ops dev devops legal finance marketing billing accounting security help desk
    helpdesk user users member members staff partner partners vendor vendors team's world
    monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec montag dienstag mittwoch donnerstag
    freitag samstag sonntag januar februar märz mai juni juli oktober dezember lundi mardi
    mercredi jeudi vendredi samedi dimanche janvier février fevrier mars avril juin juillet
    août aout septembre octobre novembre décembre der die das und oder ich du er sie es wir
    ihr mein meine dein ein eine einer kunden herr frau damen herren team kollegen
    kolleginnen alle zusammen le la les un une et ou je tu il elle nous vous ils elles mon
    ma mes ton votre vos monsieur madame mesdames messieurs équipe tous toutes mr mrs ms
    miss mx dr prof professor doctor please again again, again. soon later more much so very
    good great morning afternoon evening night day week month year there, again! also now
    then just street road avenue lane drive court place way boulevard square park hill north
    south east west new old inc llc ltd gmbh corp company order invoice account ticket case
    issue project product report meeting call email note notes update summary subject re fwd
    fw cc bcc to from date sent attachment
    """.split()  # noqa: SIM905 - a word list reads better as one string
)
# Words that open a sentence after a greeting ("Hello. How are you?"): some are also
# surnames in the census list.
NOT_NAMES |= frozenset(
    """
    how what why when where who whom whose which can could would should shall might must do
    does did have has had let lets sorry nice cool sure well quick glad happy welcome
    """.split()  # noqa: SIM905 - a word list reads better as one string
)

"""Built-in detectors for structured PII, one small class per type behind ``Detector``.

Each detector finds cheap candidates, then a validator decides: Luhn and issuer prefixes for
cards, mod-97 for IBANs, the SSA rules for SSNs, ``ipaddress`` for IPs, ``phonenumbers`` for
phones. Speed comes from anchoring every regex on something that is rare in prose: a literal
(``@``, ``://``, ``.``, ``-``, ``:``) that ``re`` finds with a fast scan, or a pattern that
starts with a plain character class (``\\d``) so ``re`` skips non-candidates in C. Lookbehinds
at the start of a pattern defeat that skipping (measured: 190 -> 50 MB/s), so boundaries are
checked in Python on the few candidates instead.

The detectors live by kind in :mod:`~privllm.redaction.phone`,
:mod:`~privllm.redaction.id_numbers` (cards, IBANs, SSNs) and :mod:`~privllm.redaction.network`
(email, IP addresses, URL credentials); this module names them all.

    >>> [f.type for f in EmailDetector().find("write to ana@example.org")]
    ['EMAIL']
"""

from __future__ import annotations

from privllm.redaction.id_numbers import (
    CreditCardDetector,
    IBANDetector,
    USSSNDetector,
    iban_ok,
    luhn_ok,
    ssn_ok,
)
from privllm.redaction.network import (
    EmailDetector,
    HostLoginDetector,
    IPAddressDetector,
    URLCredentialsDetector,
)
from privllm.redaction.phone import DEFAULT_PHONE_REGIONS, PhoneDetector

__all__ = [
    "DEFAULT_PHONE_REGIONS",
    "CreditCardDetector",
    "EmailDetector",
    "HostLoginDetector",
    "IBANDetector",
    "IPAddressDetector",
    "PhoneDetector",
    "URLCredentialsDetector",
    "USSSNDetector",
    "iban_ok",
    "luhn_ok",
    "ssn_ok",
]

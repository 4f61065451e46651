"""Finding PII in text: emails, phone numbers, payment cards, IBANs and IP addresses.

Each finder returns character spans. Candidates are matched by regular expression and then
validated where a check exists: card numbers by the Luhn checksum and a known issuer prefix,
IBANs by their ISO 13616 mod-97 check and country length, IP addresses by ``ipaddress``.
Phone numbers need a separator-formatted shape or a leading ``+`` so that plain numbers, years
and prices are left alone.
"""

from __future__ import annotations

import ipaddress
import re

KINDS = ("email", "phone", "card", "iban", "ip")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(
    r"(?<![\w+])(?<!\d[ .-])(?:"  # not the tail of a longer digit group
    r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}"  # +CC ...
    r"|\(\d{2,4}\)[ .-]?\d{3,4}[ .-]?\d{3,4}"  # (555) 123-4567
    r"|\d{3}[.-]\d{3}[.-]\d{4}"  # 555-123-4567
    r"|0\d{1,4}[ /-]\d{3,4}[ -]?\d{3,4}"  # 030 1234 5678 (national trunk prefix)
    r")(?!\w)(?![ .-]\d)"  # nor its head
)
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![:\w])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![:\w])")

# ISO 13616 lengths for the countries most seen; others accept 15-34 characters.
_IBAN_LENGTHS = {
    "AT": 20,
    "BE": 16,
    "CH": 21,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "IE": 22,
    "IT": 27,
    "LU": 20,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "SE": 24,
}


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a digit string."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _issuer_ok(digits: str) -> bool:
    if digits[0] == "4":  # Visa
        return len(digits) in (13, 16, 19)
    if digits[:2] in ("34", "37"):  # Amex
        return len(digits) == 15
    two, four = int(digits[:2]), int(digits[:4])
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return len(digits) == 16
    if digits[:4] == "6011" or digits[:2] == "65" or 622126 <= int(digits[:6]) <= 622925:
        return 16 <= len(digits) <= 19  # Discover / UnionPay co-brand
    if 3528 <= four <= 3589:  # JCB
        return 16 <= len(digits) <= 19
    return False


def iban_ok(candidate: str) -> bool:
    """ISO 13616: length for the country and ``int(rearranged) % 97 == 1``."""
    iban = candidate.replace(" ", "")
    expected = _IBAN_LENGTHS.get(iban[:2])
    if (expected and len(iban) != expected) or not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def find(text: str, kinds: tuple[str, ...] = KINDS) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) spans of PII in ``text``, in order."""
    spans: list[tuple[int, int, str]] = []
    if "email" in kinds:
        spans += [(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    if "iban" in kinds:
        spans += [(m.start(), m.end(), "iban") for m in _IBAN.finditer(text) if iban_ok(m.group())]
    if "card" in kinds:
        for m in _CARD.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if 13 <= len(digits) <= 19 and _issuer_ok(digits) and luhn_ok(digits):
                spans.append((m.start(), m.end(), "card"))
    if "ip" in kinds:
        spans += [(m.start(), m.end(), "ip") for m in _IPV4.finditer(text) if _ip_ok(m.group())]
        spans += [(m.start(), m.end(), "ip") for m in _IPV6.finditer(text) if _ipv6_ok(m.group())]
    if "phone" in kinds:
        for m in _PHONE.finditer(text):
            if 7 <= sum(ch.isdigit() for ch in m.group()) <= 15:
                spans.append((m.start(), m.end(), "phone"))
    return _without_overlaps(spans)


def _ip_ok(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _ipv6_ok(text: str) -> bool:
    # at least three written groups, so that "a::b" or "12:30:45" style text is left alone
    if sum(1 for group in text.split(":") if group) < 3:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _without_overlaps(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    # Earlier kinds in the list win ties (an IBAN's digits are not also a phone number).
    order = {kind: i for i, kind in enumerate(("email", "iban", "card", "ip", "phone"))}
    chosen: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0], order[s[2]], -(s[1] - s[0]))):
        if chosen and span[0] < chosen[-1][1]:
            continue
        chosen.append(span)
    return chosen


def redact(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each span replaced by ``[KIND]``."""
    out, last = [], 0
    for start, end, kind in spans:
        out.append(text[last:start])
        out.append(f"[{kind.upper()}]")
        last = end
    out.append(text[last:])
    return "".join(out)

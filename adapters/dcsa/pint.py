"""DCSA eBL Platform Interoperability (PINT 3.0.0): the envelope's checksums, its transfer chain's rules,
and the hub's title steps as PINT transactions. Pure: no keys, no database, no network.

An envelope carries the transport document, a signed envelope manifest and the signed envelope transfer
chain. What is checked here is everything that does not need a key (the signatures are
``hub.bills.platforms``); each failure is a ``Refused`` with PINT's response code:

- ``BENV``: the envelope is not acceptable as sent: the transport document does not match the manifest's
  checksum, the manifest does not name the last chain entry, an entry does not name the one before it
  (entries reordered, dropped or taken from another envelope), the first entry does not start with the
  issuance, a transaction follows an accepted surrender, an unknown action code;
- ``BSIG`` is for signatures (hub side); ``DISE``, ``DUPE``, ``MDOC`` and ``INCD`` need the receiving
  platform's own knowledge (hub side).

Checksums are SHA-256 in lower-case hex: of the RFC 8785 canonical JSON for the transport document and
the ``issueTo`` party, of the compact JWS text for a chain entry, of the decoded bytes for a document.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import rfc8785

# Each response code and the HTTP status PINT answers it with.
HTTP_STATUS = {"RECE": 200, "DUPE": 200, "BSIG": 422, "BENV": 422, "INCD": 409, "MDOC": 409, "DISE": 409}
ACTION_CODES = frozenset(
    {
        "ISSUE",
        "TRANSFER",
        "ENDORSE",
        "ENDORSE_TO_ORDER",
        "BLANK_ENDORSE",
        "SURRENDER_FOR_DELIVERY",
        "SURRENDER_FOR_AMENDMENT",
        "SACC",
        "SREJ",
        "SIGN",
    }
)
SURRENDERS = frozenset({"SURRENDER_FOR_DELIVERY", "SURRENDER_FOR_AMENDMENT"})
# The hub's title steps (hub.bills.states.TitleAction) as PINT action codes. A hub endorsee may endorse
# on, so an endorsement is ENDORSE_TO_ORDER; the hub's own surrender answers are SACC and SREJ.
ACTION_OF_STEP = {
    "ISSUE": "ISSUE",
    "ENDORSE": "ENDORSE_TO_ORDER",
    "BLANK_ENDORSE": "BLANK_ENDORSE",
    "TRANSFER": "TRANSFER",
    "SURRENDER_REQUESTED": "SURRENDER_FOR_DELIVERY",
    "SURRENDER_ACCEPTED": "SACC",
    "SURRENDER_REJECTED": "SREJ",
}


class Refused(Exception):
    """The receiving platform's answer is ``code`` (a PINT response code), for ``reason``."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason[:255]


def checksum(value: Any) -> str:
    """SHA-256 of ``value`` in RFC 8785 canonical JSON (the transport document, the issueTo party)."""
    return hashlib.sha256(rfc8785.dumps(value)).hexdigest()


def signed_checksum(signed: str) -> str:
    """SHA-256 of a compact JWS, as the next chain entry and the manifest name it."""
    return hashlib.sha256(signed.encode("ascii")).hexdigest()


def document_checksum(content: bytes) -> str:
    """SHA-256 of an additional document's decoded bytes."""
    return hashlib.sha256(content).hexdigest()


def unverified_payload(signed: str, where: str) -> dict[str, Any]:
    """The JSON payload of a compact JWS, read before its signature is checked (to learn whose key
    checks it); ``Refused`` BSIG when it is not a JWS with a JSON object inside."""
    parts = signed.split(".")
    if len(parts) != 3:
        raise Refused("BSIG", f"{where}: not a compact JWS (three dot-separated parts)")
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refused("BSIG", f"{where}: the JWS payload is not JSON") from None
    if not isinstance(payload, dict):
        raise Refused("BSIG", f"{where}: the JWS payload is not a JSON object")
    return payload


def check_envelope(
    transport_document: dict[str, Any],
    manifest: dict[str, Any],
    chain: list[str],
    entries: list[dict[str, Any]],
    issuance: dict[str, Any],
) -> None:
    """Everything about an envelope that needs no key: ``manifest`` and ``entries`` are the (already
    verified) payloads of the envelope manifest and of each signed chain entry in ``chain``, ``issuance``
    the first entry's issuance manifest. Raises ``Refused`` BENV naming what is wrong."""
    document = checksum(transport_document)
    if manifest["transportDocumentChecksum"] != document:
        raise Refused("BENV", "the transport document does not match the envelope manifest's checksum")
    if manifest["lastEnvelopeTransferChainEntrySignedContentChecksum"] != signed_checksum(chain[-1]):
        raise Refused("BENV", "the envelope manifest does not name the last entry of the transfer chain")
    if issuance.get("documentChecksum") != document:
        raise Refused("BENV", "the issuance manifest was signed for another transport document")
    if "issueTo" in transport_document and issuance.get("issueToChecksum") != checksum(
        transport_document["issueTo"]
    ):
        raise Refused("BENV", "the issuance manifest's issueToChecksum does not match the issueTo party")
    accepted_surrender = False
    for i, entry in enumerate(entries):
        where = f"envelopeTransferChain[{i}]"
        if entry["transportDocumentChecksum"] != document:
            raise Refused("BENV", f"{where} was signed for another transport document")
        previous = entry.get("previousEnvelopeTransferChainEntrySignedContentChecksum")
        if i == 0:
            if previous is not None:
                raise Refused("BENV", f"{where}: the first entry names a previous entry")
            if "issuanceManifestSignedContent" not in entry:
                raise Refused("BENV", f"{where}: the first entry carries no issuance manifest")
        else:
            if previous != signed_checksum(chain[i - 1]):
                raise Refused("BENV", f"{where} does not follow the entry before it")
            if "issuanceManifestSignedContent" in entry or "controlTrackingRegistry" in entry:
                raise Refused("BENV", f"{where}: only the first entry carries the issuance manifest and CTR")
        for j, transaction in enumerate(entry["transactions"]):
            code = transaction["actionCode"]
            if code not in ACTION_CODES:
                raise Refused("BENV", f"{where}.transactions[{j}]: unknown actionCode {code!r}")
            if accepted_surrender:
                raise Refused("BENV", f"{where}.transactions[{j}]: nothing follows an accepted surrender")
            first = i == 0 and j == 0
            if first != (code == "ISSUE"):
                raise Refused(
                    "BENV", f"{where}.transactions[{j}]: ISSUE is the first transaction and only the first"
                )
            accepted_surrender = code == "SACC"


def recipient_here(entries: list[dict[str, Any]], platform: str) -> dict[str, Any]:
    """The last transaction's recipient, which must be a party on ``platform`` (the receiver)."""
    last = entries[-1]["transactions"][-1]
    recipient = last.get("recipient")
    if not recipient:
        raise Refused("BENV", f"the last transaction ({last['actionCode']}) names no recipient")
    if recipient.get("eblPlatform") != platform:
        raise Refused(
            "BENV",
            f"the last transaction is addressed to platform {recipient.get('eblPlatform')!r}, not this one",
        )
    return dict(recipient)


def party_code(party: dict[str, Any], platform: str) -> str | None:
    """The party's account on ``platform``: the partyCode of its identifying code from that platform."""
    for code in party.get("identifyingCodes") or ():
        if code.get("codeListProvider") == platform and code.get("partyCode"):
            return str(code["partyCode"])
    return None

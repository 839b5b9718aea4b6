"""DCSA PINT 3.0 between this hub and its peer eBL platforms: a title sent to a party on another platform,
a title received from one, and surrender to the issuing carrier across platforms.

**Sending** (``send_title``, ``surrender_to_platform``, ``answer_to_platform``): the holder names a
platform and the party's account there. The hub asks the peer who that is (receiver validation), writes
the next envelope transfer chain entry (the steps of the endorsement chain since the title last crossed,
then the transfer itself), signs it and the envelope manifest, stores the envelope (``STARTED``), and
only then calls the peer: start, each additional document the peer asks for, finish. The title moves
when the peer's *signed* answer says ``RECE`` or ``DUPE`` for exactly this chain entry; a ``BENV``,
``BSIG`` or ``DISE`` leaves the title where it was and says why. A transfer that got no signed answer
(the peer was down) stays ``STARTED``: the title does not move meanwhile, and sending again repeats the
same envelope, which the peer answers ``DUPE`` if it had accepted it.

**Receiving** (``start``, ``put_document``, ``finish``, the REST routes in hub/api/rest/pint.py): the
caller is a peer platform's organisation on this hub. The envelope is held to PINT's schema, every
signature to its platform's key (``BSIG``), the chain to its rules (``BENV``, adapters/dcsa/pint.py), and
to what this hub knows (``DISE`` when it holds the title itself or knows entries the envelope lacks,
``DUPE`` when it accepted this very entry before). A refused envelope changes nothing. Accepting it
moves the title in the same transaction as the stored answer: to the addressed party (a bill new to this
hub is created from the transport document), or, for a surrender addressed to this hub's issuer, to a
pending surrender that the issuer answers as any other (its answer goes back as SACC or SREJ).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import structlog
from sqlmodel import Session, col, select

from adapters.dcsa import pint as rules
from adapters.dcsa.pint import Refused
from adapters.dcsa.schema import check_schema
from hub.auth.models import Organisation, OrgType
from hub.auth.permissions import Action, Principal
from hub.bills import service as bills
from hub.bills.models import BILL_KIND, Bill, PintDocument, PintTitle, PintTransfer, TitleEntry
from hub.bills.platforms import Peer, Platform, platform
from hub.bills.states import TITLE_LIVE, BillState, TitleAction
from hub.db import utcnow
from hub.errors import Conflict, Forbidden, HubError, Invalid, NotFound
from hub.governance import service as governance
from hub.governance.classes import classes_in
from hub.state import HubState

log = structlog.get_logger(__name__)
API_VERSION = "3.0.0"
PINT = "pint-3.0.0"
IN, OUT = "in", "out"
STARTED, ACCEPTED, REJECTED = "STARTED", "ACCEPTED", "REJECTED"
# Who may hold a title arriving from another platform.
_HOLDERS = frozenset(OrgType) - {OrgType.REGULATOR, OrgType.ADMIN, OrgType.EBL_PLATFORM}


@dataclass(frozen=True)
class Answer:
    """What a PINT route answers: the HTTP status and either a signed response (a compact JWS, sent as a
    JSON string), an unsigned body, or nothing (204)."""

    status: int
    signed: str | None = None
    body: dict[str, Any] | None = None


def party(org: Organisation, platform: Platform) -> dict[str, Any]:
    """A hub organisation as a PINT party: its account on this platform is its hub id."""
    return {
        "partyName": org.name[:70],
        "eblPlatform": platform.code,
        "identifyingCodes": [{"codeListProvider": platform.code, "partyCode": str(org.id)}],
    }


def _now() -> str:
    return utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _signed_answer(platform: Platform, code: str, last: str, **more: Any) -> Answer:
    payload = {"lastEnvelopeTransferChainEntrySignedContentChecksum": last, "responseCode": code}
    payload.update({k: v for k, v in more.items() if v})
    return Answer(rules.HTTP_STATUS[code], signed=platform.sign(payload))


# -- the transport document and the chain this hub knows -----------------------------------------------


def _pint_title(session: Session, bill: Bill, platform: Platform) -> PintTitle:
    """The bill's PINT record; made (and its transport document frozen) when a bill issued here first
    crosses platforms."""
    title = session.get(PintTitle, bill.id)
    if title is not None:
        return title
    from hub.bills.ebl import document_of

    document = document_of(session, bills.load_view(session, bill))
    title = PintTitle(
        bill_id=bill.id,
        document_checksum=rules.checksum(document),
        transport_document=document,
        chain=[],
        steps_in_chain=0,
    )
    session.add(title)
    session.flush()
    return title


def _org_party(
    session: Session, org_id: uuid.UUID | None, title: PintTitle, platform: Platform
) -> dict[str, Any]:
    org = session.get(Organisation, org_id) if org_id else None
    if org is None:
        raise Conflict("a step of the title names no organisation", field="id")
    if org.type == OrgType.EBL_PLATFORM and title.remote_party:
        return dict(title.remote_party)  # the party on that platform the title went to or came from
    return party(org, platform)


def _steps(session: Session, bill: Bill, title: PintTitle, platform: Platform) -> list[dict[str, Any]]:
    """The endorsement chain's steps since the title last crossed, as PINT transactions."""
    rows = session.exec(
        select(TitleEntry)
        .where(TitleEntry.bill_id == bill.id, col(TitleEntry.sequence) > title.steps_in_chain)
        .order_by(col(TitleEntry.sequence))
    ).all()
    out = []
    for row in rows:
        code = rules.ACTION_OF_STEP.get(row.action.value)
        if code is None:
            continue  # a crossing itself is the chain entry, not a transaction in it
        transaction: dict[str, Any] = {
            "actionCode": code,
            "actor": _org_party(session, row.by_org_id, title, platform),
            "actionDateTime": row.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if row.to_org_id is not None:
            transaction["recipient"] = _org_party(session, row.to_org_id, title, platform)
        if row.note:
            transaction["comments"] = " ".join(row.note.split())[:255]
        out.append(transaction)
    return out


# -- sending ----------------------------------------------------------------------------------------


def _peer(platform: Platform, code: str) -> Peer:
    peer = platform.peers.get(code)
    if peer is None:
        known = ", ".join(sorted(platform.peers)) or "none configured (HUB_PINT_PEERS_FILE)"
        raise NotFound(f"no agreement with eBL platform {code!r}; known platforms: {known}", field="platform")
    return peer


def _peer_org(session: Session, peer: Peer) -> Organisation:
    org = session.exec(select(Organisation).where(Organisation.name == peer.organisation)).first()
    if org is None or org.type != OrgType.EBL_PLATFORM:
        raise Conflict(
            f"platform {peer.code} has no ebl_platform organisation {peer.organisation!r} on this hub",
            field="platform",
        )
    return org


def _client(platform: Platform, peer: Peer, timeout: float) -> httpx.Client:
    return httpx.Client(
        base_url=peer.url,
        timeout=timeout,
        headers={"Authorization": f"Bearer {peer.api_key}", "API-Version": API_VERSION},
    )


def validate_receiver(platform: Platform, peer: Peer, party_code: str, timeout: float) -> str:
    """The name the peer gives for its account ``party_code`` (PINT receiver validation)."""
    try:
        with _client(platform, peer, timeout) as client:
            answer = client.post(
                "/v3/receiver-validation", json={"codeListProvider": peer.code, "partyCode": party_code}
            )
    except httpx.HTTPError as exc:
        raise Conflict(f"platform {peer.code} did not answer: {exc}", field="platform") from exc
    if answer.status_code == 404:
        raise NotFound(
            f"platform {peer.code} knows no party {party_code!r} that accepts eBLs", field="partyCode"
        )
    if answer.status_code != 200:
        raise Conflict(
            f"platform {peer.code} answered receiver validation with {answer.status_code}", field="partyCode"
        )
    return str(answer.json()["partyName"])


def _pending(session: Session, bill_id: uuid.UUID) -> PintTransfer | None:
    return session.exec(
        select(PintTransfer).where(
            PintTransfer.bill_id == bill_id, PintTransfer.direction == OUT, PintTransfer.state == STARTED
        )
    ).first()


def _envelope(
    session: Session,
    platform: Platform,
    bill: Bill,
    title: PintTitle,
    transactions: list[dict[str, Any]],
    peer: Peer,
) -> PintTransfer:
    """Write, sign and store the next envelope for ``bill`` (``STARTED``); nothing moves yet."""
    entry: dict[str, Any] = {
        "eblPlatform": platform.code,
        "transportDocumentChecksum": title.document_checksum,
        "transactions": transactions,
    }
    if title.chain:
        entry["previousEnvelopeTransferChainEntrySignedContentChecksum"] = rules.signed_checksum(
            title.chain[-1]
        )
    else:
        issue_to = next((t["recipient"] for t in transactions if t["actionCode"] == "ISSUE"), None)
        entry["issuanceManifestSignedContent"] = platform.sign(
            {"documentChecksum": title.document_checksum, "issueToChecksum": rules.checksum(issue_to or {})}
        )
    signed_entry = platform.sign(entry)
    chain = [*title.chain, signed_entry]
    # The hub's own record of the bill goes along as a supporting document: a hub on the other side
    # keeps it beside the transport document (legs, cargo values, the endorsement chain as anchored here).
    content = bills.canonical_view(bills.load_view(session, bill))
    # A platform abroad is a cross-border transfer: the bill's important fields (cargo, values) need a
    # transfer rule for the peer's country; refused here, before anything is stored or sent.
    governance.outbound(
        session,
        sender_org_id=bill.holder_org_id or bill.owner_org_id,
        to_org_id=_peer_org(session, peer).id,
        channel="pint",
        kind=BILL_KIND,
        record_ids=[bill.id],
        carried=classes_in(BILL_KIND, content),
    )
    record = json.dumps(content, sort_keys=True).encode()
    documents: list[dict[str, Any]] = [
        {
            "name": f"{bill.number}-hub-record.json",
            "size": len(record),
            "mediaType": "application/json",
            "documentChecksum": rules.document_checksum(record),
        }
    ]
    manifest = {
        "transportDocumentChecksum": title.document_checksum,
        "lastEnvelopeTransferChainEntrySignedContentChecksum": rules.signed_checksum(signed_entry),
        "supportingDocuments": documents,
    }
    envelope = {
        "transportDocument": title.transport_document,
        "envelopeManifestSignedContent": platform.sign(manifest),
        "envelopeTransferChain": chain,
    }
    check_schema(envelope, "envelope", PINT, "EblEnvelope")  # what this hub sends holds to PINT too
    transfer = PintTransfer(
        direction=OUT,
        envelope_reference=f"pending-{uuid.uuid4()}",
        peer=peer.code,
        bill_id=bill.id,
        document_checksum=title.document_checksum,
        last_entry_checksum=rules.signed_checksum(signed_entry),
        envelope=envelope,
        documents=documents,
        state=STARTED,
    )
    session.add(transfer)
    session.flush()
    session.add(
        PintDocument(
            transfer_id=transfer.id,
            checksum=documents[0]["documentChecksum"],
            name=documents[0]["name"],
            media_type="application/json",
            size=len(record),
            content=record,
        )
    )
    return transfer


def _holder_bill(session: Session, principal: Principal, bill_id: uuid.UUID) -> Bill:
    from hub.finance.service import title_collateral

    principal.require(Action.WRITE_RECORDS)
    bill = session.get(Bill, bill_id)
    if bill is None or not bills.can_read_bill(session, principal, bill):
        raise NotFound("no bill with that id", field="id")
    if not bill.negotiable:
        raise Conflict("a straight bill has no title to send to another platform", field="id")
    if bill.state not in TITLE_LIVE:
        raise Conflict(f"the title of a {bill.state.value} bill does not move", field="id")
    if bill.title_platform is not None:
        raise Conflict(f"the title is on eBL platform {bill.title_platform} already", field="id")
    if bill.holder_org_id != principal.org_id:
        raise Forbidden("only the current holder of the title may do this")
    if bill.surrender_pending:
        raise Conflict("the title is being surrendered; the issuer must answer first", field="id")
    if title_collateral(session, bill.id) is not None:
        raise Conflict("the title is collateral for a financed receivable and stays on this hub", field="id")
    return bill


def prepare_send(
    session: Session,
    platform: Platform,
    principal: Principal,
    bill_id: uuid.UUID,
    peer: Peer,
    party_code: str,
    party_name: str,
    note: str | None,
) -> PintTransfer:
    """The holder sends the title to ``party_code`` on ``peer``: the envelope, stored, not yet sent."""
    bill = _holder_bill(session, principal, bill_id)
    pending = _pending(session, bill.id)
    if pending is not None:
        return pending  # the same envelope again: the peer answers DUPE if it took it already
    _peer_org(session, peer)
    title = _pint_title(session, bill, platform)
    holder = session.get(Organisation, principal.org_id)
    assert holder is not None
    recipient = {
        "partyName": party_name[:70],
        "eblPlatform": peer.code,
        "identifyingCodes": [{"codeListProvider": peer.code, "partyCode": party_code}],
    }
    moves = [] if bill.blank_endorsed else ["ENDORSE_TO_ORDER"]
    transactions = _steps(session, bill, title, platform) + [
        {
            "actionCode": code,
            "actor": party(holder, platform),
            "recipient": recipient,
            "actionDateTime": _now(),
            **({"comments": " ".join(note.split())[:255]} if note and note.strip() else {}),
        }
        for code in [*moves, "TRANSFER"]
    ]
    return _envelope(session, platform, bill, title, transactions, peer)


def prepare_surrender(
    session: Session, platform: Platform, principal: Principal, bill_id: uuid.UUID, note: str | None
) -> PintTransfer:
    """The holder of a bill issued on another platform surrenders it to the carrier there."""
    bill = _holder_bill(session, principal, bill_id)
    if bill.origin_platform is None:
        raise Conflict("the bill was issued on this hub: requestSurrender surrenders it here", field="id")
    pending = _pending(session, bill.id)
    if pending is not None:
        return pending
    peer = _peer(platform, bill.origin_platform)
    title = session.get(PintTitle, bill.id)
    assert title is not None and title.chain
    first = rules.unverified_payload(title.chain[0], "envelopeTransferChain[0]")
    carrier = first["transactions"][0]["actor"]  # who issued it: the ISSUE transaction's actor
    holder = session.get(Organisation, principal.org_id)
    assert holder is not None
    transaction = {
        "actionCode": "SURRENDER_FOR_DELIVERY",
        "actor": party(holder, platform),
        "recipient": carrier,
        "actionDateTime": _now(),
        **({"comments": " ".join(note.split())[:255]} if note and note.strip() else {}),
    }
    return _envelope(
        session, platform, bill, title, [*_steps(session, bill, title, platform), transaction], peer
    )


def prepare_answer(session: Session, platform: Platform, bill: Bill) -> PintTransfer | None:
    """After this hub's issuer answered a surrender that came from another platform: the SACC or SREJ
    envelope back to that platform (None when the surrender was asked for on this hub)."""
    title = session.get(PintTitle, bill.id)
    steps = session.exec(
        select(TitleEntry)
        .where(TitleEntry.bill_id == bill.id)
        .order_by(col(TitleEntry.sequence).desc())
        .limit(2)
    ).all()
    if title is None or not title.remote_party or len(steps) < 2:
        return None
    answer, request = steps
    if answer.action not in (TitleAction.SURRENDER_ACCEPTED, TitleAction.SURRENDER_REJECTED):
        return None
    requested_by = session.get(Organisation, request.by_org_id)
    peer = platform.peer_by_organisation(requested_by.name) if requested_by else None
    if peer is None or requested_by is None or requested_by.type != OrgType.EBL_PLATFORM:
        return None
    transactions = _steps(session, bill, title, platform)
    transactions[-1]["recipient"] = dict(title.remote_party)  # the party that surrendered, over there
    return _envelope(session, platform, bill, title, transactions, peer)


def _said(platform: Platform, peer: Peer, answer: httpx.Response) -> tuple[dict[str, Any], str] | None:
    """The peer's signed answer, verified with its key; None when the answer is not signed."""
    try:
        signed = answer.json()
    except ValueError:
        return None
    if not isinstance(signed, str):
        return None
    try:
        return platform.verify(signed, peer.code, "the answer"), signed
    except Refused as exc:
        raise Conflict(
            f"platform {peer.code}'s answer is not signed by it: {exc.reason}", field="platform"
        ) from exc


def deliver(
    platform: Platform, peer: Peer, transfer: PintTransfer, documents: dict[str, bytes], timeout: float
) -> tuple[str, str, str | None, str | None]:
    """Send a stored envelope to ``peer``: start, the documents it asks for, finish (again, once, if it
    still misses one). Returns the verified response code, the signed answer, its reason and the peer's
    envelope reference; ``Conflict`` when no signed answer came (the transfer stays STARTED)."""
    reference = None
    try:
        with _client(platform, peer, timeout) as client:
            answer = client.post("/v3/envelopes", json=transfer.envelope)
            if answer.status_code == 201:
                started = answer.json()
                reference = str(started["envelopeReference"])
                missing = list(started.get("missingAdditionalDocumentChecksums", []))
                for _ in range(2):
                    for checksum in missing:
                        if checksum in documents:
                            client.put(
                                f"/v3/envelopes/{reference}/additional-documents/{checksum}",
                                json=base64.b64encode(documents[checksum]).decode(),
                            )
                    answer = client.put(f"/v3/envelopes/{reference}/finish-transfer")
                    said = _said(platform, peer, answer)
                    if said is None or said[0].get("responseCode") != "MDOC":
                        break
                    missing = list(said[0].get("missingAdditionalDocumentChecksums", []))
    except httpx.HTTPError as exc:
        raise Conflict(
            f"platform {peer.code} did not answer ({exc}); send again to retry", field="platform"
        ) from exc
    said = _said(platform, peer, answer)
    if said is None:
        raise Conflict(
            f"platform {peer.code} gave no signed answer (HTTP {answer.status_code}); send again to retry",
            field="platform",
        )
    payload, signed = said
    if payload.get("lastEnvelopeTransferChainEntrySignedContentChecksum") != transfer.last_entry_checksum:
        raise Conflict(f"platform {peer.code} answered for another envelope", field="platform")
    return str(payload["responseCode"]), signed, payload.get("reason"), reference


def conclude(
    session: Session,
    platform: Platform,
    transfer_id: uuid.UUID,
    code: str,
    signed: str,
    reason: str | None,
    reference: str | None,
) -> PintTransfer:
    """Record the peer's signed answer; on RECE or DUPE the title has left this hub."""
    transfer = session.get(PintTransfer, transfer_id)
    assert transfer is not None and transfer.bill_id is not None
    if transfer.state != STARTED:
        return transfer
    transfer.response_code, transfer.signed_response, transfer.reason = code, signed, reason
    if reference and transfer.envelope_reference.startswith("pending-"):
        transfer.envelope_reference = reference
    if code in ("INCD", "MDOC"):
        session.add(transfer)
        return transfer  # not final: sending again resends the documents
    transfer.finished_at = utcnow()
    if code not in ("RECE", "DUPE"):
        transfer.state = REJECTED
        session.add(transfer)
        return transfer
    transfer.state = ACCEPTED
    session.add(transfer)
    bill = session.get(Bill, transfer.bill_id)
    title = session.get(PintTitle, transfer.bill_id)
    assert bill is not None and title is not None
    peer = _peer(platform, transfer.peer)
    peer_org = _peer_org(session, peer)
    chain = list(transfer.envelope["envelopeTransferChain"])
    last = rules.unverified_payload(chain[-1], "entry")["transactions"][-1]
    by = bill.holder_org_id or bill.owner_org_id
    title.chain = chain
    title.remote_party = last.get("recipient")
    title.updated_at = utcnow()
    if last["actionCode"] == "SACC":
        pass  # the surrender was answered here already: the other platform now knows
    else:
        if last["actionCode"] == "SURRENDER_FOR_DELIVERY":
            bill.surrender_pending = True
        bill.holder_org_id = peer_org.id
        bill.title_platform = peer.code
        bill.blank_endorsed = bill.blank_endorsed and last["actionCode"] == "TRANSFER"
        action = TitleAction.SURRENDER_REQUESTED if bill.surrender_pending else TitleAction.PLATFORM_SENT
        bills._title(
            session, bill, action, by, peer_org.id, None, {"pintEntry": transfer.last_entry_checksum}
        )
    title.steps_in_chain = _last_step(session, bill.id)
    session.add(title)
    bill.version += 1
    bills._changed(session, bill, "title_platform_sent")
    return transfer


def _last_step(session: Session, bill_id: uuid.UUID) -> int:
    last = session.exec(
        select(TitleEntry.sequence)
        .where(TitleEntry.bill_id == bill_id)
        .order_by(col(TitleEntry.sequence).desc())
    ).first()
    return int(last or 0)


def documents_of(session: Session, transfer_id: uuid.UUID) -> dict[str, bytes]:
    rows = session.exec(select(PintDocument).where(PintDocument.transfer_id == transfer_id)).all()
    return {row.checksum: row.content for row in rows if row.content is not None}


# -- receiving --------------------------------------------------------------------------------------


def _caller(platform: Platform, principal: Principal) -> Peer:
    principal.require(Action.TRANSFER_ENVELOPES)
    peer = platform.peer_by_organisation(principal.org_name)
    if peer is None:
        raise Forbidden(f"{principal.org_name} is not a platform this hub has an agreement with")
    return peer


def validate_party(session: Session, platform: Platform, principal: Principal, body: Any) -> Answer:
    """Receiver validation: the name of the party this platform knows by ``partyCode``, or 404."""
    _caller(platform, principal)
    if not isinstance(body, dict):
        raise Invalid("the body is an IdentifyingCode object", field="body")
    check_schema(body, "body", PINT, "IdentifyingCode")
    org = _account(session, platform, {"identifyingCodes": [body]})
    if org is None:
        raise NotFound("no party with that code accepts eBLs on this platform", field="partyCode")
    return Answer(200, body={"partyName": org.name[:70]})


def _account(session: Session, platform: Platform, who: dict[str, Any]) -> Organisation | None:
    code = rules.party_code(who, platform.code)
    try:
        org = session.get(Organisation, uuid.UUID(code)) if code else None
    except ValueError:
        return None
    return org if org is not None and org.type in _HOLDERS else None


@dataclass
class _Envelope:
    document: dict[str, Any]
    manifest: dict[str, Any]
    chain: list[str]
    entries: list[dict[str, Any]]
    last: str


def _read(platform: Platform, peer: Peer, body: Any) -> _Envelope:
    """Schema, signatures and chain rules; Refused with BENV or BSIG."""
    chain = body.get("envelopeTransferChain") if isinstance(body, dict) else None
    last = (
        rules.signed_checksum(chain[-1])
        if isinstance(chain, list) and chain and isinstance(chain[-1], str) and chain[-1].isascii()
        else rules.document_checksum(b"")
    )
    try:
        check_schema(body, "envelope", PINT, "EblEnvelope")
    except Invalid as exc:
        raise Refused("BENV", exc.message) from None
    assert isinstance(chain, list)
    manifest = platform.verify(
        body["envelopeManifestSignedContent"], peer.code, "envelopeManifestSignedContent"
    )
    entries = []
    for i, signed in enumerate(chain):
        where = f"envelopeTransferChain[{i}]"
        code = str(rules.unverified_payload(signed, where).get("eblPlatform", ""))
        entries.append(platform.verify(signed, code, where))
    try:
        check_schema(manifest, "envelopeManifest", PINT, "EnvelopeManifest")
        for i, entry in enumerate(entries):
            check_schema(entry, f"envelopeTransferChain[{i}]", PINT, "EnvelopeTransferChainEntry")
    except Invalid as exc:
        raise Refused("BENV", exc.message) from None
    if entries[-1]["eblPlatform"] != peer.code:
        raise Refused(
            "BENV",
            f"the last chain entry is platform {entries[-1]['eblPlatform']}'s, the sender is {peer.code}",
        )
    first = entries[0]
    if "issuanceManifestSignedContent" not in first:
        raise Refused("BENV", "envelopeTransferChain[0]: the first entry carries no issuance manifest")
    issuance = platform.verify(
        first["issuanceManifestSignedContent"],
        first["eblPlatform"],
        "envelopeTransferChain[0].issuanceManifestSignedContent",
    )
    rules.check_envelope(body["transportDocument"], manifest, chain, entries, issuance)
    return _Envelope(body["transportDocument"], manifest, chain, entries, last)


@dataclass
class _Plan:
    kind: str  # new, back, surrender, answered
    bill: Bill | None
    recipient: Organisation | None


def _plan(session: Session, platform: Platform, peer: Peer, envelope: _Envelope) -> _Plan:
    """What accepting the envelope would do, or Refused (BENV, DISE)."""
    last = envelope.entries[-1]["transactions"][-1]
    action = last["actionCode"]
    recipient_party = rules.recipient_here(envelope.entries, platform.code)
    recipient = _account(session, platform, recipient_party)
    if recipient is None:
        raise Refused("BENV", "the transferee is not a party on this platform that accepts eBLs")
    known = session.exec(
        select(PintTitle).where(PintTitle.document_checksum == rules.checksum(envelope.document))
    ).first()
    if known is None:
        if action in rules.SURRENDERS or action in ("SACC", "SREJ"):
            raise Refused(
                "BENV", f"{action} is addressed to a platform that does not hold this eBL's surrender"
            )
        number = str(envelope.document.get("transportDocumentReference", ""))
        if session.exec(select(Bill.id).where(Bill.number == number)).first() is not None:
            raise Refused("BENV", f"this platform already has another bill numbered {number}")
        return _Plan("new", None, recipient)
    bill = session.get(Bill, known.bill_id)
    assert bill is not None
    if bill.title_platform is None:
        raise Refused(
            "DISE", "this platform holds the title of this eBL itself: the envelope would spend it twice"
        )
    if bill.title_platform != peer.code:
        raise Refused(
            "DISE", f"the title of this eBL went to platform {bill.title_platform}, not to the sender"
        )
    if envelope.chain[: len(known.chain)] != known.chain:
        raise Refused("DISE", "the envelope lacks transfer chain entries this platform signed or accepted")
    if action in rules.SURRENDERS:
        if recipient.id != bill.owner_org_id:
            raise Refused("BENV", "a surrender is addressed to the carrier that issued the eBL")
        return _Plan("surrender", bill, recipient)
    if action in ("SACC", "SREJ"):
        if not bill.surrender_pending:
            raise Refused("BENV", f"{action} answers a surrender this platform did not request")
        return _Plan("answered", bill, recipient)
    return _Plan("back", bill, recipient)


def _expected(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    documents = list(manifest.get("supportingDocuments") or [])
    if manifest.get("eBLVisualisationByCarrier"):
        documents.append(manifest["eBLVisualisationByCarrier"])
    return documents


def start(session: Session, platform: Platform, principal: Principal, body: Any) -> Answer:
    """POST /v3/envelopes."""
    peer = _caller(platform, principal)
    try:
        envelope = _read(platform, peer, body)
    except Refused as exc:
        last = _last_of(body)
        log.info("pint.refused", peer=peer.code, code=exc.code, reason=exc.reason)
        return _signed_answer(platform, exc.code, last, reason=exc.reason)
    earlier = session.exec(
        select(PintTransfer).where(
            PintTransfer.direction == IN, PintTransfer.last_entry_checksum == envelope.last
        )
    ).first()
    if earlier is not None and earlier.state == ACCEPTED:
        return _signed_answer(
            platform,
            "DUPE",
            envelope.last,
            duplicateOfAcceptedEnvelopeTransferChainEntrySignedContent=earlier.envelope[
                "envelopeTransferChain"
            ][-1],
            receivedAdditionalDocumentChecksums=[d["documentChecksum"] for d in earlier.documents],
            reason="this envelope was accepted before",
        )
    try:
        _plan(session, platform, peer, envelope)
    except Refused as exc:
        log.info("pint.refused", peer=peer.code, code=exc.code, reason=exc.reason)
        return _signed_answer(platform, exc.code, envelope.last, reason=exc.reason)
    if earlier is not None:  # a retry of an envelope that was started (or refused) before
        transfer = earlier
        transfer.envelope, transfer.state, transfer.response_code = body, STARTED, None
    else:
        transfer = PintTransfer(
            direction=IN,
            envelope_reference=secrets.token_urlsafe(30),
            peer=peer.code,
            document_checksum=envelope.manifest["transportDocumentChecksum"],
            last_entry_checksum=envelope.last,
            envelope=body,
            documents=_expected(envelope.manifest),
            state=STARTED,
        )
    session.add(transfer)
    session.flush()
    missing = _missing(session, transfer)
    if not missing:
        return _accept(session, platform, peer, transfer, envelope)
    return Answer(
        201,
        body={
            "envelopeReference": transfer.envelope_reference,
            "transportDocumentChecksum": transfer.document_checksum,
            "lastEnvelopeTransferChainEntrySignedContentChecksum": envelope.last,
            "missingAdditionalDocumentChecksums": missing,
        },
    )


def _last_of(body: Any) -> str:
    chain = body.get("envelopeTransferChain") if isinstance(body, dict) else None
    if isinstance(chain, list) and chain and isinstance(chain[-1], str) and chain[-1].isascii():
        return rules.signed_checksum(chain[-1])
    return rules.document_checksum(b"")


def _missing(session: Session, transfer: PintTransfer) -> list[str]:
    have = {
        row.checksum
        for row in session.exec(select(PintDocument).where(PintDocument.transfer_id == transfer.id)).all()
        if row.content is not None
    }
    return [d["documentChecksum"] for d in transfer.documents if d["documentChecksum"] not in have]


def _inbound(session: Session, peer: Peer, reference: str) -> PintTransfer:
    transfer = session.exec(
        select(PintTransfer).where(PintTransfer.direction == IN, PintTransfer.envelope_reference == reference)
    ).first()
    if transfer is None or transfer.peer != peer.code:
        raise NotFound("no envelope transfer with that reference", field="envelopeReference")
    return transfer


def put_document(
    session: Session, platform: Platform, principal: Principal, reference: str, checksum: str, body: Any
) -> Answer:
    """PUT /v3/envelopes/{ref}/additional-documents/{checksum}: the document, Base64 in a JSON string."""
    peer = _caller(platform, principal)
    transfer = _inbound(session, peer, reference)
    if transfer.state != STARTED:
        return Answer(rules.HTTP_STATUS[transfer.response_code or "RECE"], signed=transfer.signed_response)
    declared = next((d for d in transfer.documents if d["documentChecksum"] == checksum), None)
    if declared is None:
        return _signed_answer(
            platform,
            "INCD",
            transfer.last_entry_checksum,
            reason=f"document {checksum} was not declared in the manifest",
        )
    if not isinstance(body, str):
        raise Invalid("the body is the document in Base64, as a JSON string", field="body")
    try:
        content = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("the body is not Base64", field="body") from None
    if rules.document_checksum(content) != checksum or len(content) != int(declared["size"]):
        return _signed_answer(
            platform,
            "INCD",
            transfer.last_entry_checksum,
            reason=f"the document's SHA-256 or size does not match {checksum} and {declared['size']} bytes",
        )
    row = session.exec(
        select(PintDocument).where(PintDocument.transfer_id == transfer.id, PintDocument.checksum == checksum)
    ).first() or PintDocument(
        transfer_id=transfer.id,
        checksum=checksum,
        name=str(declared["name"])[:200],
        media_type=str(declared["mediaType"])[:100],
        size=len(content),
    )
    row.content, row.received_at = content, utcnow()
    session.add(row)
    return Answer(204)


def finish(session: Session, platform: Platform, principal: Principal, reference: str) -> Answer:
    """PUT /v3/envelopes/{ref}/finish-transfer."""
    peer = _caller(platform, principal)
    transfer = _inbound(session, peer, reference)
    if transfer.state != STARTED:
        return Answer(rules.HTTP_STATUS[transfer.response_code or "RECE"], signed=transfer.signed_response)
    missing = _missing(session, transfer)
    if missing:
        return _signed_answer(
            platform,
            "MDOC",
            transfer.last_entry_checksum,
            missingAdditionalDocumentChecksums=missing,
            reason="send these documents, then finish again",
        )
    try:
        envelope = _read(platform, peer, transfer.envelope)
    except Refused as exc:  # keys changed since the start: refuse as at the start
        return _reject(platform, transfer, exc)
    return _accept(session, platform, peer, transfer, envelope)


def _reject(platform: Platform, transfer: PintTransfer, exc: Refused) -> Answer:
    answer = _signed_answer(platform, exc.code, transfer.last_entry_checksum, reason=exc.reason)
    transfer.state, transfer.response_code, transfer.reason = REJECTED, exc.code, exc.reason
    transfer.signed_response, transfer.finished_at = answer.signed, utcnow()
    return answer


def _accept(
    session: Session, platform: Platform, peer: Peer, transfer: PintTransfer, envelope: _Envelope
) -> Answer:
    """Move the title as the envelope says and store the signed RECE, in one transaction."""
    try:
        with session.begin_nested():  # a refusal half-way leaves no part of a new bill behind
            plan = _plan(session, platform, peer, envelope)
            bill = _apply(session, platform, peer, plan, envelope)
    except Refused as exc:
        answer = _reject(platform, transfer, exc)
        session.add(transfer)
        return answer
    answer = _signed_answer(
        platform,
        "RECE",
        envelope.last,
        receivedAdditionalDocumentChecksums=[d["documentChecksum"] for d in transfer.documents],
    )
    transfer.state, transfer.response_code, transfer.bill_id = ACCEPTED, "RECE", bill.id
    transfer.signed_response, transfer.finished_at = answer.signed, utcnow()
    session.add(transfer)
    log.info("pint.accepted", peer=peer.code, bill=bill.number, kind=plan.kind)
    return answer


def _apply(session: Session, platform: Platform, peer: Peer, plan: _Plan, envelope: _Envelope) -> Bill:
    peer_org = _peer_org(session, peer)
    last = envelope.entries[-1]["transactions"][-1]
    actor = last["actor"]
    assert plan.recipient is not None
    extra = {"pintEntry": envelope.last}
    if plan.kind == "new":
        bill = _bill_from(session, envelope, peer_org, plan.recipient)
        bills._title(
            session, bill, TitleAction.PLATFORM_RECEIVED, peer_org.id, plan.recipient.id, None, extra
        )
        title = PintTitle(
            bill_id=bill.id,
            document_checksum=rules.checksum(envelope.document),
            transport_document=envelope.document,
        )
    else:
        assert plan.bill is not None
        bill = plan.bill
        known = session.get(PintTitle, bill.id)
        assert known is not None
        title = known
        if plan.kind == "surrender":
            bill.title_platform, bill.surrender_pending = None, True
            bills._title(
                session, bill, TitleAction.SURRENDER_REQUESTED, peer_org.id, plan.recipient.id, None, extra
            )
        elif plan.kind == "answered" and last["actionCode"] == "SACC":
            bill.title_platform, bill.surrender_pending, bill.holder_org_id = None, False, None
            bill.state = BillState.SURRENDERED
            bills._title(
                session, bill, TitleAction.SURRENDER_ACCEPTED, peer_org.id, None, last.get("comments"), extra
            )
        elif plan.kind == "answered":
            bill.title_platform, bill.surrender_pending, bill.holder_org_id = None, False, plan.recipient.id
            bills._title(
                session,
                bill,
                TitleAction.SURRENDER_REJECTED,
                peer_org.id,
                plan.recipient.id,
                last.get("comments"),
                extra,
            )
        else:
            bill.title_platform, bill.holder_org_id = None, plan.recipient.id
            bill.blank_endorsed = last["actionCode"] == "TRANSFER" and not any(
                t["actionCode"].startswith("ENDORSE") for t in envelope.entries[-1]["transactions"]
            )
            bills._title(
                session, bill, TitleAction.PLATFORM_RECEIVED, peer_org.id, plan.recipient.id, None, extra
            )
        bill.version += 1
    title.chain = envelope.chain
    title.remote_party = actor
    title.updated_at = utcnow()
    session.add(title)
    session.flush()
    title.steps_in_chain = _last_step(session, bill.id)
    bills._changed(session, bill, "title_platform_received")
    return bill


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value + "T00:00:00+00:00") if len(value) == 10 else None
    except ValueError:
        return None


def _weight(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _bill_from(session: Session, envelope: _Envelope, peer_org: Organisation, holder: Organisation) -> Bill:
    """A bill new to this hub, from the transport document (the hub's own record of it, when the sender
    is a hub, travels beside it as a supporting document). Refused BENV when it is not a bill the hub
    can hold (a container number failing ISO 6346, a port that is not a UN/LOCODE)."""
    document = envelope.document
    parties = document.get("documentParties", {})
    transports = document.get("transports", {})
    legs = []
    receipt = (transports.get("placeOfReceipt") or {}).get("location", {}).get("UNLocationCode")
    loading = transports["portOfLoading"].get("UNLocationCode")
    discharge = transports["portOfDischarge"].get("UNLocationCode")
    delivery = (transports.get("placeOfDelivery") or {}).get("location", {}).get("UNLocationCode")
    onward = (transports.get("onwardInlandRouting") or {}).get("UNLocationCode")
    modes = {"RAIL": "RAIL", "TRUCK": "ROAD", "BARGE": "BARGE"}
    if receipt and loading and receipt != loading:
        legs.append(bills.LegInput(modes.get(transports.get("preCarriageBy", ""), "ROAD"), receipt, loading))
    voyage = (transports.get("vesselVoyages") or [{}])[0]
    legs.append(
        bills.LegInput(
            "SEA",
            loading or "",
            discharge or "",
            vessel_name=voyage.get("vesselName"),
            voyage=voyage.get("carrierExportVoyageNumber"),
            planned_departure=_when(transports.get("plannedDepartureDate")),
            planned_arrival=_when(transports.get("plannedArrivalDate")),
        )
    )
    end = onward or delivery
    if end and discharge and end != discharge:
        legs.append(bills.LegInput(modes.get(transports.get("onCarriageBy", ""), "ROAD"), discharge, end))
    containers = tuple(
        bills.ContainerInput(
            number=str(u["equipment"]["equipmentReference"]),
            iso_size_type=str(u["equipment"].get("ISOEquipmentCode") or "22G1"),
            seals=tuple(str(s["number"]) for s in u.get("seals", [])),
            tare_weight_kg=_weight(u["equipment"]["tareWeight"]["value"])
            if u["equipment"].get("tareWeight")
            else None,
        )
        for u in document.get("utilizedTransportEquipments", [])
    )
    cargo = tuple(
        bills.CargoInput(
            hs_code=str((item.get("HSCodes") or ["000000"])[0]),
            description="; ".join(item.get("descriptionOfGoods", []))[:500] or "goods",
            packages=int(cargo_item.get("outerPackaging", {}).get("numberOfPackages") or 1),
            package_type=str(cargo_item.get("outerPackaging", {}).get("description") or "packages")[:30],
            gross_weight_kg=_weight(cargo_item.get("cargoGrossWeight", {}).get("value")),
            container_number=str(cargo_item.get("equipmentReference")),
        )
        for item in document.get("consignmentItems", [])
        for cargo_item in item.get("cargoItems", [])
    )
    consignee = parties.get("consignee") or {}
    notify = (parties.get("notifyParties") or [{}])[0]
    data = bills.BillInput(
        number=str(document["transportDocumentReference"]),
        negotiable=bool(document.get("isToOrder")),
        shipper=bills.Party(name=str(parties.get("shipper", {}).get("partyName") or "shipper")),
        consignee=bills.Party(name=str(consignee["partyName"])) if consignee.get("partyName") else None,
        notify=bills.Party(name=str(notify["partyName"])) if notify.get("partyName") else None,
        legs=tuple(legs),
        containers=containers,
        cargo=cargo,
        place_of_receipt=receipt,
        place_of_delivery=delivery,
    )
    bill = Bill(
        owner_org_id=peer_org.id,
        number="",
        negotiable=data.negotiable,
        state=BillState.IN_TRANSIT if document.get("isShippedOnBoardType") else BillState.ISSUED,
        shipper_name="",
        origin_platform=str(envelope.entries[0]["eblPlatform"]),
        holder_org_id=holder.id,
        issued_at=utcnow(),
    )
    try:
        bills._apply_header(session, bill, data)
        session.add(bill)
        session.flush()
        bills._replace_parts(session, bill, data)
        session.flush()
    except HubError as exc:
        raise Refused("BENV", f"the transport document cannot be held here: {exc}") from None
    return bill


# -- the sender's whole round, for the API ---------------------------------------------------------


def _round(state: HubState, plat: Platform, peer: Peer, transfer_id: uuid.UUID) -> PintTransfer:
    """Deliver a stored envelope and record the answer; outside any open transaction, since it waits on
    the peer."""
    with state.session() as session:
        transfer = session.get(PintTransfer, transfer_id)
        assert transfer is not None
        documents = documents_of(session, transfer_id)
    code, signed, reason, reference = deliver(
        plat, peer, transfer, documents, state.settings.pint_request_timeout
    )
    with state.session() as session:
        concluded = conclude(session, plat, transfer_id, code, signed, reason, reference)
        session.commit()
        return concluded


def send_title(
    state: HubState, principal: Principal, bill_id: uuid.UUID, code: str, party_code: str, note: str | None
) -> PintTransfer:
    """``sendTitleToPlatform``: the holder's title to ``party_code`` on platform ``code``."""
    plat = platform(state.settings)
    peer = _peer(plat, code)
    if not party_code.strip() or len(party_code) > 150:
        raise Invalid(
            "partyCode: the party's account on that platform, 1 to 150 characters", field="partyCode"
        )
    with state.session() as session:
        _holder_bill(session, principal, bill_id)  # refuse before calling anyone
    name = validate_receiver(plat, peer, party_code.strip(), state.settings.pint_request_timeout)
    with state.session() as session:
        transfer = prepare_send(session, plat, principal, bill_id, peer, party_code.strip(), name, note)
        session.commit()
        transfer_id = transfer.id
    return _round(state, plat, peer, transfer_id)


def surrender_to_platform(
    state: HubState, principal: Principal, bill_id: uuid.UUID, note: str | None
) -> PintTransfer:
    """``surrenderToPlatform``: the holder surrenders a bill issued on another platform to its carrier."""
    plat = platform(state.settings)
    with state.session() as session:
        transfer = prepare_surrender(session, plat, principal, bill_id, note)
        session.commit()
        transfer_id, code = transfer.id, transfer.peer
    return _round(state, plat, _peer(plat, code), transfer_id)


def answer_platform(state: HubState, bill_id: uuid.UUID) -> PintTransfer | None:
    """After the issuer answered a surrender from another platform: tell that platform (SACC or SREJ)."""
    plat = platform(state.settings)
    with state.session() as session:
        bill = session.get(Bill, bill_id)
        transfer = prepare_answer(session, plat, bill) if bill is not None else None
        if transfer is None:
            return None
        session.commit()
        transfer_id, code = transfer.id, transfer.peer
    return _round(state, plat, _peer(plat, code), transfer_id)


def retry(state: HubState, principal: Principal, transfer_id: uuid.UUID) -> PintTransfer:
    """Send a transfer that got no signed answer again (the same envelope: the peer answers DUPE if it had
    taken it). The bill's holder or issuer may."""
    plat = platform(state.settings)
    principal.require(Action.WRITE_RECORDS)
    with state.session() as session:
        transfer = session.get(PintTransfer, transfer_id)
        bill = session.get(Bill, transfer.bill_id) if transfer and transfer.bill_id else None
        if transfer is None or bill is None or transfer.direction != OUT:
            raise NotFound("no transfer of yours with that id", field="id")
        if principal.org_id not in (bill.holder_org_id, bill.owner_org_id):
            raise NotFound("no transfer of yours with that id", field="id")
        if transfer.state != STARTED:
            return transfer
    return _round(state, plat, _peer(plat, transfer.peer), transfer_id)


def transfers_of(session: Session, bill_id: uuid.UUID) -> list[PintTransfer]:
    """The bill's envelope transfers, oldest first."""
    return list(
        session.exec(
            select(PintTransfer).where(PintTransfer.bill_id == bill_id).order_by(col(PintTransfer.created_at))
        )
    )

"""The data classes of every field the hub holds: one table, read by reviewers and applied on every read.

Each record kind's anchored form (``hub.records.canonical``) is the list of its fields; this table gives
each path in it a class. A path names a key (``traderName``), a key inside an object (``head.buyerName``)
or inside every element of a list (``lines[].price``); a path also covers everything below it
(``history`` covers ``history[].at``). ``tests/test_governance.py`` fails when a field of a model, of a
CEB message or of the demo scenario has no class here.

The classes, from the region's graded data rules, as they apply to a trade hub:

- PUBLIC: already published by whoever produced it (vessel names and IMO numbers, port calls, event types,
  UN/LOCODEs). Anyone the record is shared with sees it.
- GENERAL: what a party needs to route, match and track the trade (references, enterprise codes and names,
  states, dates, container numbers, HS codes). Shares at ``GENERAL`` and above see it, and it may cross
  the border without a transfer rule.
- IMPORTANT: commercial values and what they buy (prices, amounts, tax, goods descriptions, quantities,
  financing terms and the evidence behind them). Shares at ``IMPORTANT`` and above see it; crossing the
  border needs a transfer rule a regulator approved.
- CORE: customs' reasons for holds and decisions (risk targeting). Only shares at ``CORE`` see it, and
  only under a transfer rule abroad.
- PERSONAL: a natural person's name, identity document, telephone or address (buyers, payers, parcel
  consignees). It has no rank: a share sees it only when it names it and a purpose, and abroad only under
  a transfer rule that names personal information.

A field that arrives without a class here (a CEB field added after this table) is treated as CORE: masked
from every share below CORE and held back at the border, until a reviewer classes it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping


class DataClass(enum.StrEnum):
    """How sensitive a field is; the first four are ranked, PERSONAL stands apart."""

    PUBLIC = "PUBLIC"
    GENERAL = "GENERAL"
    IMPORTANT = "IMPORTANT"
    CORE = "CORE"
    PERSONAL = "PERSONAL"

    @property
    def rank(self) -> int:
        """PUBLIC 0 .. CORE 3; PERSONAL is ranked with CORE (only a grant that names it sees it)."""
        return _RANK[self]


_RANK = {
    DataClass.PUBLIC: 0,
    DataClass.GENERAL: 1,
    DataClass.IMPORTANT: 2,
    DataClass.CORE: 3,
    DataClass.PERSONAL: 3,
}
UNCLASSED = DataClass.CORE

P, G, IM, C, PI = (
    DataClass.PUBLIC,
    DataClass.GENERAL,
    DataClass.IMPORTANT,
    DataClass.CORE,
    DataClass.PERSONAL,
)

# CEB message fields shared by the order, payment, waybill and inventory heads.
_CEB_APP = {"guid": G, "appType": G, "appTime": G, "appStatus": G, "note": IM}
_CEB_GOODS_LINE = {
    "gnum": G,
    "itemNo": G,
    "itemRecordNo": G,
    "itemName": IM,
    "itemDescribe": IM,
    "gname": IM,
    "gmodel": IM,
    "gcode": G,
    "hsCode": G,
    "legalQty": IM,  # platform orders: the quantity in the legal unit of measure
    "legalUnit": G,
    "barCode": G,
    "unit": G,
    "unit1": G,
    "unit2": G,
    "qty": IM,
    "qty1": IM,
    "qty2": IM,
    "price": IM,
    "totalPrice": IM,
    "currency": G,
    "country": G,
    "tradeCountry": G,
    "note": IM,
}


def _under(prefix: str, fields: Mapping[str, DataClass]) -> dict[str, DataClass]:
    return {f"{prefix}{name}": value for name, value in fields.items()}


# Columns every record table has: its id, owner, version and times. The hub's own bookkeeping.
_ROW = {"id": G, "ownerOrgId": G, "version": G, "createdAt": G, "updatedAt": G}
# What the hub derives from a CEB document and keeps beside it (not anchored, read through the API).
_CEB_STATE = {"customsStatus": G, "customsInfo": IM}

# Each kind: its anchored form's fields, then the columns of its table that the anchored form does not
# carry (named as the API spells them), so that every field a reader can be shown has a class.
CLASSES: dict[str, dict[str, DataClass]] = {
    "bill": {
        **_ROW,
        "shipperName": G,
        "shipperOrgId": G,
        "consigneeName": G,
        "consigneeOrgId": G,
        "notifyName": G,
        "notifyOrgId": G,
        "ownerOrgId": G,
        "id": G,
        "number": G,
        "negotiable": G,
        "state": G,
        "issuerOrgId": G,
        "shipper": G,
        "consignee": G,
        "notify": G,
        "placeOfReceipt": P,
        "placeOfDelivery": P,
        "holderOrgId": G,
        "blankEndorsed": G,
        "surrenderPending": G,
        "issuedAt": G,
        "version": G,
        "legs": P,
        "containers": G,
        "cargo[].sequence": G,
        "cargo[].hsCode": G,
        "cargo[].description": IM,
        "cargo[].packages": G,
        "cargo[].packageType": G,
        "cargo[].grossWeightKg": G,
        "cargo[].value": IM,
        "cargo[].currency": G,
        "cargo[].containerNumber": G,
        "title": G,
        "originPlatform": G,
        "titlePlatform": G,
    },
    "ceb_order": {
        **_ROW,
        **_CEB_STATE,
        "ebpCode": G,
        "ebcCode": G,
        "orderNo": G,
        "buyerIdNumber": PI,
        "matchStatus": G,
        "matchProblems": IM,
        "customsValue": IM,
        "limitStatus": G,
        "tax": IM,
        "ownerOrgId": G,
        "source": G,
        **_under("head.", _CEB_APP),
        "head.orderType": G,
        "head.orderNo": G,
        "head.ebpCode": G,
        "head.ebpName": G,
        "head.ebcCode": G,
        "head.ebcName": G,
        "head.goodsValue": IM,
        "head.freight": IM,
        "head.discount": IM,
        "head.taxTotal": IM,
        "head.acturalPaid": IM,
        "head.currency": G,
        "head.buyerRegNo": PI,
        "head.buyerName": PI,
        "head.buyerTelephone": PI,
        "head.buyerIdType": PI,
        "head.buyerIdNumber": PI,
        "head.payCode": G,
        "head.payName": G,
        "head.payTransactionId": G,
        "head.batchNumbers": G,
        "head.consignee": PI,
        "head.consigneeTelephone": PI,
        "head.consigneeAddress": PI,
        "head.consigneeDistrict": PI,
        **_under("lines[].", _CEB_GOODS_LINE),
    },
    "ceb_payment": {
        **_ROW,
        **_CEB_STATE,
        "payCode": G,
        "payTransactionId": G,
        "ebpCode": G,
        "orderNo": G,
        "ownerOrgId": G,
        **_under("head.", _CEB_APP),
        "head.payCode": G,
        "head.payName": G,
        "head.payTransactionId": G,
        "head.orderNo": G,
        "head.ebpCode": G,
        "head.ebpName": G,
        "head.payerIdType": PI,
        "head.payerIdNumber": PI,
        "head.payerName": PI,
        "head.telephone": PI,
        "head.amountPaid": IM,
        "head.currency": G,
        "head.payTime": G,
    },
    "ceb_waybill": {
        **_ROW,
        **_CEB_STATE,
        "logisticsCode": G,
        "logisticsNo": G,
        "orderNo": G,
        "billNo": G,
        "ownerOrgId": G,
        "containerNumber": G,
        **_under("head.", _CEB_APP),
        "head.logisticsCode": G,
        "head.logisticsName": G,
        "head.logisticsNo": G,
        "head.billNo": G,
        "head.orderNo": G,
        "head.freight": IM,
        "head.insuredFee": IM,
        "head.currency": G,
        "head.weight": G,
        "head.packNo": G,
        "head.goodsInfo": IM,
        "head.consignee": PI,
        "head.consigneeAddress": PI,
        "head.consigneeTelephone": PI,
    },
    "ceb_inventory": {
        **_ROW,
        "ebpCode": G,
        "customsCode": G,
        "quotaYear": G,
        "quotaAmount": IM,
        "ownerOrgId": G,
        "orderId": G,
        "waybillId": G,
        "billId": G,
        "containerNumber": G,
        "copNo": G,
        "status": G,
        "preNo": G,
        "invtNo": G,
        "messageId": G,
        **_under("head.", _CEB_APP),
        "head.orderNo": G,
        "head.ebpCode": G,
        "head.ebpName": G,
        "head.ebcCode": G,
        "head.ebcName": G,
        "head.logisticsNo": G,
        "head.logisticsCode": G,
        "head.logisticsName": G,
        "head.copNo": G,
        "head.preNo": G,
        "head.assureCode": G,
        "head.emsNo": G,
        "head.invtNo": G,
        "head.ieFlag": G,
        "head.declTime": G,
        "head.customsCode": G,
        "head.portCode": G,
        "head.ieDate": G,
        "head.buyerIdType": PI,
        "head.buyerIdNumber": PI,
        "head.buyerName": PI,
        "head.buyerTelephone": PI,
        "head.consigneeAddress": PI,
        "head.agentCode": G,
        "head.agentName": G,
        "head.areaCode": G,
        "head.areaName": G,
        "head.tradeMode": G,
        "head.trafMode": G,
        "head.trafNo": P,
        "head.voyageNo": P,
        "head.billNo": G,
        "head.loctNo": G,
        "head.licenseNo": G,
        "head.country": G,
        "head.freight": IM,
        "head.insuredFee": IM,
        "head.currency": G,
        "head.wrapType": G,
        "head.packNo": G,
        "head.grossWeight": G,
        "head.netWeight": G,
        **_under("lines[].", _CEB_GOODS_LINE),
        "receipts[].copNo": G,
        "receipts[].returnStatus": G,
        "receipts[].returnTime": G,
        "receipts[].returnInfo": IM,
        "receipts[].receivedAt": G,
        "receipts[].status": G,
        "receipts[].preNo": G,
        "receipts[].invtNo": G,
    },
    "document": {
        **_ROW,
        "id": G,
        "ownerOrgId": G,
        "kind": G,
        "reference": G,
        "title": G,
        "issuedOn": G,
        "amount": IM,
        "currency": G,
        "contentSha256": G,
        "version": G,
    },
    "receivable": {
        **_ROW,
        "ownerOrgId": G,
        "creditorCode": G,
        "creditorName": G,
        "debtorName": G,
        "debtorCode": G,
        "invoiceNumber": G,
        "blindedId": G,
        "amount": IM,
        "currency": G,
        "issueDate": G,
        "dueDate": G,
        "evidence": IM,
        "status": G,
        "lenderOrgId": G,
        "history": IM,
        "conditions": IM,
        "disbursedAt": IM,
        "repayDaysAfterDelivery": IM,
        "deliveredAt": G,
        "repaymentDue": IM,
        "awaiting": G,
        "titleBillId": G,
    },
    "customs_declaration": {
        **_ROW,
        "ownerOrgId": G,
        "reference": G,
        "direction": G,
        "customsCode": G,
        "traderName": G,
        "traderUscc": G,
        "billNumber": G,
        "vesselName": P,
        "voyage": P,
        "unLocationCode": P,
        "containers": G,
        "items[].hsCode": G,
        "items[].description": IM,
        "items[].quantity": IM,
        "items[].unit": G,
        "items[].value": IM,
        "items[].currency": G,
        "items[].originCountry": G,
        "state": G,
        "reasons": C,
        "customsNumber": G,
        "billId": G,
        "sources": G,  # which record each field was taken from
    },
    "customs_decision": {
        **_ROW,
        "ownerOrgId": G,
        "declarationId": G,
        "kind": G,
        "reasons": C,
        "containers": G,
        "source": G,
        "sourceReference": G,
        "decidedAt": G,
    },
    "port_call": {
        **_ROW,
        "ownerOrgId": G,
        "unLocationCode": P,
        "vesselIMO": P,
        "portVisitReference": P,
        "terminalCode": P,
        "berth": P,
        "eta": P,
        "etb": P,
        "etd": P,
        "ata": P,
        "atb": P,
        "atd": P,
        # Columns beside the anchored form: the DCSA JIT port call's own identifiers and state.
        "vesselImo": P,
        "carrierServiceCode": P,
        "exportVoyage": P,
        "importVoyage": P,
        "jitPortCallId": G,
        "transportCallReference": P,
        "statusCode": P,
        "details": G,
    },
    "tracking_event": {
        **_ROW,
        "ownerOrgId": G,
        "sourceKey": G,
        "eventType": P,
        "classifier": P,
        "typeCode": P,
        "equipmentReference": G,
        "isoEquipmentCode": G,
        "emptyIndicator": G,
        "movementType": G,
        "unLocationCode": P,
        "facilityCode": P,
        "facilityProvider": P,
        "locationName": P,
        "modeOfTransport": P,
        "transportCallId": P,
        "vesselName": P,
        "vesselImo": P,
        "vesselCallSign": P,
        "carrierCode": P,
        "carrierServiceCode": P,
        "exportVoyage": P,
        "importVoyage": P,
        "vehicleReference": G,
        "bookingReference": G,
        "transportDocumentReference": G,
        "documentTypeCode": G,
        "eventDateTime": G,
        "eventCreatedDateTime": G,
        "sourceUpdatedDateTime": G,
        "seals": G,
        "flags": G,
        # Columns as the table spells them, and where the event came from.
        "eventDatetime": G,
        "eventCreatedDatetime": G,
        "sourceUpdatedDatetime": G,
        "containerId": G,
        "messageType": G,
        "sourceFormat": G,
    },
    "data_transfer": {
        **_ROW,
        "ownerOrgId": G,
        "channel": G,
        "toOrgId": G,
        "toCountry": G,
        "recordKind": G,
        "recordIds": G,
        "classes": G,
        "ruleId": G,
        "purpose": G,
        "at": G,
    },
}


def class_of(kind: str, path: str) -> DataClass | None:
    """The class of ``path`` in records of ``kind``: its own entry or its nearest ancestor's; None when
    neither is in the table."""
    table = CLASSES.get(kind, {})
    probe = path
    while True:
        found = table.get(probe)
        if found is not None:
            return found
        cut = max(probe.rfind("."), probe.rfind("[]"))
        if cut <= 0:
            return None
        probe = probe[:cut]


def paths_of(value: object, prefix: str = "") -> Iterable[str]:
    """Every leaf path of a canonical form, lists written ``[]``, as the table names them."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_of(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):  # an empty list carries nothing to class
        for item in value:
            yield from paths_of(item, f"{prefix}[]")
    else:
        yield prefix


def classes_in(kind: str, content: Mapping[str, object]) -> set[DataClass]:
    """The classes of the fields that ``content`` (a canonical form or part of one) actually carries."""
    return {class_of(kind, path) or UNCLASSED for path in paths_of(dict(content)) if path}

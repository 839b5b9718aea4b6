"""The shapes of the China customs cross-border import messages (CEB, 202205 revision) the hub reads and writes.

Each message is a root element holding 1..100 business records; a record is either a head plus 1..99
lines (311 order, 621 inventory list), a head alone (411 payment, 511 waybill), or flat fields
(the receipts 312, 412, 512, 622). Field order, optionality, kinds and lengths follow
``ceb_import_202205.xsd``; a field is written as ``name`` plus markers:

- ``?`` optional (minOccurs 0); without it the field is required and, for text, may not be empty
  unless the XSD allows an empty value (marked ``~``);
- ``#`` decimal (at most 19 digits, 5 after the point), ``%`` integer; otherwise text;
- ``:N`` at most N characters, ``=N`` exactly N characters.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "http://www.chinaport.gov.cn/ceb"
DSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One element of a record."""

    name: str
    kind: str  # "text", "decimal" or "int"
    required: bool
    max_length: int | None = None
    exact_length: int | None = None
    may_be_empty: bool = False


def _fields(spec: str) -> tuple[FieldSpec, ...]:
    result = []
    for token in spec.split():
        exact = maximum = None
        if "=" in token:
            token, size = token.split("=")
            exact = int(size)
        elif ":" in token:
            token, size = token.split(":")
            maximum = int(size)
        kind = "decimal" if "#" in token else "int" if "%" in token else "text"
        name = token.strip("?#%~")
        result.append(
            FieldSpec(
                name=name,
                kind=kind,
                required="?" not in token,
                max_length=maximum,
                exact_length=exact,
                may_be_empty="~" in token,
            )
        )
    return tuple(result)


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """One CEB message type."""

    code: str  # "CEB311"
    record: str  # the repeated business record element
    head: str | None  # the head element inside a record, None for flat receipts
    head_fields: tuple[FieldSpec, ...]
    lines: str | None = None  # the repeated line element inside a record
    line_fields: tuple[FieldSpec, ...] = ()
    transfer: bool = True  # data messages carry BaseTransfer; receipts do not
    signature: str = "none"  # "none", "optional" or "required" (an enveloped xmldsig Signature)

    @property
    def root(self) -> str:
        return f"{self.code}Message"

    @property
    def is_receipt(self) -> bool:
        return self.head is None


_APP = "guid=36 appType=1 appTime=14 appStatus:3"

ORDER_HEAD = _fields(
    f"{_APP} orderType=1 orderNo:60 ebpCode:18 ebpName:100 ebcCode:18 ebcName:100 goodsValue# freight# "
    "discount# taxTotal# acturalPaid# currency=3 buyerRegNo:60 buyerName:60 buyerTelephone:30 "
    "buyerIdType=1 buyerIdNumber:60 payCode?:18 payName?:100 payTransactionId?:60 batchNumbers?:100 "
    "consignee:100 consigneeTelephone:50 consigneeAddress:200 consigneeDistrict?=6 note?:1000"
)
ORDER_LINE = _fields(
    "gnum% itemNo?:30 itemName:250 gmodel:510 itemDescribe?:1000 barCode?:50 unit=3 qty# price# "
    "totalPrice# currency=3 country=3 note?:1000"
)
PAYMENT_HEAD = _fields(
    f"{_APP} payCode:18 payName:100 payTransactionId:60 orderNo:60 ebpCode:18 ebpName:100 payerIdType=1 "
    "payerIdNumber:60 payerName:60 telephone?:60 amountPaid# currency=3 payTime=14 note?:1000"
)
WAYBILL_HEAD = _fields(
    f"{_APP} logisticsCode:18 logisticsName:100 logisticsNo:60 billNo?:37 orderNo:60 freight?# "
    "insuredFee?# currency=3 weight# packNo% goodsInfo?:200 consignee:100 consigneeAddress:200 "
    "consigneeTelephone:50 note?:1000"
)
INVENTORY_HEAD = _fields(
    f"{_APP} orderNo:60 ebpCode:18 ebpName:100 ebcCode:18 ebcName:100 logisticsNo:60 logisticsCode:18 "
    "logisticsName:100 copNo?:20 preNo?:18 assureCode:30 emsNo?:30 invtNo?:18 ieFlag=1 declTime=8 "
    "customsCode=4 portCode=4 ieDate?=8 buyerIdType=1 buyerIdNumber:60 buyerName:60 buyerTelephone:30 "
    "consigneeAddress:200 agentCode:18 agentName:100 areaCode?:18 areaName?:100 tradeMode=4 trafMode=1 "
    "trafNo?:100 voyageNo?:32 billNo?:37 loctNo?:10 licenseNo?:19 country=3 freight# insuredFee# "
    "currency=3 wrapType?=1 packNo% grossWeight# netWeight# note?:1000"
)
INVENTORY_LINE = _fields(
    "gnum% itemRecordNo?:30 itemNo?:20 itemName?:250 gcode=10 gname:250 gmodel:510 barCode?:50 "
    "country=3 tradeCountry?:3 currency=3 qty# unit=3 qty1# unit1=3 qty2?# unit2?=3 price# totalPrice# "
    "note?:1000"
)
_RETURN = "returnStatus:10 returnTime=17 returnInfo:1000"
ORDER_RETURN = _fields(f"guid=36 ebpCode:18 ebcCode:18 orderNo:60 {_RETURN}")
PAYMENT_RETURN = _fields(f"guid=36 payCode:18 payTransactionId:60 {_RETURN}")
WAYBILL_RETURN = _fields(f"guid=36 logisticsCode:18 logisticsNo:60 {_RETURN}")
INVENTORY_RETURN = _fields(
    f"guid=36 customsCode?=4 ebpCode?:18 ebcCode?:18 agentCode?:18 copNo:20 preNo=18 invtNo?=18 {_RETURN}"
)
TRANSFER = _fields("copCode:18 copName~:100 dxpMode=3 dxpId~:30 note?:1000")

MESSAGES: dict[str, MessageSpec] = {
    spec.code: spec
    for spec in (
        MessageSpec("CEB311", "Order", "OrderHead", ORDER_HEAD, "OrderList", ORDER_LINE),
        MessageSpec("CEB411", "Payment", "PaymentHead", PAYMENT_HEAD, signature="optional"),
        MessageSpec("CEB511", "Logistics", "LogisticsHead", WAYBILL_HEAD, signature="optional"),
        MessageSpec(
            "CEB621",
            "Inventory",
            "InventoryHead",
            INVENTORY_HEAD,
            "InventoryList",
            INVENTORY_LINE,
            signature="required",
        ),
        MessageSpec("CEB312", "OrderReturn", None, ORDER_RETURN, transfer=False),
        MessageSpec("CEB412", "PaymentReturn", None, PAYMENT_RETURN, transfer=False),
        MessageSpec("CEB512", "LogisticsReturn", None, WAYBILL_RETURN, transfer=False),
        MessageSpec("CEB622", "InventoryReturn", None, INVENTORY_RETURN, transfer=False),
    )
}
MAX_RECORDS = 100
MAX_LINES = 99

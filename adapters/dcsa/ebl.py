"""The hub's through bill as a DCSA eBL 3.0 transport document (``TransportDocument`` of EBL_v3.0.4.yaml).

A pure translation from the bill's anchored view (``hub.bills.service.canonical_view``) and what DCSA
needs that a hub bill does not carry: the issuing party's address and carrier code, its terms and
conditions. The mapping:

- the bill number is the ``transportDocumentReference`` and, as the hub takes no bookings, also each
  consignment item's ``carrierBookingReference``;
- a negotiable (to order) bill is a ``BOL`` with ``isToOrder``; a straight one a ``BOL`` without; it is
  "shipped on board" once the bill is in transit (its sea leg loaded), "received for shipment" before;
- the sea leg gives the ports of loading and discharge, the vessel and voyage and the planned dates; a
  rail or road leg before it is the pre-carriage, after it the on-carriage; delivery by road to the
  consignee's door is ``SD``, otherwise the container yard (``CY``); every container travels full (``FCL``);
- parties: the shipper; the consignee of a straight bill (an organisation on the hub: DCSA names it by a code); the current holder of an endorsed to-order
  bill as the ``endorsee``; the notify party; hub organisations are identified by their hub id
  (``codeListProvider`` ``ZZZ``, mutually defined), since DCSA's code lists do not know them;
- each cargo line is a consignment item with one cargo item in its container; each container is a
  utilized transport equipment with its seals (DCSA requires at least one).

What a bill lacks for DCSA (no sea leg, a container without a seal, a reference longer than 20
characters) is refused with ``NotRepresentable`` naming the place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The hub's bill states as DCSA's transportDocumentStatus.
_STATUS = {
    "DRAFT": "DRAFT",
    "ISSUED": "ISSUED",
    "IN_TRANSIT": "ISSUED",
    "DELIVERED": "ISSUED",
    "SURRENDERED": "SURRENDERED_FOR_DELIVERY",
    "VOID": "VOIDED",
}
_ON_BOARD = {"IN_TRANSIT", "DELIVERED", "SURRENDERED"}
_MODE = {"RAIL": "RAIL", "ROAD": "TRUCK", "BARGE": "BARGE", "SEA": "VESSEL"}


class NotRepresentable(ValueError):
    """The bill cannot be written as an eBL 3.0 transport document; ``field`` is where."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Issuer:
    """The issuing party as DCSA wants it: the bill's issuer, with what the hub's directory records."""

    name: str
    street: str
    city: str
    country_code: str
    carrier_code: str
    carrier_code_list_provider: str  # SMDG or NMFTA
    terms_and_conditions: str
    email: str  # DCSA needs an email or a telephone number to contact the issuer's documentation desk
    post_code: str | None = None


def _party(name: str, org_id: str | None) -> dict[str, Any]:
    party: dict[str, Any] = {"partyName": name[:70]}
    if org_id:
        party["identifyingCodes"] = [{"codeListProvider": "ZZZ", "partyCode": org_id, "codeListName": "hub"}]
    return party


def _date(moment: str | None, where: str) -> str:
    if not moment:
        raise NotRepresentable(f"{where}: DCSA needs a planned date", field=where)
    return moment[:10]


def transport_document(
    bill: dict[str, Any], issuer: Issuer, *, holder: tuple[str, str] | None = None
) -> dict[str, Any]:
    """The eBL 3.0 TransportDocument of ``bill`` (a canonical bill view); ``holder`` is the current
    holder's (name, organisation id) of a to-order bill, shown as the endorsee once it was endorsed."""
    number = str(bill["number"])
    if len(number) > 20:
        raise NotRepresentable(
            "number: a DCSA transport document reference is at most 20 characters", "number"
        )
    legs = sorted(bill["legs"], key=lambda leg: leg["sequence"])
    sea = [leg for leg in legs if leg["mode"] == "SEA"]
    if not sea:
        raise NotRepresentable("legs: an eBL 3.0 transport document needs a sea leg", "legs")
    first_sea, last_sea = sea[0], sea[-1]
    if not first_sea.get("vesselName") or not first_sea.get("voyage"):
        raise NotRepresentable(
            f"legs[{first_sea['sequence']}]: the sea leg needs its vessel and voyage", "legs"
        )
    before = [leg for leg in legs if leg["sequence"] < first_sea["sequence"]]
    after = [leg for leg in legs if leg["sequence"] > last_sea["sequence"]]
    transports: dict[str, Any] = {
        "plannedDepartureDate": _date(
            first_sea.get("plannedDeparture"), f"legs[{first_sea['sequence']}].plannedDeparture"
        ),
        "plannedArrivalDate": _date(
            last_sea.get("plannedArrival"), f"legs[{last_sea['sequence']}].plannedArrival"
        ),
        "portOfLoading": {"UNLocationCode": first_sea["from"]},
        "portOfDischarge": {"UNLocationCode": last_sea["to"]},
        "vesselVoyages": [
            {"vesselName": leg["vesselName"], "carrierExportVoyageNumber": leg["voyage"]}
            for leg in sea
            if leg.get("vesselName") and leg.get("voyage")
        ],
    }
    if bill.get("placeOfReceipt") and bill["placeOfReceipt"] != first_sea["from"]:
        transports["placeOfReceipt"] = {"location": {"UNLocationCode": bill["placeOfReceipt"]}}
    if bill.get("placeOfDelivery") and bill["placeOfDelivery"] != last_sea["to"]:
        transports["placeOfDelivery"] = {"location": {"UNLocationCode": bill["placeOfDelivery"]}}
    if before:
        transports["preCarriageBy"] = _MODE.get(before[0]["mode"], "MULTIMODAL")
    if after:
        modes = {leg["mode"] for leg in after}
        transports["onCarriageBy"] = (
            _MODE.get(after[0]["mode"], "MULTIMODAL") if len(modes) == 1 else "MULTIMODAL"
        )
        transports["onwardInlandRouting"] = {"UNLocationCode": after[-1]["to"]}
    parties: dict[str, Any] = {
        "shipper": _party(bill["shipper"]["name"], bill["shipper"].get("orgId")),
        "issuingParty": {
            "partyName": issuer.name[:70],
            "address": {
                "street": issuer.street,
                "city": issuer.city,
                "countryCode": issuer.country_code,
                **({"postCode": issuer.post_code} if issuer.post_code else {}),
            },
        },
    }
    to_order = bool(bill["negotiable"])
    consignee = bill.get("consignee") or {}
    if not to_order:
        if not consignee.get("name"):
            raise NotRepresentable("consignee: a straight bill names its consignee", "consignee")
        if not consignee.get("orgId"):
            raise NotRepresentable(
                "consignee: an eBL names its consignee by an identifying code; name an organisation on the hub",
                "consignee",
            )
        parties["consignee"] = _party(consignee["name"], consignee["orgId"])
    elif holder is not None and holder[1] != bill["shipper"].get("orgId"):
        parties["endorsee"] = _party(holder[0], holder[1])
    notify = bill.get("notify") or {}
    if notify.get("name"):
        parties["notifyParties"] = [{"partyName": notify["name"][:70]}]
    containers = {c["number"]: c for c in bill["containers"]}
    equipments = []
    for i, c in enumerate(bill["containers"]):
        if not c["seals"]:
            raise NotRepresentable(
                f"containers[{i}] {c['number']}: DCSA needs at least one seal", f"containers[{i}].seals"
            )
        equipment: dict[str, Any] = {"equipmentReference": c["number"], "ISOEquipmentCode": c["isoSizeType"]}
        if c.get("tareWeightKg"):
            equipment["tareWeight"] = {"value": float(c["tareWeightKg"]), "unit": "KGM"}
        equipments.append(
            {
                "equipment": equipment,
                "isShipperOwned": False,
                "seals": [{"number": s[:15]} for s in c["seals"]],
            }
        )
    if not equipments:
        raise NotRepresentable(
            "containers: an eBL 3.0 transport document carries at least one container", "containers"
        )
    items = []
    for i, line in enumerate(bill["cargo"]):
        box = line.get("containerNumber") or (
            bill["containers"][0]["number"] if len(containers) == 1 else None
        )
        if box is None:
            raise NotRepresentable(
                f"cargo[{i}]: which container carries this line", f"cargo[{i}].containerNumber"
            )
        items.append(
            {
                "carrierBookingReference": number,
                "descriptionOfGoods": [line["description"][:5000]],
                "HSCodes": [line["hsCode"]],
                "cargoItems": [
                    {
                        "equipmentReference": box,
                        "cargoGrossWeight": {"value": float(line["grossWeightKg"]), "unit": "KGM"},
                        "outerPackaging": {
                            "numberOfPackages": line["packages"],
                            "description": line["packageType"][:100],
                        },
                    }
                ],
            }
        )
    if not items:
        raise NotRepresentable("cargo: an eBL 3.0 transport document describes the goods", "cargo")
    status = "PENDING_SURRENDER_FOR_DELIVERY" if bill.get("surrenderPending") else _STATUS[str(bill["state"])]
    last_mode = legs[-1]["mode"]
    document: dict[str, Any] = {
        "transportDocumentReference": number,
        "transportDocumentStatus": status,
        "transportDocumentTypeCode": "BOL",
        "isShippedOnBoardType": bill["state"] in _ON_BOARD,
        "isElectronic": True,
        "isToOrder": to_order,
        "invoicePayableAt": {"UNLocationCode": bill.get("placeOfReceipt") or first_sea["from"]},
        "partyContactDetails": [{"name": issuer.name[:35], "email": issuer.email}],
        "documentParties": parties,
        "consignmentItems": items,
        "utilizedTransportEquipments": equipments,
        "termsAndConditions": issuer.terms_and_conditions,
        "receiptTypeAtOrigin": "CY",
        "deliveryTypeAtDestination": "SD" if last_mode == "ROAD" else "CY",
        "cargoMovementTypeAtOrigin": "FCL",
        "cargoMovementTypeAtDestination": "FCL",
        "carrierCode": issuer.carrier_code,
        "carrierCodeListProvider": issuer.carrier_code_list_provider,
        "transports": transports,
    }
    if bill.get("issuedAt"):
        document["issueDate"] = str(bill["issuedAt"])[:10]
    return document

"""Customs decisions from customs systems: a JSON response, or an EDIFACT CUSRES.

JSON (the hub's documented shape)::

    {"decisions": [{"reference": "<declarant's reference>" | "declarationId": "<hub id>",
                    "customsNumber": "...", "decision": "ACCEPT|INSPECT|SCAN|HOLD|RELEASE|REJECT",
                    "reasons": ["..."], "containers": ["MSCU6639870"], "decidedAt": "2026-11-20T08:00:00Z"}]}

CUSRES (UN/EDIFACT, ``shared/DOMAIN.md`` §1.2): the status in ``GIS`` 7365 (1 accepted, 2/3 rejected,
4 goods released, 5 required for examination, 7 detained); ``RFF+ABT`` the customs declaration number;
``RFF+ACW`` the reference of the declaration answered (the declarant's reference: a hub convention, as
CUSRES leaves the qualifier to the implementation guide); ``ERC``/``FTX`` the reasons; ``EQD+CN`` the
containers concerned (all of the declaration's when none are named).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from adapters import jsonio
from adapters.text import refuse_nul_in_json
from hub.errors import Invalid

KINDS = ("ACCEPT", "INSPECT", "SCAN", "HOLD", "RELEASE", "REJECT")
_GIS = {"1": "ACCEPT", "2": "REJECT", "3": "REJECT", "4": "RELEASE", "5": "INSPECT", "7": "HOLD"}


@dataclass(frozen=True)
class DecisionCommand:
    """One decision on one declaration."""

    where: str
    kind: str
    reference: str | None = None  # the declarant's reference
    declaration_id: str | None = None
    customs_number: str | None = None
    reasons: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()
    decided_at: datetime | None = None


def parse_json(data: bytes) -> list[DecisionCommand]:
    """Decisions from the JSON response shape above."""
    body = jsonio.loads(data)
    refuse_nul_in_json(data, body)
    items = body.get("decisions") if isinstance(body, dict) and "decisions" in body else [body]
    if not isinstance(items, list) or not items:
        raise Invalid('expected {"decisions": [...]}', field="$.decisions")
    result = []
    for index, item in enumerate(items):
        path = f"$.decisions[{index}]"
        if not isinstance(item, dict):
            raise Invalid(f"{path}: expected an object", field=path)
        kind = str(item.get("decision") or "").upper()
        if kind not in KINDS:
            raise Invalid(
                f"{path}.decision: {item.get('decision')!r} is not one of {', '.join(KINDS)}",
                field=f"{path}.decision",
            )
        if not item.get("reference") and not item.get("declarationId"):
            raise Invalid(f"{path}: name the declaration (reference or declarationId)", field=path)
        decided = None
        if item.get("decidedAt"):
            try:
                decided = datetime.fromisoformat(str(item["decidedAt"]).replace("Z", "+00:00"))
            except ValueError as exc:
                raise Invalid(
                    f"{path}.decidedAt: not an ISO 8601 date-time", field=f"{path}.decidedAt"
                ) from exc
        reasons = item.get("reasons") or []
        containers = item.get("containers") or []
        if not isinstance(reasons, list) or not isinstance(containers, list):
            raise Invalid(f"{path}: reasons and containers are lists", field=path)
        result.append(
            DecisionCommand(
                where=path,
                kind=kind,
                reference=item.get("reference"),
                declaration_id=item.get("declarationId"),
                customs_number=item.get("customsNumber"),
                reasons=tuple(str(r)[:500] for r in reasons),
                containers=tuple(str(c).strip().upper() for c in containers),
                decided_at=decided,
            )
        )
    return result


@dataclass
class _Draft:
    where: str
    kind: str | None = None
    reference: str | None = None
    customs_number: str | None = None
    decided_at: datetime | None = None
    reasons: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)

    def command(self) -> DecisionCommand:
        if not self.kind:
            raise Invalid(f"{self.where}: the CUSRES message has no GIS status", field=self.where)
        if not self.reference and not self.customs_number:
            raise Invalid(
                f"{self.where}: the CUSRES message names no declaration (RFF+ACW or RFF+ABT)",
                field=self.where,
            )
        return DecisionCommand(
            where=self.where,
            kind=self.kind,
            reference=self.reference,
            customs_number=self.customs_number,
            reasons=tuple(self.reasons),
            containers=tuple(self.containers),
            decided_at=self.decided_at,
        )


def parse_cusres(data: bytes) -> list[DecisionCommand]:
    """Decisions from a CUSRES interchange (one per message)."""
    from adapters.edifact.reader import _decode, _fail, _segments, _time

    result: list[DecisionCommand] = []
    current: _Draft | None = None
    for seg in _segments(_decode(data)):
        if seg.tag == "UNH":
            if current is not None:
                result.append(current.command())
            if seg.el(1, 0) != "CUSRES":
                raise _fail(seg, f"expected a CUSRES message, got {seg.el(1, 0)!r}")
            current = _Draft(seg.where())
        elif current is None:
            continue
        elif seg.tag == "GIS":
            code = seg.el(0, 0)
            if code not in _GIS:
                raise _fail(seg, f"processing indicator {code!r} is not one of {', '.join(sorted(_GIS))}")
            current.kind = _GIS[code]
        elif seg.tag == "RFF" and seg.el(0, 0) == "ABT":
            current.customs_number = seg.el(0, 1)
        elif seg.tag == "RFF" and seg.el(0, 0) == "ACW":
            current.reference = seg.el(0, 1)
        elif seg.tag == "DTM" and seg.el(0, 0) in ("137", "182"):
            current.decided_at = _time(seg)
        elif seg.tag == "ERC":
            current.reasons.append(f"error {seg.el(0, 0)}")
        elif seg.tag == "FTX":
            text = " ".join(seg.el(3, i) for i in range(5) if seg.el(3, i)).strip()
            if text:
                current.reasons.append(text[:500])
        elif seg.tag == "EQD" and seg.el(0) == "CN":
            current.containers.append(seg.el(1).strip().upper())
        elif seg.tag == "UNT":
            result.append(current.command())
            current = None
    if current is not None:
        result.append(current.command())
    if not result:
        raise Invalid("the interchange holds no CUSRES message", field="segment 1")
    return result

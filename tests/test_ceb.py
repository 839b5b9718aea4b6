"""The CEB adapter against the official samples and the customs XSD, and against hostile or broken XML."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import xmlschema
from lxml import etree
from signxml.exceptions import InvalidDigest, InvalidSignature

from adapters.ceb import detect, parse, render
from adapters.ceb.sign import DsigSigner
from adapters.ceb.xml import CebMessage, _plain_utf8, _tree, new_guids
from hub.commerce.match import check_order
from hub.errors import Invalid
from tests.fixtures import CEB, CEB_XSD, read

SAMPLES = sorted(p.name for p in CEB.glob("CEB*.xml"))


@lru_cache(maxsize=1)
def schema() -> Any:
    return xmlschema.XMLSchema(str(CEB_XSD))


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> DsigSigner:
    return DsigSigner.development(tmp_path_factory.mktemp("ceb-key"))


def test_all_eight_message_types_are_in_the_samples() -> None:
    assert [name[:6] for name in SAMPLES] == [
        "CEB311",
        "CEB312",
        "CEB411",
        "CEB412",
        "CEB511",
        "CEB512",
        "CEB621",
        "CEB622",
    ]


def test_guids_are_random_version_4_uuids_in_upper_case_as_the_samples_write_them() -> None:
    guids = new_guids(2000)
    assert len(set(guids)) == 2000
    shape = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}")
    for guid in guids:
        assert shape.fullmatch(guid), guid
        assert uuid.UUID(guid).version == 4 and str(uuid.UUID(guid)).upper() == guid
    # Every random bit varies: over 2,000 guids, each hex digit outside the fixed ones takes many values.
    for position in (0, 7, 9, 15, 20, 35):
        assert len({g[position] for g in guids}) > 8, position
    assert new_guids(0) == []


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_round_trips_into_xml_that_the_xsd_accepts(name: str, signer: DsigSigner) -> None:
    original = parse(read(CEB / name))
    written = render(original, signer)
    errors = [str(e)[:300] for e in schema().iter_errors(written.decode())]
    assert errors == []
    again = parse(written)
    assert again.code == original.code == name[:6] == detect(written)
    assert [(r.head, r.lines) for r in again.records] == [(r.head, r.lines) for r in original.records]
    assert again.transfer == original.transfer


def test_the_order_sample_has_a_bom_and_its_values_come_back_typed() -> None:
    data = read(CEB / "CEB311Message.xml")
    assert data.startswith(b"\xef\xbb\xbf")
    message = parse(data)
    first = message.records[0]
    assert len(message.records) == 6 and first.head["orderNo"] == "order20160321116421002"
    assert first.head["acturalPaid"] == 19050 and first.lines[1]["totalPrice"] == 12000
    assert first.head["consigneeDistrict"] == "072750" and first.lines[0]["note"] == ""


def test_the_arithmetic_mistake_in_the_official_order_is_reported_not_a_crash() -> None:
    first = parse(read(CEB / "CEB311Message.xml")).records[0]
    problems = check_order(first.head, first.lines, tolerance=Decimal("0.01"))
    assert [(p.code, p.field, p.expected, p.found) for p in problems] == [
        ("ARITHMETIC", "OrderList[2].totalPrice", "2000", "12000")
    ]
    assert "200 x 10 = 2000" in problems[0].message


def test_the_written_inventory_list_carries_a_signature_that_verifies(
    signer: DsigSigner, tmp_path: Path
) -> None:
    written = render(parse(read(CEB / "CEB621Message.xml")), signer)
    assert b"ds:Signature" in written and b"rsa-sha256" in written
    signer.verify(written)
    tampered = written.replace(b"<ceb:qty>", b"<ceb:qty>9", 1)
    with pytest.raises((InvalidSignature, InvalidDigest)):
        signer.verify(tampered)
    other = DsigSigner.development(tmp_path)
    with pytest.raises(InvalidSignature):
        other.verify(written)


def test_an_inventory_list_is_not_written_without_a_signer() -> None:
    with pytest.raises(Invalid, match="must be signed"):
        render(parse(read(CEB / "CEB621Message.xml")))


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ceb:CEB312Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="x"><ceb:OrderReturn><ceb:guid>&lol3;</ceb:guid>
</ceb:OrderReturn></ceb:CEB312Message>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<ceb:CEB312Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="x"><ceb:OrderReturn><ceb:guid>&x;</ceb:guid>
</ceb:OrderReturn></ceb:CEB312Message>"""


HOSTILE = {
    "entity-expansion": BOMB,
    "external-entity": EXTERNAL,
    # The same in encodings where "<!DOCTYPE" is not those bytes, and with the declaration not first.
    "utf-16": BOMB.decode().replace('"1.0"?>', '"1.0" encoding="UTF-16"?>').encode("utf-16"),
    "utf-16-le-no-bom": BOMB.decode().replace('"1.0"?>', '"1.0" encoding="UTF-16LE"?>').encode("utf-16-le"),
    "latin-1": BOMB.replace(b'"1.0"?>', b'"1.0" encoding="ISO-8859-1"?>'),
    "no-declaration": BOMB.split(b"\n", 1)[1],
}


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_xml_is_refused_before_anything_is_expanded(payload: bytes) -> None:
    with pytest.raises(Invalid, match="DTD, entities or external references"):
        parse(payload)


@pytest.mark.parametrize("name", SAMPLES)
def test_the_fast_and_the_defused_parser_read_the_same_message(name: str) -> None:
    import defusedxml.ElementTree as safe_et

    data = read(CEB / name).removeprefix(b"\xef\xbb\xbf")
    fast = ElementTree.tostring(_tree(data))
    assert fast == ElementTree.tostring(safe_et.fromstring(data))
    # In UTF-16 the same message goes through defusedxml, and reads the same.
    wide = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert not _plain_utf8(wide) and _plain_utf8(data)
    assert ElementTree.tostring(_tree(wide)) == fast


def _broken(old: bytes, new: bytes, count: int = 1) -> bytes:
    data = read(CEB / "CEB411Message.xml")
    assert old in data
    return data.replace(old, new, count)


def test_broken_records_are_refused_whole_with_the_place_of_each_problem() -> None:
    data = read(CEB / "CEB411Message.xml")
    second = data.index(b"<ceb:Payment>", data.index(b"<ceb:Payment>") + 1)
    broken = data[:second] + data[second:].replace(b"<ceb:amountPaid>", b"<ceb:amountPaid>x", 1)
    with pytest.raises(Invalid) as refused:
        parse(broken)
    assert refused.value.field == "CEB411Message/Payment[2]/PaymentHead/amountPaid"
    assert "is not a decimal" in refused.value.message and "nothing stored" in refused.value.message
    start = data.index(b"<ceb:orderNo>")
    end = data.index(b"</ceb:orderNo>") + len(b"</ceb:orderNo>")
    with pytest.raises(Invalid) as missing:
        parse(data[:start] + data[end:])
    assert missing.value.field == "CEB411Message/Payment[1]/PaymentHead/orderNo"
    assert "is missing" in missing.value.message


def test_xml_that_is_not_well_formed_names_the_line() -> None:
    with pytest.raises(Invalid) as refused:
        parse(_broken(b"</ceb:payCode>", b"</ceb:payCod>"))
    assert refused.value.message.startswith("line ") and "not well-formed" in refused.value.message


def test_a_message_of_another_kind_or_namespace_is_refused() -> None:
    with pytest.raises(Invalid, match="not a CEB message"):
        parse(b"<Invoice xmlns='urn:x'/>")
    with pytest.raises(Invalid, match="expected a CEB311"):
        parse(read(CEB / "CEB411Message.xml"), expect="CEB311")


def test_markup_in_values_is_escaped_and_comes_back_as_sent(signer: DsigSigner) -> None:
    message = parse(read(CEB / next(n for n in SAMPLES if n.startswith("CEB511"))))
    message.records[0].head["consigneeAddress"] = 'Flat 3 <B> & "C", 大连\r'
    written = render(message, signer)
    assert [str(e)[:300] for e in schema().iter_errors(written.decode())] == []
    assert parse(written).records[0].head["consigneeAddress"] == 'Flat 3 <B> & "C", 大连'


def _unsigned(message: CebMessage) -> bytes:
    """What ``render`` hands the signer (or would, for a message that is not signed)."""
    handed: list[bytes] = []

    def keep(document: bytes) -> bytes:
        handed.append(document)
        return document

    written = render(message, keep)
    return handed[0] if handed else written.split(b"\n", 1)[1]


@pytest.mark.parametrize("name", SAMPLES)
def test_what_is_written_is_already_canonical_xml_so_the_signer_digests_it_as_it_stands(name: str) -> None:
    message = parse(read(CEB / name))
    head = message.records[0].head
    text_field = next(k for k, v in head.items() if isinstance(v, str) and k not in ("guid", "appTime"))
    head[text_field] = "a <b> & \"c\" 'd' \t tab, 大连\r"
    message.guid = 'G"U<I>D&\t\n\r'
    document = _unsigned(message)
    assert etree.tostring(etree.fromstring(document), method="c14n") == document


def test_a_control_character_is_refused_with_its_place(signer: DsigSigner) -> None:
    message = parse(read(CEB / next(n for n in SAMPLES if n.startswith("CEB511"))))
    message.records[0].head["consigneeAddress"] = "bell \x07"
    with pytest.raises(Invalid, match=r"Logistics\[1\]/LogisticsHead/consigneeAddress: holds a character"):
        render(message, signer)


def test_a_signing_key_that_is_not_rsa_is_refused_when_the_signer_is_made(signer: DsigSigner) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="must be an RSA key"):
        DsigSigner(key, signer.cert_pem)

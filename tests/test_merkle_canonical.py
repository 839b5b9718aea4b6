"""The canonical form and the Merkle tree: what outsiders recompute, and what the contract accepts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.canonical import canonical_json, envelope, keccak, leaf_hash, record_hash
from ledger import merkle
from ledger.chain import EmbeddedChain


def test_canonical_json_is_sorted_compact_and_utf8() -> None:
    value = {"b": 1, "a": {"z": None, "é": "大连港"}, "c": [True, "x"]}
    assert canonical_json(value) == '{"a":{"z":null,"é":"大连港"},"b":1,"c":[true,"x"]}'.encode()


@pytest.mark.parametrize("bad", [{"amount": 1.5}, {"nested": [{"x": 0.1}]}, {1: "int key"}])
def test_values_without_a_canonical_form_are_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        canonical_json(bad)


def test_the_record_hash_binds_kind_id_and_version() -> None:
    record = {"title": "Invoice"}
    base = record_hash(envelope("document", "7c1d3c1e-0000-4000-8000-000000000001", 1, record))
    assert base != record_hash(envelope("document", "7c1d3c1e-0000-4000-8000-000000000001", 2, record))
    assert base != record_hash(envelope("bill", "7c1d3c1e-0000-4000-8000-000000000001", 1, record))
    # keccak256, not SHA3-256: the empty string's well-known keccak.
    assert keccak(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 100])
def test_every_proof_leads_to_the_root(size: int) -> None:
    leaves = [leaf_hash(keccak(str(i).encode())) for i in range(size)]
    levels = merkle.build(leaves)
    root = merkle.root(levels)
    for i, leaf in enumerate(leaves):
        assert merkle.verify(leaf, merkle.proof(levels, i), root)
    assert not merkle.verify(leaf_hash(b"intruder" * 4), merkle.proof(levels, 0), root)
    assert merkle.unpack(merkle.pack(levels)) == levels


def test_a_corrupt_stored_tree_is_refused() -> None:
    packed = merkle.pack(
        merkle.build([leaf_hash(keccak(b"a")), leaf_hash(keccak(b"b")), leaf_hash(keccak(b"c"))])
    )
    with pytest.raises(ValueError, match="corrupt"):
        merkle.unpack(packed[:-1])


@pytest.mark.parametrize("size", [1, 2, 3, 6, 33])
def test_openzeppelin_merkleproof_accepts_our_proofs(size: int, embedded_chain: EmbeddedChain) -> None:
    embedded_chain.deploy_registry()
    leaves = [leaf_hash(keccak(f"record {size} {i}".encode())) for i in range(size)]
    levels = merkle.build(leaves)
    root = merkle.root(levels)
    embedded_chain.transact(
        embedded_chain.registry.functions.anchor(root, size).build_transaction(
            embedded_chain._tx_fields(gas=200_000)
        )  # type: ignore[arg-type]
    )
    for i in range(size):
        assert embedded_chain.verify_on_chain(root, leaves[i], merkle.proof(levels, i))
    assert not embedded_chain.verify_on_chain(root, leaf_hash(b"x" * 32), merkle.proof(levels, 0))


def test_committed_contract_artifacts_match_a_fresh_build() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ledger.build", "--check"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=1500, deadline=None)
@given(_JSON)
def test_canonical_bytes_are_the_standard_librarys(value: object) -> None:
    # The fast encoder must not change a single byte of what was, and will be, hashed.
    try:
        expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 form, refused either way
        with pytest.raises((UnicodeEncodeError, TypeError)):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_a_lone_surrogate_has_no_canonical_form() -> None:
    with pytest.raises(UnicodeEncodeError):
        canonical_json({"name": "\ud800"})

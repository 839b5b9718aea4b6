"""Merkle trees whose proofs OpenZeppelin's ``MerkleProof.verify`` accepts.

Parents are ``keccak256(min(a, b) || max(a, b))`` (sorted pairs), so a proof is just the list of siblings
from the leaf up, with no left/right flags. A node without a sibling is carried up unchanged. Leaves keep
the order they are given in.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.canonical import keccak


def parent(a: bytes, b: bytes) -> bytes:
    """The sorted-pair parent of two nodes."""
    return keccak(a + b if a <= b else b + a)


def build(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, root last."""
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    levels = [list(leaves)]
    level = levels[0]
    while len(level) > 1:
        nxt = [parent(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        levels.append(nxt)
        level = nxt
    return levels


def root(levels: Sequence[Sequence[bytes]]) -> bytes:
    """The root of a built tree."""
    return levels[-1][0]


def proof(levels: Sequence[Sequence[bytes]], index: int) -> list[bytes]:
    """The siblings of leaf ``index``, from the bottom up."""
    if not 0 <= index < len(levels[0]):
        raise IndexError(f"leaf {index} is not in a tree of {len(levels[0])} leaves")
    siblings = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            siblings.append(level[sibling])
        index //= 2
    return siblings


def verify(leaf: bytes, siblings: Sequence[bytes], expected_root: bytes) -> bool:
    """True when ``siblings`` lead from ``leaf`` to ``expected_root``."""
    node = leaf
    for sibling in siblings:
        node = parent(node, sibling)
    return node == expected_root


def pack(levels: Sequence[Sequence[bytes]]) -> bytes:
    """Serialise a tree for storage: the leaf count, then every level's nodes."""
    count = len(levels[0]).to_bytes(4, "big")
    return count + b"".join(b"".join(level) for level in levels)


def unpack(blob: bytes) -> list[list[bytes]]:
    """The levels of a tree stored by ``pack``."""
    n = int.from_bytes(blob[:4], "big")
    levels, offset = [], 4
    while True:
        level = [blob[offset + 32 * i : offset + 32 * (i + 1)] for i in range(n)]
        levels.append(level)
        offset += 32 * n
        if n == 1:
            break
        n = (n + 1) // 2
    if offset != len(blob):
        raise ValueError("the stored tree is corrupt")
    return levels

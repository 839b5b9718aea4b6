// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title AnchorRegistry
/// @notice Records Merkle roots of batches of hub records. Everything a verifier needs is in contract
///         storage (not only in logs), so a proof can be checked with one eth_call on any node.
contract AnchorRegistry is AccessControl {
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    struct Anchor {
        uint64 recordCount;
        uint64 anchoredAt; // block timestamp; zero means "never anchored"
        uint64 blockNumber;
        address submitter;
    }

    mapping(bytes32 root => Anchor) private _anchors;
    uint256 public anchorCount;

    event RootAnchored(bytes32 indexed root, uint64 recordCount, address indexed submitter, uint64 anchoredAt);

    error RootAlreadyAnchored(bytes32 root);
    error EmptyBatch();
    error ZeroRoot();

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, admin);
    }

    /// @notice Anchor a batch root. A root is anchored once; a second attempt reverts, which is what
    ///         makes a retried submission safe.
    function anchor(bytes32 root, uint64 recordCount) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0)) revert ZeroRoot();
        if (recordCount == 0) revert EmptyBatch();
        if (_anchors[root].anchoredAt != 0) revert RootAlreadyAnchored(root);
        _anchors[root] = Anchor(recordCount, uint64(block.timestamp), uint64(block.number), msg.sender);
        anchorCount += 1;
        emit RootAnchored(root, recordCount, msg.sender, uint64(block.timestamp));
    }

    /// @notice The stored facts about a root (all zero when it was never anchored).
    function anchorOf(bytes32 root)
        external
        view
        returns (uint64 recordCount, uint64 anchoredAt, uint64 blockNumber, address submitter)
    {
        Anchor storage a = _anchors[root];
        return (a.recordCount, a.anchoredAt, a.blockNumber, a.submitter);
    }

    function isAnchored(bytes32 root) external view returns (bool) {
        return _anchors[root].anchoredAt != 0;
    }

    /// @notice True when `leaf` is in the tree of an anchored `root` (OpenZeppelin sorted-pair proofs).
    function verify(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external view returns (bool) {
        return _anchors[root].anchoredAt != 0 && MerkleProof.verifyCalldata(proof, root, leaf);
    }
}

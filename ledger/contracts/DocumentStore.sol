// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title DocumentStore
/// @notice The OpenAttestation document store interface TradeTrust's verifiers call: a Merkle root of
///         wrapped documents is issued once, and a root or a document's target hash may be revoked. The
///         hub's registrar issues the roots of the documents it exports and revokes for their issuers.
contract DocumentStore is AccessControl {
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    string public name;
    mapping(bytes32 document => uint256 blockNumber) public documentIssued;
    mapping(bytes32 document => uint256 blockNumber) public documentRevoked;

    event DocumentIssued(bytes32 indexed document);
    event DocumentRevoked(bytes32 indexed document);

    error AlreadyIssued(bytes32 document);
    error NotIssued(bytes32 document);
    error AlreadyRevoked(bytes32 document);

    constructor(address admin) {
        name = "Port and trade single-window hub";
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ISSUER_ROLE, admin);
    }

    function issue(bytes32 document) external onlyRole(ISSUER_ROLE) {
        if (documentIssued[document] != 0) revert AlreadyIssued(document);
        documentIssued[document] = block.number;
        emit DocumentIssued(document);
    }

    /// @notice Revoke a Merkle root, or one document of a batch by its target hash.
    function revoke(bytes32 document) external onlyRole(ISSUER_ROLE) {
        if (documentRevoked[document] != 0) revert AlreadyRevoked(document);
        documentRevoked[document] = block.number;
        emit DocumentRevoked(document);
    }

    function isIssued(bytes32 document) external view returns (bool) {
        return documentIssued[document] != 0;
    }

    function isRevoked(bytes32 document) external view returns (bool) {
        return documentRevoked[document] != 0;
    }
}

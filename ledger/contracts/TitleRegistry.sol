// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title TitleRegistry
/// @notice The current holder of each negotiable title issued through the hub, in the spirit of
///         TradeTrust's title escrow: anyone can read who holds a bill's title, in which state, at which
///         step of its endorsement chain. Holders and issuers are keccak256 references of hub
///         organisations; titles are keccak256 references of bills (see README "Title on chain").
contract TitleRegistry is AccessControl {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    enum Status {
        None,
        Active,
        SurrenderPending,
        Surrendered,
        Void
    }

    struct Title {
        bytes32 issuer;
        bytes32 holder;
        uint64 version; // the step of the endorsement chain: 1 is the issue
        uint64 updatedAt;
        Status status;
        bool blankEndorsed;
    }

    mapping(bytes32 titleId => Title) private _titles;

    event TitleRecorded(bytes32 indexed titleId, bytes32 indexed holder, uint64 version, Status status, bool blankEndorsed);

    error StaleVersion(bytes32 titleId, uint64 current, uint64 given);
    error TitleClosed(bytes32 titleId);
    error IssuerChanged(bytes32 titleId);

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, admin);
    }

    /// @notice Record the next step of a title. Steps arrive in order, each exactly once: a replayed or
    ///         out-of-order step reverts with StaleVersion, a step after surrender or void with TitleClosed.
    function record(bytes32 titleId, bytes32 issuer, bytes32 holder, uint64 version, Status status, bool blankEndorsed)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        Title storage t = _titles[titleId];
        if (version != t.version + 1) revert StaleVersion(titleId, t.version, version);
        if (t.status == Status.Surrendered || t.status == Status.Void) revert TitleClosed(titleId);
        if (t.version == 0) {
            t.issuer = issuer;
        } else if (t.issuer != issuer) {
            revert IssuerChanged(titleId);
        }
        t.holder = holder;
        t.version = version;
        t.status = status;
        t.blankEndorsed = blankEndorsed;
        t.updatedAt = uint64(block.timestamp);
        emit TitleRecorded(titleId, holder, version, status, blankEndorsed);
    }

    function titleOf(bytes32 titleId)
        external
        view
        returns (bytes32 issuer, bytes32 holder, uint64 version, Status status, bool blankEndorsed, uint64 updatedAt)
    {
        Title storage t = _titles[titleId];
        return (t.issuer, t.holder, t.version, t.status, t.blankEndorsed, t.updatedAt);
    }
}

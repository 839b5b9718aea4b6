// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title ReceivableRegistry
/// @notice One entry per trade receivable, keyed by a blinded identifier (a keyed hash of the normalised
///         invoice identity), so that a second registration or a second pledge of the same invoice is
///         refused without anyone seeing the invoice. Lenders are keccak256 references of hub
///         organisations. A receivable is pledged to at most one lender at a time: the check and the
///         change happen in one transaction, so of two racing pledges exactly one succeeds.
contract ReceivableRegistry is AccessControl {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    enum Status {
        None,
        Registered, // known, free to pledge
        Pledged, // financed by `lender`
        Settled // paid by the debtor while pledged: closed for good
    }

    struct Receivable {
        Status status;
        bytes32 lender;
        uint64 registeredAt;
        uint64 changedAt;
        uint32 pledges; // how many times it has been pledged
    }

    mapping(bytes32 receivableId => Receivable) private _receivables;

    event ReceivableRegistered(bytes32 indexed receivableId);
    event ReceivablePledged(bytes32 indexed receivableId, bytes32 indexed lender);
    event ReceivableReleased(bytes32 indexed receivableId, bytes32 indexed lender);
    event ReceivableSettled(bytes32 indexed receivableId, bytes32 indexed lender);
    event ReceivableTransferred(bytes32 indexed receivableId, bytes32 indexed from, bytes32 indexed to);

    error AlreadyRegistered(bytes32 receivableId);
    error NotRegistered(bytes32 receivableId);
    error AlreadyPledged(bytes32 receivableId, bytes32 lender);
    error NotPledged(bytes32 receivableId);
    error NotTheLender(bytes32 receivableId, bytes32 lender);
    error ReceivableSettledAlready(bytes32 receivableId);

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, admin);
    }

    function register(bytes32 receivableId) external onlyRole(REGISTRAR_ROLE) {
        Receivable storage r = _receivables[receivableId];
        if (r.status != Status.None) revert AlreadyRegistered(receivableId);
        r.status = Status.Registered;
        r.registeredAt = uint64(block.timestamp);
        r.changedAt = uint64(block.timestamp);
        emit ReceivableRegistered(receivableId);
    }

    /// @notice Pledge to `lender`; reverts with AlreadyPledged when any lender holds it.
    function pledge(bytes32 receivableId, bytes32 lender) external onlyRole(REGISTRAR_ROLE) {
        Receivable storage r = _receivables[receivableId];
        if (r.status == Status.None) revert NotRegistered(receivableId);
        if (r.status == Status.Settled) revert ReceivableSettledAlready(receivableId);
        if (r.status == Status.Pledged) revert AlreadyPledged(receivableId, r.lender);
        r.status = Status.Pledged;
        r.lender = lender;
        r.pledges += 1;
        r.changedAt = uint64(block.timestamp);
        emit ReceivablePledged(receivableId, lender);
    }

    /// @notice The financing was repaid: the receivable is free again.
    function release(bytes32 receivableId, bytes32 lender) external onlyRole(REGISTRAR_ROLE) {
        Receivable storage r = _lent(receivableId, lender);
        r.status = Status.Registered;
        r.lender = bytes32(0);
        r.changedAt = uint64(block.timestamp);
        emit ReceivableReleased(receivableId, lender);
    }

    /// @notice The debtor paid the lender: closed for good.
    function settle(bytes32 receivableId, bytes32 lender) external onlyRole(REGISTRAR_ROLE) {
        Receivable storage r = _lent(receivableId, lender);
        r.status = Status.Settled;
        r.changedAt = uint64(block.timestamp);
        emit ReceivableSettled(receivableId, lender);
    }

    /// @notice The lender sold the financed receivable on to another lender.
    function transfer(bytes32 receivableId, bytes32 from, bytes32 to) external onlyRole(REGISTRAR_ROLE) {
        Receivable storage r = _lent(receivableId, from);
        r.lender = to;
        r.changedAt = uint64(block.timestamp);
        emit ReceivableTransferred(receivableId, from, to);
    }

    function receivableOf(bytes32 receivableId)
        external
        view
        returns (Status status, bytes32 lender, uint64 registeredAt, uint64 changedAt, uint32 pledges)
    {
        Receivable storage r = _receivables[receivableId];
        return (r.status, r.lender, r.registeredAt, r.changedAt, r.pledges);
    }

    function _lent(bytes32 receivableId, bytes32 lender) private view returns (Receivable storage r) {
        r = _receivables[receivableId];
        if (r.status == Status.Settled) revert ReceivableSettledAlready(receivableId);
        if (r.status != Status.Pledged) revert NotPledged(receivableId);
        if (r.lender != lender) revert NotTheLender(receivableId, lender);
    }
}

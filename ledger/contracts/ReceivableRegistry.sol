// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title ReceivableRegistry
/// @notice One entry per trade receivable, keyed by a blinded identifier (a keyed hash of the normalised
///         invoice identity), so that a second registration or a second pledge of the same invoice is
///         refused without anyone seeing the invoice. Lenders are keccak256 references of hub
///         organisations. A receivable is pledged to at most one lender at a time: the check and the
///         change happen in one transaction, so of two racing pledges exactly one succeeds.
///         The trade evidence a pledge rests on (a bill's cargo, an invoice, an order) is keyed by a blinded
///         identity too, and what live pledges draw on each item is summed here: a pledge that would draw an
///         item beyond its value reverts in the same transaction, whichever bank sends it, so the same
///         goods cannot back more than they are worth. Repaying or settling gives the draws back.
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

    struct Draw {
        bytes32 evidenceId;
        uint256 amount; // in ten-thousandths of the receivable's currency, as the hub keeps amounts
    }

    mapping(bytes32 receivableId => Receivable) private _receivables;
    mapping(bytes32 evidenceId => uint256 drawn) private _drawn;
    mapping(bytes32 receivableId => Draw[]) private _draws;

    event ReceivableRegistered(bytes32 indexed receivableId);
    event ReceivablePledged(bytes32 indexed receivableId, bytes32 indexed lender);
    event ReceivableReleased(bytes32 indexed receivableId, bytes32 indexed lender);
    event ReceivableSettled(bytes32 indexed receivableId, bytes32 indexed lender);
    event ReceivableTransferred(bytes32 indexed receivableId, bytes32 indexed from, bytes32 indexed to);
    event EvidenceDrawn(bytes32 indexed receivableId, bytes32 indexed evidenceId, uint256 amount, uint256 value);
    event EvidenceReturned(bytes32 indexed receivableId, bytes32 indexed evidenceId, uint256 amount);

    error AlreadyRegistered(bytes32 receivableId);
    error NotRegistered(bytes32 receivableId);
    error AlreadyPledged(bytes32 receivableId, bytes32 lender);
    error NotPledged(bytes32 receivableId);
    error NotTheLender(bytes32 receivableId, bytes32 lender);
    error ReceivableSettledAlready(bytes32 receivableId);
    error EvidenceExhausted(bytes32 evidenceId, uint256 value, uint256 drawn, uint256 asked);
    error DrawsMismatch();

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

    /// @notice Pledge to `lender`, drawing `amounts[i]` on evidence `evidenceIds[i]` worth `values[i]`;
    ///         reverts with AlreadyPledged when any lender holds it, and with EvidenceExhausted when an item
    ///         would be drawn beyond its value by this and every other live pledge together.
    function pledge(
        bytes32 receivableId,
        bytes32 lender,
        bytes32[] calldata evidenceIds,
        uint256[] calldata amounts,
        uint256[] calldata values
    ) external onlyRole(REGISTRAR_ROLE) {
        Receivable storage r = _receivables[receivableId];
        if (r.status == Status.None) revert NotRegistered(receivableId);
        if (r.status == Status.Settled) revert ReceivableSettledAlready(receivableId);
        if (r.status == Status.Pledged) revert AlreadyPledged(receivableId, r.lender);
        if (evidenceIds.length != amounts.length || evidenceIds.length != values.length) revert DrawsMismatch();
        for (uint256 i = 0; i < evidenceIds.length; i++) {
            uint256 drawn = _drawn[evidenceIds[i]];
            if (drawn + amounts[i] > values[i]) revert EvidenceExhausted(evidenceIds[i], values[i], drawn, amounts[i]);
            _drawn[evidenceIds[i]] = drawn + amounts[i];
            _draws[receivableId].push(Draw(evidenceIds[i], amounts[i]));
            emit EvidenceDrawn(receivableId, evidenceIds[i], amounts[i], values[i]);
        }
        r.status = Status.Pledged;
        r.lender = lender;
        r.pledges += 1;
        r.changedAt = uint64(block.timestamp);
        emit ReceivablePledged(receivableId, lender);
    }

    /// @notice The financing was repaid: the receivable is free again.
    function release(bytes32 receivableId, bytes32 lender) external onlyRole(REGISTRAR_ROLE) {
        Receivable storage r = _lent(receivableId, lender);
        _giveBack(receivableId);
        r.status = Status.Registered;
        r.lender = bytes32(0);
        r.changedAt = uint64(block.timestamp);
        emit ReceivableReleased(receivableId, lender);
    }

    /// @notice The debtor paid the lender: closed for good.
    function settle(bytes32 receivableId, bytes32 lender) external onlyRole(REGISTRAR_ROLE) {
        Receivable storage r = _lent(receivableId, lender);
        _giveBack(receivableId);
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

    /// @notice What live pledges draw on each of `evidenceIds`, in ten-thousandths.
    function drawnOn(bytes32[] calldata evidenceIds) external view returns (uint256[] memory drawn) {
        drawn = new uint256[](evidenceIds.length);
        for (uint256 i = 0; i < evidenceIds.length; i++) {
            drawn[i] = _drawn[evidenceIds[i]];
        }
    }

    /// @notice What a pledged receivable draws on its evidence (nothing once repaid or settled).
    function drawsOf(bytes32 receivableId)
        external
        view
        returns (bytes32[] memory evidenceIds, uint256[] memory amounts)
    {
        Draw[] storage draws = _draws[receivableId];
        evidenceIds = new bytes32[](draws.length);
        amounts = new uint256[](draws.length);
        for (uint256 i = 0; i < draws.length; i++) {
            evidenceIds[i] = draws[i].evidenceId;
            amounts[i] = draws[i].amount;
        }
    }

    function _giveBack(bytes32 receivableId) private {
        Draw[] storage draws = _draws[receivableId];
        for (uint256 i = 0; i < draws.length; i++) {
            _drawn[draws[i].evidenceId] -= draws[i].amount;
            emit EvidenceReturned(receivableId, draws[i].evidenceId, draws[i].amount);
        }
        delete _draws[receivableId];
    }

    function _lent(bytes32 receivableId, bytes32 lender) private view returns (Receivable storage r) {
        r = _receivables[receivableId];
        if (r.status == Status.Settled) revert ReceivableSettledAlready(receivableId);
        if (r.status != Status.Pledged) revert NotPledged(receivableId);
        if (r.lender != lender) revert NotTheLender(receivableId, lender);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ITitleEscrow} from "@tradetrust-tt/token-registry/contracts/interfaces/ITitleEscrow.sol";
import {ITitleEscrowFactory} from "@tradetrust-tt/token-registry/contracts/interfaces/ITitleEscrowFactory.sol";

/// Titles move through the hub, which holds them for its member organisations: TradeTrust's own write
/// functions of a title escrow are there (the interface is TradeTrust's) but refuse with this error.
error HubCustodied();

/// @title HubTitleEscrow
/// @notice One negotiable bill's title as TradeTrust's token registry shows it: the escrow that owns the
///         bill's token, with its beneficiary and holder and TradeTrust's events (ITitleEscrow, imported
///         from the npm package token-registry of TradeTrust). The hub's title has one party, the
///         current endorsee, so beneficiary and holder are that organisation; an organisation appears as
///         the address of the low 20 bytes of its hub reference (keccak256("hub-org:" + id)). Only the
///         registry moves it, when the hub records a step of the endorsement chain.
contract HubTitleEscrow is ITitleEscrow, IERC165 {
    error OnlyRegistry();
    error AlreadyInitialised();

    address public override registry;
    uint256 public override tokenId;
    address public override beneficiary;
    address public override holder;
    address public override prevBeneficiary;
    address public override prevHolder;
    address public override nominee;
    bool public override active;

    modifier onlyRegistry() {
        if (msg.sender != registry) revert OnlyRegistry();
        _;
    }

    function init(address registry_, uint256 tokenId_, address party) external {
        if (registry != address(0)) revert AlreadyInitialised();
        registry = registry_;
        tokenId = tokenId_;
        beneficiary = party;
        holder = party;
        active = true;
    }

    /// @notice The token arrives: minted at the issue, or back after a rejected surrender.
    function onERC721Received(address, address from, uint256 id, bytes calldata data)
        external
        override
        onlyRegistry
        returns (bytes4)
    {
        emit TokenReceived(beneficiary, holder, from == address(0), registry, id, data);
        return IERC721Receiver.onERC721Received.selector;
    }

    /// @notice An endorsement or transfer: the title passes to `party`, as beneficiary and holder.
    function moveTo(address party, bytes calldata remark) external onlyRegistry {
        (prevBeneficiary, prevHolder) = (beneficiary, holder);
        emit BeneficiaryTransfer(beneficiary, party, registry, tokenId, remark);
        emit HolderTransfer(holder, party, registry, tokenId, remark);
        (beneficiary, holder) = (party, party);
    }

    /// @notice The holder asked the issuer to take the title back (a surrender for delivery).
    function returned(bytes calldata remark) external onlyRegistry {
        emit ReturnToIssuer(holder, registry, tokenId, remark);
    }

    /// @notice The issuer accepted the surrender (or voided the bill): the title is closed.
    function shredded(bytes calldata remark) external onlyRegistry {
        (prevBeneficiary, prevHolder) = (beneficiary, holder);
        (beneficiary, holder, active) = (address(0), address(0), false);
        emit Shred(registry, tokenId, remark);
    }

    function isHoldingToken() external view override returns (bool) {
        return ERC721(registry).ownerOf(tokenId) == address(this);
    }

    function nominate(address, bytes calldata) external pure override {
        revert HubCustodied();
    }

    function transferBeneficiary(address, bytes calldata) external pure override {
        revert HubCustodied();
    }

    function transferHolder(address, bytes calldata) external pure override {
        revert HubCustodied();
    }

    function transferOwners(address, address, bytes calldata) external pure override {
        revert HubCustodied();
    }

    function rejectTransferBeneficiary(bytes calldata) external pure override {
        revert HubCustodied();
    }

    function rejectTransferHolder(bytes calldata) external pure override {
        revert HubCustodied();
    }

    function rejectTransferOwners(bytes calldata) external pure override {
        revert HubCustodied();
    }

    function returnToIssuer(bytes calldata) external pure override {
        revert HubCustodied();
    }

    function shred(bytes calldata) external pure override {
        revert HubCustodied();
    }

    function supportsInterface(bytes4 interfaceId) external pure override returns (bool) {
        return interfaceId == type(ITitleEscrow).interfaceId || interfaceId == type(IERC721Receiver).interfaceId
            || interfaceId == type(IERC165).interfaceId;
    }
}

/// @title TradeTrustTitles
/// @notice The hub's negotiable titles as a TradeTrust token registry: an ERC-721 token per bill (its id
///         is the bill's title reference, keccak256("hub-bill:" + bill id)), owned by the bill's
///         HubTitleEscrow while the title is live, by this registry while a surrender is pending, and
///         burnt to 0x…dEaD once surrendered or void, as TradeTrust does. The hub records each step of a
///         title here as it does in TitleRegistry (same references, same order, each step once), so the
///         two never tell different stories. It is also its own title escrow factory.
contract TradeTrustTitles is ERC721, AccessControl, ITitleEscrowFactory {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;

    // TitleRegistry's statuses, in its order.
    uint8 private constant ACTIVE = 1;
    uint8 private constant SURRENDER_PENDING = 2;
    uint8 private constant SURRENDERED = 3;
    uint8 private constant VOID = 4;

    address public override implementation; // storage, not immutable: the hub checks deployed code against the build
    uint256 public genesis;

    mapping(uint256 tokenId => uint64) public versionOf;
    mapping(uint256 tokenId => uint8) public statusOf;

    error StaleVersion(bytes32 titleId, uint64 current, uint64 given);
    error TitleClosed(bytes32 titleId);
    error UnknownStatus(uint8 status);

    constructor(address admin) ERC721("Port and trade hub negotiable titles", "HUBTITLE") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, admin);
        implementation = address(new HubTitleEscrow());
        genesis = block.number;
    }

    /// @notice Record the next step of a title (TitleRegistry.record's arguments, without the issuer).
    function record(bytes32 titleId, bytes32 holderRef, uint64 version, uint8 status, bool)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        uint256 id = uint256(titleId);
        uint64 current = versionOf[id];
        if (version != current + 1) revert StaleVersion(titleId, current, version);
        uint8 was = statusOf[id];
        if (was == SURRENDERED || was == VOID) revert TitleClosed(titleId);
        if (status < ACTIVE || status > VOID) revert UnknownStatus(status);
        address party = address(uint160(uint256(holderRef)));
        bytes memory remark = abi.encodePacked("hub title step ", _digits(version));
        HubTitleEscrow escrow;
        if (current == 0) {
            escrow = HubTitleEscrow(Clones.cloneDeterministic(implementation, titleId));
            escrow.init(address(this), id, party);
            emit TitleEscrowCreated(address(escrow), address(this), id);
            _safeMint(address(escrow), id, remark);
        } else {
            escrow = HubTitleEscrow(getEscrowAddress(address(this), id));
        }
        bool returnedHere = _ownerOf(id) == address(this);
        if (status == ACTIVE) {
            if (returnedHere) _safeTransfer(address(this), address(escrow), id, remark); // surrender rejected
            if (current != 0 && party != escrow.holder()) escrow.moveTo(party, remark);
        } else if (status == SURRENDER_PENDING) {
            escrow.returned(remark);
            _transfer(address(escrow), address(this), id);
        } else {
            if (!returnedHere) _transfer(address(escrow), address(this), id); // voided while live
            escrow.shredded(remark);
            _transfer(address(this), BURN_ADDRESS, id);
        }
        versionOf[id] = version;
        statusOf[id] = status;
    }

    /// @notice TradeTrust's minting, burning and restoring are steps the hub records (`record`).
    function mint(address, address, uint256, bytes memory) external pure returns (address) {
        revert HubCustodied();
    }

    function burn(uint256, bytes memory) external pure {
        revert HubCustodied();
    }

    function restore(uint256, bytes memory) external pure returns (address) {
        revert HubCustodied();
    }

    function titleEscrowFactory() external view returns (ITitleEscrowFactory) {
        return ITitleEscrowFactory(address(this));
    }

    function create(uint256) external pure override returns (address) {
        revert HubCustodied();
    }

    function getEscrowAddress(address tokenRegistry, uint256 tokenId) public view override returns (address) {
        if (tokenRegistry != address(this)) return address(0);
        return Clones.predictDeterministicAddress(implementation, bytes32(tokenId));
    }

    function supportsInterface(bytes4 interfaceId) public view override(ERC721, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    function _digits(uint64 value) private pure returns (bytes memory) {
        if (value == 0) return "0";
        bytes memory out;
        while (value != 0) {
            out = abi.encodePacked(bytes1(uint8(48 + (value % 10))), out);
            value /= 10;
        }
        return out;
    }
}

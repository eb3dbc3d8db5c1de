// SPDX-License-Identifier: UNLICENSED
pragma solidity >=0.8.19 <0.9.0;

/// @title Customs.Ledger participant registry.
/// @notice Mirrors on chain the agreements between customs administrations: which accounts belong to which administration
/// (country and agency), which node key each one signs batches with, and which document types each may anchor. Every
/// party of the permissioned chain reads the same membership from the same contract, so no node depends on its own,
/// possibly stale, copy of the agreement list: a node accepts another party's anchor only when `mayAnchor` says so.
/// @dev The registry is informative for the other contracts (the DocumentStore does not call it); the Customs.Ledger
/// nodes enforce it off chain when they anchor and when they verify. The admin is meant to be the account (or a
/// multisig) that the administrations appointed to record their agreements. Only codes, public keys and addresses are
/// stored: all of it is public to every party of the chain.
///
/// Removing a participant also forgets all of its document-type permissions: registering the same account again starts
/// with none (permissions are kept per registration "generation").
contract ParticipantRegistry {
    struct Participant {
        bool registered;
        string country;
        string agency;
        bytes nodeKey;
    }

    /// @notice The account that may change the registry.
    address public admin;

    mapping(address => Participant) private _participants;
    /// @dev account => registration generation; bumped on removal so that old permissions no longer count.
    mapping(address => uint256) private _generation;
    /// @dev account => generation => document type => allowed.
    mapping(address => mapping(uint256 => mapping(bytes32 => bool))) private _allowed;
    address[] private _accounts;
    /// @dev account => index in _accounts + 1 (0 = not listed).
    mapping(address => uint256) private _accountIndex;

    event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);
    /// @notice A new participant was registered.
    event ParticipantRegistered(address indexed account, string country, string agency, bytes nodeKey);
    /// @notice A registered participant's country, agency or node key changed.
    event ParticipantUpdated(address indexed account, string country, string agency, bytes nodeKey);
    /// @notice A participant was removed; all its document-type permissions are gone with it.
    event ParticipantRemoved(address indexed account);
    /// @notice A participant's permission to anchor one document type changed.
    event DocumentTypePermissionChanged(address indexed account, bytes32 indexed documentType, bool allowed);

    modifier onlyAdmin() {
        require(msg.sender == admin, "ParticipantRegistry: caller is not the admin");
        _;
    }

    /// @param initialAdmin The account that may change the registry.
    constructor(address initialAdmin) {
        require(initialAdmin != address(0), "ParticipantRegistry: admin is the zero address");
        admin = initialAdmin;
        emit AdminTransferred(address(0), initialAdmin);
    }

    /// @notice Hands the registry over to another admin account.
    function transferAdmin(address newAdmin) external onlyAdmin {
        require(newAdmin != address(0), "ParticipantRegistry: admin is the zero address");
        emit AdminTransferred(admin, newAdmin);
        admin = newAdmin;
    }

    /// @notice Registers `account` as an administration's account, or updates the details of a registered one
    /// (permissions are kept on update).
    /// @param account The Ethereum account the administration's node sends its transactions from.
    /// @param country ISO 3166-1 alpha-2 country (or customs union) code, e.g. "GB".
    /// @param agency The agency within the country, e.g. "HMRC".
    /// @param nodeKey The public key the node signs its batches with (e.g. 33-byte compressed secp256k1).
    function registerParticipant(address account, string calldata country, string calldata agency, bytes calldata nodeKey)
        external
        onlyAdmin
    {
        require(account != address(0), "ParticipantRegistry: account is the zero address");
        require(bytes(country).length != 0, "ParticipantRegistry: country is empty");
        require(bytes(agency).length != 0, "ParticipantRegistry: agency is empty");
        require(nodeKey.length != 0, "ParticipantRegistry: node key is empty");

        Participant storage p = _participants[account];
        bool existed = p.registered;
        p.registered = true;
        p.country = country;
        p.agency = agency;
        p.nodeKey = nodeKey;
        if (existed) {
            emit ParticipantUpdated(account, country, agency, nodeKey);
        } else {
            _accounts.push(account);
            _accountIndex[account] = _accounts.length;
            emit ParticipantRegistered(account, country, agency, nodeKey);
        }
    }

    /// @notice Removes a participant and all its document-type permissions.
    function removeParticipant(address account) external onlyAdmin {
        require(_participants[account].registered, "ParticipantRegistry: not a participant");
        delete _participants[account];
        _generation[account] += 1;

        uint256 index = _accountIndex[account] - 1;
        uint256 last = _accounts.length - 1;
        if (index != last) {
            address moved = _accounts[last];
            _accounts[index] = moved;
            _accountIndex[moved] = index + 1;
        }
        _accounts.pop();
        delete _accountIndex[account];
        emit ParticipantRemoved(account);
    }

    /// @notice Allows or forbids a registered participant to anchor one document type.
    /// @param documentType keccak256 of the document type's name (as agreed between the parties, e.g. keccak256("WCO:DEC")).
    function setDocumentTypeAllowed(address account, bytes32 documentType, bool allowed) external onlyAdmin {
        require(_participants[account].registered, "ParticipantRegistry: not a participant");
        mapping(bytes32 => bool) storage permissions = _allowed[account][_generation[account]];
        if (permissions[documentType] != allowed) {
            permissions[documentType] = allowed;
            emit DocumentTypePermissionChanged(account, documentType, allowed);
        }
    }

    /// @notice True when `account` is a registered participant allowed to anchor `documentType`.
    function mayAnchor(address account, bytes32 documentType) external view returns (bool) {
        return _participants[account].registered && _allowed[account][_generation[account]][documentType];
    }

    /// @notice A participant's details; `registered` is false (and the rest empty) for an unknown account.
    function participant(address account)
        external
        view
        returns (bool registered, string memory country, string memory agency, bytes memory nodeKey)
    {
        Participant storage p = _participants[account];
        return (p.registered, p.country, p.agency, p.nodeKey);
    }

    /// @notice Number of registered participants.
    function participantCount() external view returns (uint256) {
        return _accounts.length;
    }

    /// @notice The registered participant at `index` (0 <= index < participantCount(); order changes on removal).
    function participantAt(uint256 index) external view returns (address) {
        require(index < _accounts.length, "ParticipantRegistry: index out of range");
        return _accounts[index];
    }
}

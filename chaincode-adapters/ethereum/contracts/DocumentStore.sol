// SPDX-License-Identifier: UNLICENSED
pragma solidity >=0.8.19 <0.9.0;

/// @title ERC-165 standard interface detection.
interface IERC165 {
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}

/// @title Role-based access control, same signatures (and so the same ERC-165 id, 0x7965db0b) as OpenZeppelin's IAccessControl.
interface IAccessControl {
    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);

    function hasRole(bytes32 role, address account) external view returns (bool);
    function getRoleAdmin(bytes32 role) external view returns (bytes32);
    function grantRole(bytes32 role, address account) external;
    function revokeRole(bytes32 role, address account) external;
    function renounceRole(bytes32 role, address account) external;
}

/// @title The OpenAttestation document store interface (non-batchable, as in OpenAttestation's DocumentStore 2.x).
/// @notice oa-verify's `openAttestationEthereumDocumentStoreStatus` first asks `supportsInterface(0xdcfd0745)`
/// (OpenAttestation's "batchable" store); this store answers false, so oa-verify falls back to
/// `isIssued(merkleRoot)` and `isRevoked(h)` for the target hash, every intermediate proof hash and the Merkle root.
interface IDocumentStore {
    event DocumentIssued(bytes32 indexed document);
    event DocumentRevoked(bytes32 indexed document);

    function name() external view returns (string memory);
    function version() external view returns (string memory);
    function issue(bytes32 document) external;
    function bulkIssue(bytes32[] calldata documents) external;
    function getIssuedBlock(bytes32 document) external view returns (uint256);
    function isIssued(bytes32 document) external view returns (bool);
    function isIssuedBefore(bytes32 document, uint256 blockNumber) external view returns (bool);
    function revoke(bytes32 document) external returns (bool);
    function bulkRevoke(bytes32[] calldata documents) external;
    function isRevoked(bytes32 document) external view returns (bool);
    function isRevokedBefore(bytes32 document, uint256 blockNumber) external view returns (bool);
}

/// @title Customs.Ledger document store.
/// @notice Records 32-byte roots - the node's signed batch roots and the OpenAttestation Merkle roots of the same batches -
/// and revocations of document roots / OpenAttestation target hashes. Nothing else is ever written here: ledger records,
/// documents and salts stay off chain. Every value stored is public to every party of the chain.
/// @dev Compatible with OpenAttestation's DocumentStore as oa-verify calls it (see IDocumentStore). A hash is issued once
/// (a second `issue` of it reverts), revoked once; a hash may be revoked without having been issued (as in
/// OpenAttestation: a document's target hash is revoked while its batch's Merkle root stays issued). Storage keeps the
/// block number of each issuance/revocation, so `isIssuedBefore`/`isRevokedBefore` answer "as of block N".
/// Roles: DEFAULT_ADMIN_ROLE administers every role; ISSUER_ROLE may issue; REVOKER_ROLE may revoke.
contract DocumentStore is IERC165, IAccessControl, IDocumentStore {
    /// @notice Administers every role (grant/revoke). 0x00, as in OpenZeppelin.
    bytes32 public constant DEFAULT_ADMIN_ROLE = 0x00;
    /// @notice May issue hashes: keccak256("ISSUER_ROLE").
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @notice May revoke hashes: keccak256("REVOKER_ROLE").
    bytes32 public constant REVOKER_ROLE = keccak256("REVOKER_ROLE");

    /// @notice Human-readable name of the store (e.g. "GB-HMRC customs documents").
    string public override name;
    /// @notice Version of this contract's code.
    string public constant override version = "1.0.0";

    /// @notice Block number at which a hash was issued (0 = never).
    mapping(bytes32 => uint256) public documentIssued;
    /// @notice Block number at which a hash was revoked (0 = never).
    mapping(bytes32 => uint256) public documentRevoked;

    mapping(bytes32 => mapping(address => bool)) private _roles;

    /// @param storeName Human-readable name of the store.
    /// @param owner Receives DEFAULT_ADMIN_ROLE, ISSUER_ROLE and REVOKER_ROLE.
    constructor(string memory storeName, address owner) {
        require(owner != address(0), "Error: Owner is the zero address");
        name = storeName;
        _grantRole(DEFAULT_ADMIN_ROLE, owner);
        _grantRole(ISSUER_ROLE, owner);
        _grantRole(REVOKER_ROLE, owner);
    }

    // ------------------------------------------------------------------ roles

    modifier onlyRole(bytes32 role) {
        require(_roles[role][msg.sender], "AccessControl: caller is missing role");
        _;
    }

    /// @inheritdoc IAccessControl
    function hasRole(bytes32 role, address account) public view override returns (bool) {
        return _roles[role][account];
    }

    /// @inheritdoc IAccessControl
    /// @dev Every role is administered by DEFAULT_ADMIN_ROLE.
    function getRoleAdmin(bytes32) public pure override returns (bytes32) {
        return DEFAULT_ADMIN_ROLE;
    }

    /// @inheritdoc IAccessControl
    function grantRole(bytes32 role, address account) external override onlyRole(DEFAULT_ADMIN_ROLE) {
        require(account != address(0), "AccessControl: account is the zero address");
        _grantRole(role, account);
    }

    /// @inheritdoc IAccessControl
    /// @dev An admin may revoke its own admin role: the store then has no admin left (that is the caller's choice).
    function revokeRole(bytes32 role, address account) external override onlyRole(DEFAULT_ADMIN_ROLE) {
        _revokeRole(role, account);
    }

    /// @inheritdoc IAccessControl
    function renounceRole(bytes32 role, address account) external override {
        require(account == msg.sender, "AccessControl: can only renounce roles for self");
        _revokeRole(role, account);
    }

    function _grantRole(bytes32 role, address account) private {
        if (!_roles[role][account]) {
            _roles[role][account] = true;
            emit RoleGranted(role, account, msg.sender);
        }
    }

    function _revokeRole(bytes32 role, address account) private {
        if (_roles[role][account]) {
            _roles[role][account] = false;
            emit RoleRevoked(role, account, msg.sender);
        }
    }

    // ----------------------------------------------------------------- ERC-165

    /// @inheritdoc IERC165
    /// @dev True for IERC165, IAccessControl and IDocumentStore; false for OpenAttestation's batchable store id 0xdcfd0745.
    function supportsInterface(bytes4 interfaceId) external pure override returns (bool) {
        return interfaceId == type(IERC165).interfaceId
            || interfaceId == type(IAccessControl).interfaceId
            || interfaceId == type(IDocumentStore).interfaceId;
    }

    // ---------------------------------------------------------------- issuance

    modifier onlyIssued(bytes32 document) {
        require(isIssued(document), "Error: Only issued document hashes can be queried");
        _;
    }

    modifier onlyNotIssued(bytes32 document) {
        require(!isIssued(document), "Error: Only hashes that have not been issued can be issued");
        _;
    }

    modifier onlyNotRevoked(bytes32 document) {
        require(!isRevoked(document), "Error: Hash has been revoked previously");
        _;
    }

    /// @notice Issues one hash. Reverts if it was issued before.
    function issue(bytes32 document) public override onlyRole(ISSUER_ROLE) onlyNotIssued(document) {
        documentIssued[document] = block.number;
        emit DocumentIssued(document);
    }

    /// @notice Issues several hashes in one transaction; reverts as a whole if any of them was issued before
    /// (or appears twice in the list).
    function bulkIssue(bytes32[] calldata documents) external override {
        for (uint256 i = 0; i < documents.length; i++) {
            issue(documents[i]);
        }
    }

    /// @notice Block number at which `document` was issued; reverts if it was not issued.
    function getIssuedBlock(bytes32 document) external view override onlyIssued(document) returns (uint256) {
        return documentIssued[document];
    }

    /// @notice True when `document` was issued (whatever its revocation status).
    function isIssued(bytes32 document) public view override returns (bool) {
        return documentIssued[document] != 0;
    }

    /// @notice True when `document` was issued at or before `blockNumber`.
    function isIssuedBefore(bytes32 document, uint256 blockNumber) external view override returns (bool) {
        uint256 issuedAt = documentIssued[document];
        return issuedAt != 0 && issuedAt <= blockNumber;
    }

    // -------------------------------------------------------------- revocation

    /// @notice Revokes one hash (a document's target hash, a document root or a whole batch/Merkle root).
    /// Reverts if it was revoked before. Returns true.
    function revoke(bytes32 document) public override onlyRole(REVOKER_ROLE) onlyNotRevoked(document) returns (bool) {
        documentRevoked[document] = block.number;
        emit DocumentRevoked(document);
        return true;
    }

    /// @notice Revokes several hashes in one transaction; reverts as a whole if any was revoked before.
    function bulkRevoke(bytes32[] calldata documents) external override {
        for (uint256 i = 0; i < documents.length; i++) {
            revoke(documents[i]);
        }
    }

    /// @notice True when `document` was revoked.
    function isRevoked(bytes32 document) public view override returns (bool) {
        return documentRevoked[document] != 0;
    }

    /// @notice True when `document` was revoked at or before `blockNumber`.
    function isRevokedBefore(bytes32 document, uint256 blockNumber) external view override returns (bool) {
        uint256 revokedAt = documentRevoked[document];
        return revokedAt != 0 && revokedAt <= blockNumber;
    }
}

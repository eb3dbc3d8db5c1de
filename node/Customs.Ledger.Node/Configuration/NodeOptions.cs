using System.Text.Json;
using System.Text.Json.Serialization;

namespace Customs.Ledger.Node.Configuration;

/// <summary>
/// A node's configuration, stored as <c>node.json</c> in its data directory (written by <c>customs-ledger init</c>).
/// Every default is stated on its property.
/// </summary>
public sealed record NodeOptions
{
    /// <summary>This node's name, e.g. <c>GB-HMRC</c>; also names its embedded ledger (<c>embedded:GB-HMRC</c>).</summary>
    public string NodeId { get; init; } = "node";

    /// <summary>ISO 3166-1 alpha-2 country of the administration running the node.</summary>
    public string Country { get; init; } = "ZZ";

    /// <summary>Agency short name (1-35 letters, digits, spaces, '.', '-', '_').</summary>
    public string Agency { get; init; } = "CUSTOMS";

    /// <summary>Client API address. Defaults to <c>http://127.0.0.1:7400</c> (HTTP/2 without TLS, loopback only); port 0 picks a free port.</summary>
    public string Listen { get; init; } = "http://127.0.0.1:7400";

    /// <summary>
    /// A second, HTTP/1.1 address for what speaks HTTP/1.1: REST (gRPC JSON transcoding, same credentials and roles),
    /// <c>/openapi/v1.json</c>, the Prometheus scrape <c>/metrics</c> and <c>/healthz</c>. Same TLS and loopback rules as
    /// <see cref="Listen"/>. Null (the default for a node.json without it) = none; <c>init</c> writes
    /// <c>http://127.0.0.1:7480</c>. With <c>api.tls</c>, <see cref="Listen"/> itself also serves all of these (HTTP/1.1
    /// and HTTP/2 negotiated by ALPN), so this is optional there.
    /// </summary>
    public string? HttpListen { get; init; }

    /// <summary>Logs, metrics and traces (<see cref="ObservabilitySettings"/>).</summary>
    public ObservabilitySettings Observability { get; init; } = new();

    /// <summary>Authentication, TLS and the listening rules of the client API (<see cref="ApiSettings"/>).</summary>
    public ApiSettings Api { get; init; } = new();

    /// <summary>The public, read-only part for stakeholders: the verifier page and signed document status, without credentials.</summary>
    public PublicSettings Public { get; init; } = new();

    /// <summary>Where documents, batches, the embedded ledger, the exchange and the audit trail live (<see cref="Customs.Ledger.Storage.StoreSettings"/>).</summary>
    public Customs.Ledger.Storage.StoreSettings Store { get; init; } = new();

    /// <summary>The embedded ledger as a witnessed log: checkpoints, witnesses, gossip (<see cref="WitnessSettings"/>).</summary>
    public WitnessSettings Witness { get; init; } = new();

    /// <summary>Most documents in one batch. Defaults to 1,000.</summary>
    public int BatchMaxDocuments { get; init; } = 1000;

    /// <summary>How long the batcher waits for more documents after the first pending one. Defaults to 200 ms.</summary>
    public int BatchWindowMilliseconds { get; init; } = 200;

    /// <summary>Largest accepted gRPC message (one document). Defaults to 16 MiB, the XML byte limit.</summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Most documents in one SubmitStream call. Defaults to 1,000,000.</summary>
    public long MaxStreamDocuments { get; init; } = 1_000_000;

    /// <summary>Longest a unary call may run on the node, whatever deadline the client sets. Defaults to 60 s.</summary>
    public int UnaryCallTimeoutSeconds { get; init; } = 60;

    /// <summary>
    /// Audit the stores before serving (SQLite quick_check, a sample of ledger blocks, documents, batches and anchors; see
    /// <c>StoreAudit</c>): a damaged store stops the start with a message saying what is damaged. Defaults to true.
    /// </summary>
    public bool AuditOnStart { get; init; } = true;

    /// <summary>Minutes between background sample audits of the stores while the node runs; 0 turns them off. Defaults to 10.</summary>
    public int AuditIntervalMinutes { get; init; } = 10;

    /// <summary>Optional folder of XSDs every submission is validated against (see <c>XsdSchemaFolder</c>).</summary>
    public string? SchemaFolder { get; init; }

    /// <summary>Keystore file of the node's secp256k1 signing key, relative to the data directory.</summary>
    public string KeystoreFile { get; init; } = "keys/node-key.json";

    /// <summary>File holding the keystore password, relative to the data directory, used when CUSTOMS_LEDGER_PASSWORD is not set.</summary>
    public string PasswordFile { get; init; } = "keys/password";

    /// <summary>
    /// The node's keys in a PKCS#11 token (an HSM) instead of <see cref="KeystoreFile"/>: the ledger key, and optionally
    /// the TLS key. Null (the default) = the encrypted keystore. <c>init --pkcs11-module …</c> sets it up.
    /// </summary>
    public Hsm.Pkcs11Settings? Pkcs11 { get; init; }

    /// <summary>
    /// Verification policy of this node's VerificationService: ledger ids that must each hold a valid anchor
    /// (e.g. <c>["embedded:GB-HMRC", "eip155:1337:0x…"]</c>). Empty (the default) = at least one valid anchor.
    /// </summary>
    public IReadOnlyList<string> RequiredLedgers { get; init; } = [];

    /// <summary>The node-to-node (peer) API with mutual TLS; null = this node does not exchange documents.</summary>
    public PeerSettings? Peer { get; init; }

    /// <summary>Where other nodes' peer APIs are, by node id.</summary>
    public IReadOnlyList<PeerAddress> Peers { get; init; } = [];

    /// <summary>Signed agreements file (relative to the data directory), written by <c>customs-ledger agreement</c>.</summary>
    public string AgreementsFile { get; init; } = "agreements.json";

    /// <summary>
    /// This node's certificate chain (PEM: the node certificate binding its country, agency, node id and ledger key,
    /// then any intermediate CAs), relative to the data directory; every bundle carries it, so that verifiers can take
    /// the issuer's identity from a trust anchor. <c>customs-ledger ca issue</c> writes it. Defaults to <c>tls/node.pem</c>;
    /// without it the node's bundles are uncertified and never verify as VALID.
    /// </summary>
    public string IdentityCertificate { get; init; } = "tls/node.pem";

    /// <summary>
    /// Folder (relative to the data directory) of this node's earlier certificate chains (PEM), kept after a renewal or a
    /// key rotation so that bundles of batches signed back then carry the certificate that was valid then. Defaults to
    /// <c>tls/archive</c>.
    /// </summary>
    public string CertificateArchive { get; init; } = "tls/archive";

    /// <summary>
    /// The trust anchors this node verifies bundles (<c>Verify</c>, deliveries) and peers against. Null (the default) =
    /// the consortium CA files of <see cref="Peer"/> (or <c>tls/consortium-ca.pem</c> and its CRL when present); none at
    /// all = every issuer is UNVERIFIED.
    /// </summary>
    public TrustSettings? Trust { get; init; }

    /// <summary>An Ethereum-compatible ledger to anchor on as well as the embedded one; null = embedded only.</summary>
    public EthereumLedgerSettings? Ethereum { get; init; }

    /// <summary>A Hyperledger Fabric channel to anchor on as well (through a peer's gateway); null = none.</summary>
    public FabricLedgerSettings? Fabric { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public const string FileName = "node.json";

    /// <summary>Loads <c>node.json</c> from <paramref name="dataDirectory"/>.</summary>
    public static NodeOptions Load(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} not found: run 'customs-ledger init --data-dir {dataDirectory}' first.", path);
        }

        return JsonSerializer.Deserialize<NodeOptions>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path} is empty.");
    }

    public void Save(string dataDirectory) =>
        File.WriteAllText(Path.Combine(dataDirectory, FileName), JsonSerializer.Serialize(this, Json) + "\n");
}

/// <summary>
/// Where and how the node anchors on a Hyperledger Fabric channel: the document-store chaincode
/// (chaincode-adapters/fabric/chaincode) through a peer's gateway (Fabric 2.4+), as the node's Fabric identity. Written by
/// <c>customs-ledger-node fabric-setup</c>; paths are relative to the data directory.
/// </summary>
public sealed record FabricLedgerSettings
{
    /// <summary>The peer's gateway, e.g. <c>https://peer0.org1.example.com:7051</c>.</summary>
    public required string GatewayEndpoint { get; init; }

    /// <summary>PEM file of the network's TLS CA (required with https).</summary>
    public string? TlsRootCertificate { get; init; }

    /// <summary>The name in the gateway's TLS certificate, when it is not the endpoint's host (e.g. behind a tunnel).</summary>
    public string? ServerName { get; init; }

    /// <summary>The node's MSP (its administration's Fabric organisation), e.g. <c>Org1MSP</c>.</summary>
    public required string MspId { get; init; }

    /// <summary>The node's Fabric certificate (PEM), issued by the MSP's CA (fabric-ca's signcert).</summary>
    public string Certificate { get; init; } = "fabric/identity.pem";

    /// <summary>Its P-256 private key, an encrypted PKCS#8 PEM under the node's keystore password (unless <see cref="HsmKeyLabel"/>).</summary>
    public string PrivateKey { get; init; } = "keys/fabric-identity.key.pem";

    /// <summary>
    /// The label of the P-256 key in the node's PKCS#11 token (<c>pkcs11</c> in node.json) that the certificate
    /// certifies; null = the key is the encrypted file <see cref="PrivateKey"/>.
    /// </summary>
    public string? HsmKeyLabel { get; init; }

    /// <summary>The channel, e.g. <c>mychannel</c>.</summary>
    public required string Channel { get; init; }

    /// <summary>The document-store chaincode's name, e.g. <c>documentstore</c>.</summary>
    public required string Chaincode { get; init; }

    /// <summary>Organisations whose peers must endorse (default: the gateway chooses by the endorsement policy).</summary>
    public IReadOnlyList<string>? EndorsingOrganizations { get; init; }

    /// <summary>
    /// The Fabric trust file (MSP CA certificates, ordering MSPs, endorsements required) the node checks Fabric anchors
    /// with when it verifies bundles; null = Fabric anchors are reported as not checked.
    /// </summary>
    public string? Trust { get; init; }

    /// <summary>Longest a write waits for its commit status before the batcher retries it (the retry finds it). Defaults to 60 s.</summary>
    public int CommitTimeoutSeconds { get; init; } = 60;

    /// <summary>Longest an endorsement may take. Defaults to 15 s.</summary>
    public int EndorseTimeoutSeconds { get; init; } = 15;
}

/// <summary>Where and how the node anchors on an Ethereum-compatible chain (Besu, Quorum, geth; Hardhat in tests).</summary>
public sealed record EthereumLedgerSettings
{
    /// <summary>JSON-RPC endpoint, e.g. <c>http://127.0.0.1:8545</c>.</summary>
    public required string RpcUrl { get; init; }

    /// <summary>The chain id the node expects; a node answering with another one is refused.</summary>
    public required long ChainId { get; init; }

    /// <summary>Address (0x…) of the DocumentStore contract the node anchors on (the node key needs its issuer and revoker roles).</summary>
    public required string DocumentStore { get; init; }

    /// <summary>
    /// DNS name named as the issuer's identity proof in OpenAttestation exports (publish a TXT record
    /// <c>openatts net=ethereum netId=&lt;chain id&gt; addr=&lt;document store&gt;</c> there). Defaults to
    /// <c>&lt;node id&gt;.invalid</c>, a reserved name that says plainly no DNS identity was set up.
    /// </summary>
    public string? IdentityDomain { get; init; }

    /// <summary>Address of the ParticipantRegistry contract mirroring agreements, if deployed.</summary>
    public string? ParticipantRegistry { get; init; }

    /// <summary>Blocks on top of the anchoring block before a document counts as anchored. Defaults to 1.</summary>
    public int ConfirmationDepth { get; init; } = 1;

    /// <summary>Use the chain's <c>finalized</c> block tag instead of a depth (for chains that have one). Defaults to false.</summary>
    public bool UseFinalizedTag { get; init; }

    /// <summary>Networks with free gas (many permissioned chains): send gasPrice 0. Defaults to false.</summary>
    public bool ZeroGasPrice { get; init; }

    /// <summary>Transaction journal (nonces, signed transactions), relative to the data directory.</summary>
    public string JournalFile { get; init; } = "ethereum-journal.db";

    /// <summary>Longest a write waits for its receipt and confirmations before the batcher retries it (the transaction stays
    /// journaled and is waited for again). Defaults to 120 s.</summary>
    public int ReceiptTimeoutSeconds { get; init; } = 120;

    /// <summary>A transaction not mined this long after it was priced is replaced with fees raised by
    /// <see cref="FeeBumpPercent"/> (never with <see cref="ZeroGasPrice"/>). Defaults to 30 s.</summary>
    public int StuckAfterSeconds { get; init; } = 30;

    /// <summary>Fee increase of a replacement, in percent (at least 12.5, above geth's and Besu's 10 % minimum). Defaults to 12.5.</summary>
    public decimal FeeBumpPercent { get; init; } = 12.5m;

    /// <summary>First interval between receipt polls, in milliseconds (it grows to 2 s). Defaults to 250.</summary>
    public int PollIntervalMilliseconds { get; init; } = 250;

    /// <summary>Confirmed writes in this many most recent blocks are re-checked for reorganisations. Defaults to 128.</summary>
    public int ReorgLookbackBlocks { get; init; } = 128;

    /// <summary>Seconds between finality checks (a reorganisation deeper than <see cref="ConfirmationDepth"/> puts the
    /// batch's documents back to BATCHED and re-anchors it once); 0 turns them off. Defaults to 15.</summary>
    public int FinalityCheckSeconds { get; init; } = 15;
}

/// <summary>
/// The client API's security. Every call but the health check needs a credential: a bearer token (a JWT from this node's
/// own issuer — <c>customs-ledger token issue</c>; <c>init</c> writes an admin one to <c>keys/admin.token</c> — or from a
/// configured OAuth 2.0 / OpenID Connect issuer), or, with <see cref="Tls"/>, a client certificate from
/// <see cref="ApiTlsSettings.ClientCa"/>. Roles (submitter, officer, exchange, auditor, admin) come from the token's role
/// claim or the certificate's OU attributes; every method is authorised by role (docs/OPERATIONS.md has the table).
/// </summary>
public sealed record ApiSettings
{
    /// <summary>HTTPS for the client API; null (the default) = HTTP/2 without TLS, allowed on a loopback address only.</summary>
    public ApiTlsSettings? Tls { get; init; }

    /// <summary>
    /// Listen on a non-loopback address without TLS anyway (every call still needs a credential, sent in clear text).
    /// Defaults to false: the node refuses to start so. Set it only behind a TLS-terminating proxy on a trusted network.
    /// </summary>
    public bool AllowInsecureRemote { get; init; }

    /// <summary>This node's token-signing key (P-256, encrypted with the keystore password), relative to the data directory.</summary>
    public string TokenSigningKey { get; init; } = "keys/token-signing.pem";

    /// <summary>External OAuth 2.0 / OpenID Connect issuers whose bearer tokens the node accepts.</summary>
    public IReadOnlyList<JwtIssuerSettings> JwtIssuers { get; init; } = [];
}

/// <summary>
/// What the node serves to anyone, without a credential, on its HTTP endpoints: the browser verifier page at
/// <c>/verify/</c> (with the node's trust anchors at <c>/verify/trust.pem</c>) and the signed status of a document by
/// its id at <c>/public/v1/status/{id}</c> (what a stakeholder's verifier asks for a fresh status). Read-only; rate-limited
/// per client address; CORS for the page opened elsewhere (from a file, or another site).
/// </summary>
public sealed record PublicSettings
{
    /// <summary>Serve the page and the status endpoint. Defaults to true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Requests per minute per client IP address across the public paths; more are answered 429. Defaults to 120.</summary>
    public int RequestsPerMinute { get; init; } = 120;

    /// <summary>
    /// Origins allowed to read the status endpoint from a browser. Defaults to <c>["*"]</c>: any page (including one
    /// opened from a file, origin <c>null</c>) — the status is signed and public by design, and no cookie or credential is
    /// ever accepted on these paths.
    /// </summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = ["*"];
}

/// <summary>
/// The embedded ledger as a witnessed transparency log (docs/WITNESSING.md): after each write the node signs a checkpoint
/// with its log key and sends it to its witnesses (the partners its agreements name, at their peer addresses), which
/// cosign it only if it extends what they saw; the node is itself a witness for those partners on its peer API.
/// </summary>
public sealed record WitnessSettings
{
    /// <summary>Sign checkpoints, ask partners to cosign them and witness theirs. Defaults to true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Shortest time between two checkpoints. Defaults to 1,000 ms: under load, the batches of a second share one
    /// checkpoint (one signature, a few fsyncs, one request per witness); a bundle made before its block's checkpoint is
    /// cosigned carries an earlier checkpoint or none (ask again a moment later).
    /// </summary>
    public int CheckpointIntervalMilliseconds { get; init; } = 1000;

    /// <summary>Longest wait for a witness's answer. Defaults to 10 s.</summary>
    public int TimeoutSeconds { get; init; } = 10;

    /// <summary>
    /// How often this node, as a witness, tells its other partners the latest checkpoint it cosigned for each log (so that
    /// a log showing different partners different histories is caught). Defaults to 10 s; 0 turns gossip off.
    /// </summary>
    public int GossipIntervalSeconds { get; init; } = 10;

    /// <summary>
    /// Cosigned checkpoints kept per witnessed log (for evidence of a rewrite at an earlier size). Defaults to 100,000
    /// (~30 MB per log at one checkpoint per batch).
    /// </summary>
    public int HistoryPerLog { get; init; } = 100_000;
}

/// <summary>Logs, metrics and traces.</summary>
public sealed record ObservabilitySettings
{
    /// <summary>
    /// <c>simple</c> (the default: one line per entry, UTC timestamp, level, category, trace id) or <c>json</c> (one JSON
    /// object per line with timestamp, level, category, message, its named values and the trace and span ids, for a log
    /// collector).
    /// </summary>
    public string LogFormat { get; init; } = "simple";

    /// <summary>Least level logged: <c>Trace</c>, <c>Debug</c> (adds one line per API request), <c>Information</c> (the default), <c>Warning</c>, <c>Error</c>.</summary>
    public string LogLevel { get; init; } = "Information";

    /// <summary>Serve the Prometheus scrape endpoint <c>/metrics</c> (without credentials: it holds counts, never document data). Defaults to true.</summary>
    public bool Metrics { get; init; } = true;

    /// <summary>
    /// OTLP/HTTP collector base address (e.g. <c>http://127.0.0.1:4318</c>; traces go to <c>/v1/traces</c>, metrics to
    /// <c>/v1/metrics</c>) that traces and metrics are also pushed to; null (the default) = none (metrics are scraped,
    /// trace ids still appear in the logs).
    /// </summary>
    public string? OtlpEndpoint { get; init; }
}

/// <summary>HTTPS on the client API.</summary>
public sealed record ApiTlsSettings
{
    /// <summary>The server certificate and key (PKCS#12), relative to the data directory. Defaults to the node's TLS identity, <c>tls/node.p12</c>.</summary>
    public string Certificate { get; init; } = "tls/node.p12";

    /// <summary>File holding the PKCS#12 password.</summary>
    public string CertificatePasswordFile { get; init; } = "tls/node.p12.password";

    /// <summary>
    /// PEM files of the CA(s) that issue client certificates (with their CRLs beside them as <c>*.crl.pem</c>), relative
    /// to the data directory. Empty (the default) = no client certificates: bearer tokens only.
    /// </summary>
    public IReadOnlyList<string> ClientCa { get; init; } = [];
}

/// <summary>An external token issuer (an administration's identity provider).</summary>
public sealed record JwtIssuerSettings
{
    /// <summary>The <c>iss</c> its tokens carry, e.g. <c>https://login.customs.example/realms/ledger</c>.</summary>
    public required string Issuer { get; init; }

    /// <summary>The <c>aud</c> its tokens for this node carry.</summary>
    public required string Audience { get; init; }

    /// <summary>Its signing keys as a JWKS file (the document at its <c>jwks_uri</c>, saved), relative to the data directory.</summary>
    public required string JwksFile { get; init; }

    /// <summary>The claim that lists roles. Defaults to <c>roles</c>.</summary>
    public string RoleClaim { get; init; } = "roles";
}

/// <summary>
/// The peer endpoint: HTTPS with a client certificate required and validated against the consortium trust store (never
/// "accept any certificate"). Paths are relative to the data directory; <c>customs-ledger ca issue</c> writes these files.
/// </summary>
public sealed record PeerSettings
{
    /// <summary>Peer API address. Defaults to <c>https://127.0.0.1:7401</c>; port 0 picks a free port.</summary>
    public string Listen { get; init; } = "https://127.0.0.1:7401";

    /// <summary>This node's certificate and key (PKCS#12).</summary>
    public string Certificate { get; init; } = "tls/node.p12";

    /// <summary>File holding the PKCS#12 password.</summary>
    public string CertificatePasswordFile { get; init; } = "tls/node.p12.password";

    /// <summary>The consortium CA certificate(s), PEM.</summary>
    public string TrustedCa { get; init; } = "tls/consortium-ca.pem";

    /// <summary>The consortium CRL, PEM (refresh it when the CA revokes a certificate).</summary>
    public string Crl { get; init; } = "tls/consortium-ca.crl.pem";

    /// <summary>Longest wait for a peer's answer. Defaults to 30 s.</summary>
    public int DeliveryTimeoutSeconds { get; init; } = 30;

    /// <summary>Longest back-off between delivery attempts. Defaults to 60 s (first retry after 0.5 s, doubling).</summary>
    public int MaxRetryDelaySeconds { get; init; } = 60;
}

/// <summary>Trust anchor files, reloaded while the node runs.</summary>
public sealed record TrustSettings
{
    /// <summary>
    /// Files, relative to the data directory: PEM files of CA certificates and CRLs (every <c>*.crl.pem</c> beside them is
    /// read too) and at most one signed consortium trust list (JSON). A new trust list must be the signed successor of
    /// the one held.
    /// </summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>How often the files are checked for changes. Defaults to 2 s: a revoked peer is refused within seconds of its CRL.</summary>
    public int ReloadSeconds { get; init; } = 2;
}

/// <summary>A known peer: node id and peer API address.</summary>
public sealed record PeerAddress(string NodeId, string Address);

namespace Customs.Ledger.Storage;

/// <summary>
/// The node's store. <c>sqlite</c> (default): node.db, ledger.db and exchange.db in the data directory. <c>postgres</c>: the
/// schemas <c>node</c>, <c>ledger</c>, <c>exchange</c> and <c>ha</c> of one PostgreSQL database, which an active instance
/// and its standby share (docs/HIGH-AVAILABILITY.md). witness.db and the Ethereum journal stay files of each instance.
/// </summary>
public sealed record StoreSettings
{
    /// <summary><c>sqlite</c> or <c>postgres</c>.</summary>
    public string Kind { get; init; } = "sqlite";

    /// <summary>
    /// Npgsql connection string without the password, e.g.
    /// <c>Host=db.customs.example;Database=customs;Username=node;SSL Mode=VerifyFull;Root Certificate=/etc/customs/pg-ca.pem</c>.
    /// </summary>
    public string? ConnectionString { get; init; }

    /// <summary>The environment variable holding the database password (never written to node.json).</summary>
    public string PasswordVariable { get; init; } = "CUSTOMS_LEDGER_PG_PASSWORD";

    /// <summary>How long the leader lease lasts without renewal (1 to 60 s): a standby takes over this long after the leader died.</summary>
    public int LeaseSeconds { get; init; } = 5;

    /// <summary>
    /// The client API address clients of a standby are sent to when this instance leads (default: its listen address).
    /// </summary>
    public string? AdvertiseAddress { get; init; }

    public bool IsPostgres => string.Equals(Kind, "postgres", StringComparison.OrdinalIgnoreCase);
}

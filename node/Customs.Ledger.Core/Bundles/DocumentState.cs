namespace Customs.Ledger.Bundles;

/// <summary>Life cycle of a submitted document.</summary>
public enum DocumentState
{
    /// <summary>Durably stored and acknowledged; waiting for its batch.</summary>
    Accepted = 1,
    /// <summary>In a signed batch that is being anchored.</summary>
    Batched = 2,
    /// <summary>Its batch is anchored on every configured ledger.</summary>
    Anchored = 3,
    /// <summary>Revoked by its issuer (the revocation is anchored too).</summary>
    Revoked = 4,
    /// <summary>Replaced by an amendment.</summary>
    Superseded = 5,
}

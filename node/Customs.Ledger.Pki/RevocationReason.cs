namespace Customs.Ledger.Pki;

/// <summary>Why a certificate was revoked: the RFC 5280 CRLReason codes that apply to node certificates.</summary>
public enum RevocationReason
{
    /// <summary>No reason given.</summary>
    Unspecified = 0,

    /// <summary>The node's private key is known or suspected to be compromised.</summary>
    KeyCompromise = 1,

    /// <summary>The CA key is compromised.</summary>
    CaCompromise = 2,

    /// <summary>The subject's name or affiliation changed (e.g. the agency was renamed).</summary>
    AffiliationChanged = 3,

    /// <summary>Replaced by a new certificate.</summary>
    Superseded = 4,

    /// <summary>The node was decommissioned.</summary>
    CessationOfOperation = 5,

    /// <summary>The administration's participation was withdrawn.</summary>
    PrivilegeWithdrawn = 9,
}

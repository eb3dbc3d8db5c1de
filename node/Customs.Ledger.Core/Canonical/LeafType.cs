namespace Customs.Ledger.Canonical;

/// <summary>
/// The type of a leaf value. The numeric tag is part of the hashed encoding, so a code <c>"1"</c>, a number
/// <c>1</c> and a boolean <c>true</c> can never hash alike. Values are fixed forever: add, never renumber.
/// </summary>
public enum LeafType : byte
{
    /// <summary>An element with no content at all (an empty group or empty element): its presence is committed.</summary>
    Empty = 0,
    /// <summary>Free text or an identifier, exactly as given (surrounding XML whitespace trimmed).</summary>
    Text = 1,
    /// <summary>A code from a code list (trimmed, compared exactly).</summary>
    Code = 2,
    /// <summary>A decimal number in canonical form (no exponent, no leading or trailing zeros, no "+", no "-0").</summary>
    Number = 3,
    /// <summary><c>true</c> or <c>false</c> (XML <c>1</c>/<c>0</c> are read as such).</summary>
    Boolean = 4,
    /// <summary>A canonical decimal with its ISO 4217 <c>currencyID</c> qualifier.</summary>
    Amount = 5,
    /// <summary>A canonical decimal with its UN/ECE Rec. 20 <c>unitCode</c> qualifier.</summary>
    Measure = 6,
    /// <summary>A date-time string with its UNTDID 2379 <c>formatCode</c> qualifier (e.g. 304 = CCYYMMDDHHMMSSZHHMM).</summary>
    DateTime = 7,
}

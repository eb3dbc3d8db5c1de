using Customs.Ledger.Api;
using Customs.Ledger.Bundles;

namespace Customs.Ledger.Fuzzing;

/// <summary>
/// The bundle file parser and the verifier under fuzzing: any bytes given as a bundle file must be refused with a
/// format error, or verify to a report — never VALID without a trust anchor, never another exception. Replayed over the
/// regression corpus (tests/data/fuzz/bundle) by the functional tests.
/// </summary>
public static class BundleTarget
{
    private static readonly VerificationPolicy NoTrust = new() { AnchorVerifiers = [new Adapters.Embedded.EmbeddedAnchorVerifier()] };

    public static void Run(ReadOnlySpan<byte> input)
    {
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(input);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return;
        }

        ProofBundle bundle;
        try
        {
            bundle = BundleMapping.FromProto(BundleMapping.FromJson(text));
        }
        catch (Exception ex) when (ex is FormatException or Google.Protobuf.InvalidProtocolBufferException or Google.Protobuf.InvalidJsonException)
        {
            return;
        }

        var report = BundleVerifier.Verify(bundle, NoTrust);
        if (report.Verdict == Verdict.Valid)
        {
            throw new FuzzFinding("a bundle verified VALID without any trust anchor");
        }

        if (report.Checks.Count != 6)
        {
            throw new FuzzFinding($"the report has {report.Checks.Count} checks, not 6");
        }
    }
}

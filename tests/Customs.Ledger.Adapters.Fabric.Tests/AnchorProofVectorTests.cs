using System.Text.Json;
using Customs.Ledger.Adapters.Fabric.Proofs;
using Customs.Ledger.Ledger;

namespace Customs.Ledger.Adapters.Fabric.Tests;

/// <summary>
/// The published Fabric anchor-proof vectors (chaincode-adapters/fabric/conformance-server/vectors): blocks holding an
/// IssueBatch and a RevokeDocument transaction built and signed with Fabric's official Node client and protobuf
/// libraries, committed by the conformance server. The offline verifier accepts each and refuses it after any one-byte
/// change of the proof.
/// </summary>
public sealed class AnchorProofVectorTests
{
    private static readonly JsonElement Vectors = Load();

    public static TheoryData<string> Cases => new(Vectors.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheVector_Verifies(string name)
    {
        var (receipt, root) = Receipt(name);

        var check = Verifier().Verify(receipt, root, null);

        Assert.True(check.Valid, check.Reason);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryOneByteChange_OfTheProof_IsRefused(string name)
    {
        var (receipt, root) = Receipt(name);
        var verifier = Verifier();
        var accepted = new System.Collections.Concurrent.ConcurrentBag<int>();

        Parallel.For(0, receipt.Proof.Length, i =>
        {
            var proof = (byte[])receipt.Proof.Clone();
            proof[i] ^= (byte)(1 << (i % 8));
            if (verifier.Verify(receipt with { Proof = proof }, root, null).Valid)
            {
                accepted.Add(i);
            }
        });

        Assert.Empty(accepted);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WithoutTheOrdererOrEndorserRoots_TheVectorIsRefused(string name)
    {
        var (receipt, root) = Receipt(name);
        foreach (var missing in new[] { "ConformanceOrdererMSP", "ConformancePeerMSP", "Org1MSP" })
        {
            var check = Verifier(missing).Verify(receipt, root, null);
            Assert.False(check.Valid, missing);
        }
    }

    private static FabricAnchorVerifier Verifier(string? withoutMsp = null)
    {
        var msps = Vectors.GetProperty("msps").EnumerateObject()
            .Where(m => m.Name != withoutMsp)
            .ToDictionary(m => m.Name, m => (IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2>)[.. m.Value.EnumerateArray().Select(p => System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(p.GetString()))]);
        return new FabricAnchorVerifier(new FabricTrustAnchors(msps, Vectors.GetProperty("ordererMsps").EnumerateArray().Select(o => o.GetString()!)));
    }

    private static (AnchorReceipt Receipt, byte[] Root) Receipt(string name)
    {
        var vector = Vectors.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var transactionId = vector.GetProperty("txId").GetString()!;
        var proof = FabricAnchorProof.FromBlock(Convert.FromBase64String(vector.GetProperty("block").GetString()!), transactionId);
        var receipt = new AnchorReceipt(Vectors.GetProperty("ledgerId").GetString()!, transactionId, vector.GetProperty("blockNumber").GetInt64(), proof.ReadTransactionTime(), proof.ToBytes());
        return (receipt, Convert.FromHexString(vector.GetProperty("anchoredRoot").GetString()!));
    }

    private static JsonElement Load()
    {
        var path = Path.Combine(ChainProcess.RepoRoot, "chaincode-adapters", "fabric", "conformance-server", "vectors", "fabric-anchor-proofs.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }
}

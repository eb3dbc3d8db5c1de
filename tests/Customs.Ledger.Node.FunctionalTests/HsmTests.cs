using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Hsm;
using Google.Protobuf;
using Net.Pkcs11Interop.Common;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// A node whose keys are in a real SoftHSM2 token: <c>init --pkcs11-…</c> generates the ledger key (secp256k1) and the
/// TLS key (P-256) non-extractable in the token, <c>ca issue</c> certifies the token's TLS key, and the node — its own
/// process — serves HTTPS with the token's TLS key, signs batches with the token's ledger key, anchors on its embedded
/// ledger, and its bundles verify. Then the test tries to get the private keys out of the token, and cannot.
/// </summary>
public sealed class HsmTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "customs-ledger-hsm-" + Guid.NewGuid().ToString("N")[..8]);

    private string Dir => Path.Combine(_root, "node");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task NodeWithKeysInSoftHsm_SignsAnchorsAndServesTls_AndItsBundlesVerify_AndTheKeysStayInTheToken()
    {
        var (token, pinFile) = SoftHsm.CreateToken("node");
        var (code, output) = await CliProcess.RunAsync(
            "init", "--data-dir", Dir, "--node-id", "GB-HMRC", "--country", "GB", "--agency", "HMRC",
            "--pkcs11-module", SoftHsm.Module, "--pkcs11-token", token, "--pkcs11-pin-file", pinFile, "--pkcs11-tls-key-label", "GB-HMRC-tls");
        Assert.True(code == 0, output);
        Assert.Contains("non-extractable", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Dir, "keys", "node-key.json")));
        var pin = File.ReadAllText(pinFile).Trim();
        Assert.DoesNotContain(pin, File.ReadAllText(Path.Combine(Dir, "node.json")), StringComparison.Ordinal);

        var ca = Path.Combine(_root, "ca");
        Assert.Equal(0, (await CliProcess.RunAsync("ca", "create", "--ca-dir", ca)).ExitCode);
        (code, output) = await CliProcess.RunAsync("ca", "issue", "--ca-dir", ca, "--data-dir", Dir);
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(Dir, "tls", "node.crt.pem")));
        Assert.False(File.Exists(Path.Combine(Dir, "tls", "node.p12")));

        // HTTPS on the client API with the token's TLS key.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, "node.json")))!;
        config["api"]!["tls"] = new JsonObject();
        config["batchWindowMilliseconds"] = 50;
        File.WriteAllText(Path.Combine(Dir, "node.json"), config.ToJsonString());

        var bundleFile = Path.Combine(_root, "bundle.json");
        byte[] issuerKey;
        await using (var node = await NodeProcess.StartAsync(Dir, listen: "https://127.0.0.1:0"))
        {
            Assert.Equal("https", node.Address.Scheme);
            using var trusted = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(Dir, "tls", "consortium-ca.pem")));
            using var handler = new SocketsHttpHandler();
            var serverKey = (byte[]?)null;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, errors) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(trusted);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                serverKey = new X509Certificate2(presented!).GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo();
                return (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == 0 && chain.Build(new X509Certificate2(presented!));
            };
            using var channel = NodeClients.WithToken(node.Address, File.ReadAllText(NodeClients.TokenFile(Dir)).Trim(), handler);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")), SourceName = "d.xml" })).Receipt;
            await NodeEvents.WaitAsync(documents, e => e.DocumentId == receipt.DocumentId && e.Type == "anchored");
            var bundle = await documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId });
            await File.WriteAllTextAsync(bundleFile, BundleMapping.ToJson(bundle));
            issuerKey = bundle.Issuer.PublicKey.ToByteArray();

            // The handshake was signed by the token's P-256 key.
            using var tokenForTls = Pkcs11Token.Open(SoftHsm.Module, token, pin);
            Assert.Equal(Pkcs11TlsKey.PublicKeyInfo(tokenForTls, "GB-HMRC-tls"), serverKey);
            Assert.Equal(0, await node.StopAsync());
        }

        // The bundle verifies offline against the CA: batch signature by the token's key, embedded ledger block, certificate.
        (code, output) = await CliProcess.RunAsync("verify", bundleFile, "--trust", Path.Combine(Dir, "tls", "consortium-ca.pem"));
        Assert.True(code == 0, output);
        Assert.Contains("VALID", output, StringComparison.Ordinal);
        using (var ledgerKey = Pkcs11Secp256k1Signer.Open(new Pkcs11Settings { Module = SoftHsm.Module, TokenLabel = token, LedgerKeyLabel = "GB-HMRC-ledger" }, pin))
        {
            Assert.Equal(ledgerKey.PublicKey.ToCompressedBytes(), issuerKey);
        }

        // The private keys cannot be read, made extractable, or wrapped out of the token.
        using var raw = Pkcs11Token.Open(SoftHsm.Module, token, pin);
        var factories = new Net.Pkcs11Interop.HighLevelAPI.Pkcs11InteropFactories();
        var attributes = factories.ObjectAttributeFactory;
        foreach (var (curve, label) in new[] { (Pkcs11Curve.Secp256k1, "GB-HMRC-ledger"), (Pkcs11Curve.P256, "GB-HMRC-tls") })
        {
            var (privateKey, _) = raw.FindKeyPair(curve, label);
            raw.Use(session =>
            {
                var value = session.GetAttributeValue(privateKey, [CKA.CKA_VALUE])[0];
                Assert.True(value.CannotBeRead);
                var flags = session.GetAttributeValue(privateKey, [CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_NEVER_EXTRACTABLE]);
                Assert.True(flags[0].GetValueAsBool());
                Assert.False(flags[1].GetValueAsBool());
                Assert.True(flags[2].GetValueAsBool());
                var unlock = Assert.Throws<Pkcs11Exception>(() => { session.SetAttributeValue(privateKey, [attributes.Create(CKA.CKA_EXTRACTABLE, true)]); });
                Assert.NotEqual(CKR.CKR_OK, unlock.RV);
                var wrappingKey = session.GenerateKey(
                    factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN),
                    [attributes.Create(CKA.CKA_VALUE_LEN, 32UL), attributes.Create(CKA.CKA_WRAP, true), attributes.Create(CKA.CKA_TOKEN, false)]);
                var wrap = Assert.Throws<Pkcs11Exception>(() => session.WrapKey(factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP_PAD), wrappingKey, privateKey));
                Assert.Equal(CKR.CKR_KEY_UNEXTRACTABLE, wrap.RV);
                session.DestroyObject(wrappingKey);
                return true;
            });
        }
    }

    [Fact]
    public async Task WrongPin_TheNodeRefusesToStart_WithoutShowingThePin()
    {
        var (token, pinFile) = SoftHsm.CreateToken("pin");
        var (code, output) = await CliProcess.RunAsync("init", "--data-dir", Dir, "--pkcs11-module", SoftHsm.Module, "--pkcs11-token", token, "--pkcs11-pin-file", pinFile);
        Assert.True(code == 0, output);
        File.WriteAllText(Path.Combine(Dir, "keys", "pkcs11.pin"), "wrong-pin-7731");
        (code, output) = await CliProcess.RunAsync("node", "--data-dir", Dir, "--listen", "http://127.0.0.1:0");
        Assert.Equal(2, code);
        Assert.Contains("refused the PIN", output, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-pin-7731", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);

        // And a module that is not there.
        (code, output) = await CliProcess.RunAsync("init", "--data-dir", Path.Combine(_root, "other"), "--pkcs11-module", "/nonexistent/libpkcs11.so", "--pkcs11-token", token, "--pkcs11-pin-file", pinFile);
        Assert.Equal(2, code);
        Assert.Contains("does not exist", output, StringComparison.Ordinal);
    }
}

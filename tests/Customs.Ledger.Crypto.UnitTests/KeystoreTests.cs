using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Customs.Ledger.Crypto.Keystore;

namespace Customs.Ledger.Crypto.UnitTests;

public sealed class KeystoreTests
{
    private const string VectorFile = "web3-secret-storage-v3.json";

    /// <summary>Cheap parameters so the tests stay fast; the limits still apply.</summary>
    private static readonly KeystoreEncryptionOptions _lightScrypt = new() { ScryptN = 1 << 10, ScryptR = 8, ScryptP = 1 };

    private static readonly KeystoreEncryptionOptions _lightPbkdf2 = new() { Kdf = KeystoreKdf.Pbkdf2, Pbkdf2Iterations = 1000 };

    /// <summary>Explicit limits for the official vectors (n = 2^18; the r=1 one has p = 8).</summary>
    private static readonly KeystoreLimits _vectorLimits = new() { MaxScryptN = 1 << 18, MaxScryptP = 8, MaxScryptMemoryBytes = 256L * 1024 * 1024 };

    public static TheoryData<string> VectorNames => TestVectors.Names(VectorFile);

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void OfficialVector_DecryptsToThePublishedKey(string name)
    {
        var vectors = TestVectors.Load(VectorFile);
        var json = TestVectors.Find(VectorFile, name).GetProperty("keystore").GetRawText();

        using var key = Web3Keystore.DecryptSecp256k1(json, vectors.Str("password"), _vectorLimits);

        var bytes = new byte[32];
        key.CopyTo(bytes);
        Assert.Equal(vectors.Str("privateKey"), Convert.ToHexStringLower(bytes));
        Assert.Equal(vectors.Str("address"), Convert.ToHexStringLower(key.PublicKey.GetAddress()));
    }

    [Fact]
    public void OfficialScryptVector_IsRejected_UnderTighterLimits()
    {
        var json = TestVectors.Find(VectorFile, "scrypt-n262144-r1-p8").GetProperty("keystore").GetRawText();
        var tight = new KeystoreLimits { MaxScryptMemoryBytes = 64L * 1024 * 1024 };

        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(json, "testpassword", tight));

        Assert.Equal(KeystoreErrorReason.KdfParametersOutOfRange, ex.Reason);
    }

    [Fact]
    public void OfficialVector_WrongPassword_IsMacMismatch()
    {
        var json = TestVectors.Find(VectorFile, "pbkdf2-sha256").GetProperty("keystore").GetRawText();

        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(json, "testpassword!", _vectorLimits));

        Assert.Equal(KeystoreErrorReason.MacMismatch, ex.Reason);
    }

    [Theory]
    [InlineData(KeystoreKdf.Scrypt)]
    [InlineData(KeystoreKdf.Pbkdf2)]
    public void Secp256k1_RoundTrip(KeystoreKdf kdf)
    {
        using var key = Secp256k1PrivateKey.Generate();
        var password = "pässwörd ✓ " + Guid.NewGuid();
        var json = Web3Keystore.Encrypt(key, password, kdf == KeystoreKdf.Scrypt ? _lightScrypt : _lightPbkdf2);

        using var decrypted = Web3Keystore.DecryptSecp256k1(json, password);

        Assert.Equal(key.PublicKey, decrypted.PublicKey);
        var node = JsonNode.Parse(json)!;
        Assert.Equal(3, node["version"]!.GetValue<int>());
        Assert.Null(node["keyType"]);
        Assert.Equal(Convert.ToHexStringLower(key.PublicKey.GetAddress()), node["address"]!.GetValue<string>());
        Assert.Equal(new KeystoreInfo(KeystoreKeyType.Secp256k1, kdf, node["id"]!.GetValue<string>(), node["address"]!.GetValue<string>()), Web3Keystore.Inspect(json));
    }

    [Fact]
    public void Ed25519_RoundTrip_WritesKeyType()
    {
        using var key = Ed25519PrivateKey.Generate();
        var json = Web3Keystore.Encrypt(key, "ed-password", _lightScrypt);

        using var decrypted = Web3Keystore.DecryptEd25519(json, "ed-password");

        Assert.Equal(key.PublicKey, decrypted.PublicKey);
        var node = JsonNode.Parse(json)!;
        Assert.Equal("ed25519", node["keyType"]!.GetValue<string>());
        Assert.Null(node["address"]);
        Assert.Equal(KeystoreKeyType.Ed25519, Web3Keystore.Inspect(json).KeyType);
    }

    [Fact]
    public void DefaultOptions_RoundTrip()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var json = Web3Keystore.Encrypt(key, "default");

        var kdfParams = JsonNode.Parse(json)!["crypto"]!["kdfparams"]!;
        Assert.Equal(1 << 17, kdfParams["n"]!.GetValue<int>());
        Assert.Equal(8, kdfParams["r"]!.GetValue<int>());
        Assert.Equal(1, kdfParams["p"]!.GetValue<int>());
        using var decrypted = Web3Keystore.DecryptSecp256k1(json, "default");
        Assert.Equal(key.PublicKey, decrypted.PublicKey);
    }

    [Fact]
    public void WrongPassword_IsMacMismatch_AndLeaksNoSecret()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var password = "s3cret-" + Guid.NewGuid();
        var wrongPassword = "wrong-" + Guid.NewGuid();
        var json = Web3Keystore.Encrypt(key, password, _lightScrypt);
        var keyBytes = new byte[32];
        key.CopyTo(keyBytes);
        var keyHex = Convert.ToHexStringLower(keyBytes);

        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(json, wrongPassword));

        Assert.Equal(KeystoreErrorReason.MacMismatch, ex.Reason);
        foreach (var text in new[] { ex.Message, ex.ToString() })
        {
            Assert.DoesNotContain(password, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(wrongPassword, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(keyHex, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void HostileParameters_ExceptionText_LeaksNoSecret()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var password = "hunter2-" + Guid.NewGuid();
        var json = Mutate(Web3Keystore.Encrypt(key, password, _lightScrypt), "crypto.kdfparams.n", "1073741824");

        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(json, password));

        Assert.Equal(KeystoreErrorReason.KdfParametersOutOfRange, ex.Reason);
        Assert.DoesNotContain(password, ex.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("crypto.ciphertext")]
    [InlineData("crypto.mac")]
    [InlineData("crypto.cipherparams.iv")]
    [InlineData("crypto.kdfparams.salt")]
    public void OneByteChange_IsMacMismatch(string path)
    {
        using var key = Secp256k1PrivateKey.Generate();
        var json = Web3Keystore.Encrypt(key, "pw", _lightScrypt);
        var node = JsonNode.Parse(json)!;
        var (parent, name) = Locate(node, path);
        var bytes = Convert.FromHexString(parent[name]!.GetValue<string>());
        bytes[bytes.Length / 2] ^= 0x01;
        parent[name] = Convert.ToHexStringLower(bytes);

        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(node.ToJsonString(), "pw"));

        // A changed IV passes the MAC (which covers only the ciphertext) but yields another key, caught by the address check.
        Assert.Equal(path == "crypto.cipherparams.iv" ? KeystoreErrorReason.AddressMismatch : KeystoreErrorReason.MacMismatch, ex.Reason);
    }

    [Fact]
    public void ForeignAddressField_IsAddressMismatch()
    {
        using var key = Secp256k1PrivateKey.Generate();
        using var other = Secp256k1PrivateKey.Generate();
        var json = Mutate(
            Web3Keystore.Encrypt(key, "pw", _lightScrypt), "address", JsonSerializer.Serialize(Convert.ToHexStringLower(other.PublicKey.GetAddress())));

        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(json, "pw"));

        Assert.Equal(KeystoreErrorReason.AddressMismatch, ex.Reason);
    }

    [Fact]
    public void KeyTypeMismatch_IsRejectedBeforeDerivation()
    {
        using var secp = Secp256k1PrivateKey.Generate();
        using var ed = Ed25519PrivateKey.Generate();
        var secpJson = Web3Keystore.Encrypt(secp, "pw", _lightScrypt);
        var edJson = Web3Keystore.Encrypt(ed, "pw", _lightScrypt);

        Assert.Equal(KeystoreErrorReason.KeyTypeMismatch, Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptEd25519(secpJson, "pw")).Reason);
        Assert.Equal(KeystoreErrorReason.KeyTypeMismatch, Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(edJson, "pw")).Reason);
    }

    [Theory]
    [InlineData("scrypt", "crypto.kdfparams.n", "1073741824", KeystoreErrorReason.KdfParametersOutOfRange)] // 2^30
    [InlineData("scrypt", "crypto.kdfparams.n", "2097152", KeystoreErrorReason.KdfParametersOutOfRange)] // 2^21
    [InlineData("scrypt", "crypto.kdfparams.n", "512", KeystoreErrorReason.KdfParametersOutOfRange)] // 2^9
    [InlineData("scrypt", "crypto.kdfparams.n", "1000", KeystoreErrorReason.KdfParametersOutOfRange)] // not a power of two
    [InlineData("scrypt", "crypto.kdfparams.n", "0", KeystoreErrorReason.KdfParametersOutOfRange)]
    [InlineData("scrypt", "crypto.kdfparams.n", "-1024", KeystoreErrorReason.KdfParametersOutOfRange)]
    [InlineData("scrypt", "crypto.kdfparams.n", "1e300", KeystoreErrorReason.KdfParametersOutOfRange)]
    [InlineData("scrypt", "crypto.kdfparams.n", "18446744073709551616", KeystoreErrorReason.KdfParametersOutOfRange)] // 2^64
    [InlineData("scrypt", "crypto.kdfparams.n", "1024.5", KeystoreErrorReason.KdfParametersOutOfRange)]
    [InlineData("scrypt", "crypto.kdfparams.n", "\"1024\"", KeystoreErrorReason.Malformed)]
    [InlineData("scrypt", "crypto.kdfparams.p", "1048576", KeystoreErrorReason.KdfParametersOutOfRange)] // 2^20
    [InlineData("scrypt", "crypto.kdfparams.p", "0", KeystoreErrorReason.KdfParametersOutOfRange)]
    [InlineData("scrypt", "crypto.kdfparams.r", "17", KeystoreErrorReason.KdfParametersOutOfRange)]
    [InlineData("scrypt", "crypto.kdfparams.r", "0", KeystoreErrorReason.KdfParametersOutOfRange)]
    [InlineData("scrypt", "crypto.kdfparams.dklen", "64", KeystoreErrorReason.KdfParametersOutOfRange)]
    [InlineData("scrypt", "crypto.kdfparams.dklen", "16", KeystoreErrorReason.KdfParametersOutOfRange)]
    [InlineData("scrypt", "crypto.kdfparams.salt", "\"00112233445566778899aabbccddee\"", KeystoreErrorReason.KdfParametersOutOfRange)] // 15 bytes
    [InlineData("scrypt", "crypto.kdfparams.salt", "\"zz112233445566778899aabbccddeeff\"", KeystoreErrorReason.Malformed)]
    [InlineData("scrypt", "crypto.cipherparams.iv", "\"00112233445566778899aabbccddee\"", KeystoreErrorReason.CipherParametersOutOfRange)] // 15 bytes
    [InlineData("scrypt", "crypto.cipherparams.iv", "\"00112233445566778899aabbccddeeff00\"", KeystoreErrorReason.CipherParametersOutOfRange)] // 17 bytes
    [InlineData("scrypt", "crypto.ciphertext", "\"00\"", KeystoreErrorReason.CipherParametersOutOfRange)]
    [InlineData("scrypt", "crypto.mac", "\"00\"", KeystoreErrorReason.Malformed)]
    [InlineData("scrypt", "crypto.kdf", "\"argon2id\"", KeystoreErrorReason.UnsupportedKdf)]
    [InlineData("scrypt", "crypto.cipher", "\"aes-256-gcm\"", KeystoreErrorReason.UnsupportedCipher)]
    [InlineData("scrypt", "version", "2", KeystoreErrorReason.UnsupportedVersion)]
    [InlineData("scrypt", "version", "\"3\"", KeystoreErrorReason.Malformed)]
    [InlineData("scrypt", "keyType", "\"rsa\"", KeystoreErrorReason.UnsupportedKeyType)]
    [InlineData("scrypt", "crypto.kdfparams", "null", KeystoreErrorReason.Malformed)]
    [InlineData("scrypt", "crypto", "[]", KeystoreErrorReason.Malformed)]
    [InlineData("pbkdf2", "crypto.kdfparams.c", "2147483648", KeystoreErrorReason.KdfParametersOutOfRange)] // 2^31
    [InlineData("pbkdf2", "crypto.kdfparams.c", "10000001", KeystoreErrorReason.KdfParametersOutOfRange)]
    [InlineData("pbkdf2", "crypto.kdfparams.c", "0", KeystoreErrorReason.KdfParametersOutOfRange)]
    [InlineData("pbkdf2", "crypto.kdfparams.prf", "\"hmac-sha512\"", KeystoreErrorReason.UnsupportedKdf)]
    public void HostileOrMalformedParameters_AreRejectedBeforeDerivation(string kdf, string path, string jsonValue, KeystoreErrorReason expected)
    {
        var json = Mutate(CreateKeystore(kdf), path, jsonValue);

        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(json, "pw"));

        Assert.Equal(expected, ex.Reason);
        Assert.Equal(expected, Assert.Throws<KeystoreException>(() => Web3Keystore.Inspect(json)).Reason);
    }

    [Fact]
    public void ScryptMemoryBound_IsEnforced()
    {
        // Each value is within its own range, but 128 * 2^20 * 8 * 1 = 1 GiB > 256 MiB.
        var json = Mutate(Mutate(CreateKeystore("scrypt"), "crypto.kdfparams.n", "1048576"), "crypto.kdfparams.r", "8");

        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(json, "pw"));

        Assert.Equal(KeystoreErrorReason.KdfParametersOutOfRange, ex.Reason);
    }

    [Theory]
    [InlineData("crypto")]
    [InlineData("crypto.kdfparams.salt")]
    [InlineData("crypto.kdfparams.n")]
    [InlineData("crypto.mac")]
    [InlineData("crypto.cipherparams")]
    [InlineData("version")]
    public void MissingField_IsMalformed(string path)
    {
        var node = JsonNode.Parse(CreateKeystore("scrypt"))!;
        var (parent, name) = Locate(node, path);
        parent.Remove(name);

        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(node.ToJsonString(), "pw"));

        Assert.Equal(KeystoreErrorReason.Malformed, ex.Reason);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"version\":3,\"version\":3}")]
    [InlineData("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{}}}}}}}}}}")]
    public void NonKeystoreJson_IsMalformed(string json)
    {
        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(json, "pw"));

        Assert.Equal(KeystoreErrorReason.Malformed, ex.Reason);
    }

    [Fact]
    public void OversizedDocument_IsTooLarge()
    {
        var json = CreateKeystore("scrypt");
        var padded = json[..^1] + new string(' ', 64 * 1024) + "}";

        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.DecryptSecp256k1(padded, "pw"));

        Assert.Equal(KeystoreErrorReason.TooLarge, ex.Reason);
    }

    [Fact]
    public void CapitalisedCryptoField_IsAccepted()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var node = JsonNode.Parse(Web3Keystore.Encrypt(key, "pw", _lightScrypt))!.AsObject();
        var crypto = node["crypto"]!;
        node.Remove("crypto");
        node["Crypto"] = crypto;

        using var decrypted = Web3Keystore.DecryptSecp256k1(node.ToJsonString(), "pw");

        Assert.Equal(key.PublicKey, decrypted.PublicKey);
    }

    [Fact]
    public void EncryptOptions_OutsideLimits_AreRejected()
    {
        using var key = Secp256k1PrivateKey.Generate();

        var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.Encrypt(key, "pw", new KeystoreEncryptionOptions { ScryptN = 1 << 21 }));

        Assert.Equal(KeystoreErrorReason.KdfParametersOutOfRange, ex.Reason);
    }

    [Fact]
    public void WriteFile_IsOwnerOnly_Atomic_AndDoesNotClobber()
    {
        var directory = Directory.CreateTempSubdirectory("customs-ledger-keystore-");
        try
        {
            using var key = Secp256k1PrivateKey.Generate();
            var json = Web3Keystore.Encrypt(key, "pw", _lightScrypt);
            var path = Path.Combine(directory.FullName, "node.json");

            Web3Keystore.WriteFile(path, json);

            Assert.Equal(json, Web3Keystore.ReadFile(path));
            Assert.Single(Directory.GetFiles(directory.FullName));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            Assert.Throws<IOException>(() => Web3Keystore.WriteFile(path, "{}"));
            Assert.Equal(json, Web3Keystore.ReadFile(path));
            Assert.Single(Directory.GetFiles(directory.FullName));

            Web3Keystore.WriteFile(path, "{}", overwrite: true);
            Assert.Equal("{}", Web3Keystore.ReadFile(path));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void ReadFile_RefusesOversizedFile()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, Encoding.ASCII.GetBytes(new string(' ', (64 * 1024) + 1)));

            var ex = Assert.Throws<KeystoreException>(() => Web3Keystore.ReadFile(path));

            Assert.Equal(KeystoreErrorReason.TooLarge, ex.Reason);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string CreateKeystore(string kdf)
    {
        using var key = Secp256k1PrivateKey.Generate();
        return Web3Keystore.Encrypt(key, "pw", kdf == "pbkdf2" ? _lightPbkdf2 : _lightScrypt);
    }

    private static string Mutate(string json, string path, string jsonValue)
    {
        var node = JsonNode.Parse(json)!;
        var (parent, name) = Locate(node, path);
        parent[name] = JsonNode.Parse(jsonValue);
        return node.ToJsonString();
    }

    private static (JsonObject Parent, string Name) Locate(JsonNode root, string path)
    {
        var parts = path.Split('.');
        var current = root;
        foreach (var part in parts[..^1])
        {
            current = current[part]!;
        }

        return (current.AsObject(), parts[^1]);
    }
}

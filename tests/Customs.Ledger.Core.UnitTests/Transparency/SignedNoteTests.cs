using Customs.Ledger.Crypto;
using Customs.Ledger.Transparency;

namespace Customs.Ledger.Core.UnitTests.Transparency;

public sealed class SignedNoteTests
{
    // The example key and note of C2SP signed-note / Go's sumdb/note documentation.
    private const string GoVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string GoNote = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    [Fact]
    public void GoSumdbNoteExample_Verifies()
    {
        var key = NoteKey.Parse(GoVerifierKey, "example key");
        Assert.True(SignedNote.TryParse(GoNote, out var note, out var reason), reason);
        Assert.True(key.Verify(note.Text, note.Signatures[0], out _));
        Assert.Equal(GoNote, note.ToString());
        var edited = GoNote.Replace("answer", "Answer", StringComparison.Ordinal);
        Assert.True(SignedNote.TryParse(edited, out var tampered, out _));
        Assert.False(key.Verify(tampered.Text, tampered.Signatures[0], out _));
    }

    [Fact]
    public void Checkpoint_SignedAndCosigned_RoundTrips()
    {
        using var logPrivate = Ed25519PrivateKey.Generate();
        using var witnessPrivate = Ed25519PrivateKey.Generate();
        var log = NoteKey.Create("customs-ledger/embedded/GB-HMRC", NoteKeyAlgorithm.Ed25519, logPrivate.PublicKey);
        var witness = NoteKey.Create("customs-ledger/witness/NL-DOUANE", NoteKeyAlgorithm.Cosignature, witnessPrivate.PublicKey);
        var checkpoint = new Checkpoint(log.Name, 12, new byte[32]);
        var text = checkpoint.ToText();
        var note = new SignedNote(text, [log.Sign(logPrivate, text), witness.Sign(witnessPrivate, text, 1_765_000_000)]);

        Assert.True(SignedNote.TryParse(note.ToString(), out var parsed, out var reason), reason);
        Assert.True(Checkpoint.TryParse(parsed.Text, out var back, out reason), reason);
        Assert.Equal(12, back.Size);
        Assert.True(log.Verify(parsed.Text, parsed.Signatures[0], out _));
        Assert.True(witness.Verify(parsed.Text, parsed.Signatures[1], out var time));
        Assert.Equal(1_765_000_000, time);
        Assert.False(witness.Verify(parsed.Text, parsed.Signatures[0], out _));
        Assert.True(NoteKey.TryParse(witness.VerifierKey, out var reparsed));
        Assert.Equal(witness.KeyHash, reparsed.KeyHash);

        // The timestamp is signed: moving it breaks the cosignature.
        var moved = (byte[])parsed.Signatures[1].Signature.Clone();
        moved[7] ^= 1;
        Assert.False(witness.Verify(parsed.Text, parsed.Signatures[1] with { Signature = moved }, out _));
    }

    [Theory]
    [InlineData("o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("o\n1\nAAAA\n")]
    [InlineData("o o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("o\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n")]
    public void MalformedCheckpoints_AreRefused(string text) => Assert.False(Checkpoint.TryParse(text, out _, out _));

    [Theory]
    [InlineData("text\n")]
    [InlineData("text\n\n")]
    [InlineData("text\n\n— name\n")]
    [InlineData("text\n\n- name AAAAAAAA\n")]
    [InlineData("text\n\n— na+me AAAAAAAA\n")]
    [InlineData("text\n\n— name !!!!\n")]
    public void MalformedNotes_AreRefused(string note) => Assert.False(SignedNote.TryParse(note, out _, out _));
}

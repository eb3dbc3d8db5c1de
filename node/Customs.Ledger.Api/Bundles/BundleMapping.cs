using Customs.Ledger.Api.V1;
using Customs.Ledger.Canonical;
using Customs.Ledger.Merkle;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Domain = Customs.Ledger.Bundles;

namespace Customs.Ledger.Api;

/// <summary>Converts proof bundles between the domain model and the wire/file form (protobuf, and its JSON mapping).</summary>
public static class BundleMapping
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithIndentation().WithFormatDefaultValues(false));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false).WithRecursionLimit(32));

    /// <summary>Most certificates in a bundle's chain (the node certificate and its intermediates).</summary>
    public const int MaxCertificates = 8;

    /// <summary>Largest bundle file accepted, in bytes. Defaults to 64 MiB.</summary>
    public const int MaxBundleJsonBytes = 64 * 1024 * 1024;

    public static ProofBundle ToProto(Domain.ProofBundle b)
    {
        ArgumentNullException.ThrowIfNull(b);
        var proto = new ProofBundle
        {
            Version = b.Version,
            DocumentId = b.DocumentId,
            Profile = b.Document.ProfileId,
            Kind = b.Document.Kind.ToString(),
            DocumentRoot = ByteString.CopyFrom(b.DocumentRoot),
            Batch = new BatchInclusion
            {
                BatchRoot = ByteString.CopyFrom(b.BatchRoot),
                Index = b.BatchProof.Index,
                Size = b.BatchProof.Size,
                Signature = ByteString.CopyFrom(b.BatchSignature),
                Entry = ByteString.CopyFrom(b.BatchEntry),
            },
            Issuer = new IssuerIdentity { Country = b.Issuer.Country, Agency = b.Issuer.Agency, PublicKey = ByteString.CopyFrom(b.Issuer.PublicKey), NodeId = b.Issuer.NodeId },
            Status = ToProto(b.Status),
            LedgerRecord = ByteString.CopyFrom(b.LedgerRecord),
        };
        proto.Batch.Path.AddRange(b.BatchProof.Path.Select(ByteString.CopyFrom));
        proto.Issuer.CertificateChain.AddRange(b.Issuer.CertificateChain.Select(ByteString.CopyFrom));
        proto.Anchors.AddRange(b.Anchors.Select(ToProto));
        foreach (var entry in b.Document.Entries)
        {
            if (entry.Leaf is { } leaf)
            {
                var disclosed = new Api.V1.DisclosedLeaf { Path = leaf.Path, Type = leaf.Type.ToString(), Value = leaf.Value, Salt = ByteString.CopyFrom(entry.Salt) };
                if (leaf.Qualifier is not null)
                {
                    disclosed.Qualifier = leaf.Qualifier;
                }

                proto.Leaves.Add(new BundleLeaf { Disclosed = disclosed });
            }
            else
            {
                proto.Leaves.Add(new BundleLeaf { HiddenHash = ByteString.CopyFrom(entry.Hash) });
            }
        }

        return proto;
    }

    /// <summary>Reads a wire/file bundle. Throws <see cref="FormatException"/> with the reason when it is malformed.</summary>
    public static Domain.ProofBundle FromProto(ProofBundle p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Batch is null || p.Issuer is null || p.Status is null)
        {
            throw new FormatException("bundle lacks its batch, issuer or status section");
        }

        if (!System.Enum.TryParse<MessageKind>(p.Kind, out var kind))
        {
            throw new FormatException($"unknown document kind '{p.Kind}'");
        }

        var leaves = p.Leaves.Select(l => l.EntryCase switch
        {
            BundleLeaf.EntryOneofCase.Disclosed => Merkle.DisclosedLeaf.Revealed(
                new Leaf(l.Disclosed.Path, System.Enum.TryParse<LeafType>(l.Disclosed.Type, out var t) && System.Enum.IsDefined(t) ? t : throw new FormatException($"unknown leaf type '{l.Disclosed.Type}'"), l.Disclosed.Value, l.Disclosed.HasQualifier ? l.Disclosed.Qualifier : null),
                l.Disclosed.Salt.ToByteArray()),
            BundleLeaf.EntryOneofCase.HiddenHash => Merkle.DisclosedLeaf.Hidden(l.HiddenHash.ToByteArray()),
            _ => throw new FormatException("a leaf entry is neither disclosed nor hidden"),
        }).ToList();
        return new Domain.ProofBundle
        {
            Version = p.Version,
            DocumentId = p.DocumentId,
            Document = new DisclosedDocument(p.Profile, kind, leaves),
            DocumentRoot = p.DocumentRoot.ToByteArray(),
            BatchRoot = p.Batch.BatchRoot.ToByteArray(),
            BatchProof = new BatchProof(p.Batch.Index, p.Batch.Size, p.Batch.Path.Select(x => x.ToByteArray()).ToList()),
            BatchSignature = p.Batch.Signature.ToByteArray(),
            BatchEntry = p.Batch.Entry.ToByteArray(),
            Issuer = new Domain.IssuerIdentity(p.Issuer.Country, p.Issuer.Agency, p.Issuer.PublicKey.ToByteArray(), p.Issuer.NodeId)
            {
                CertificateChain = p.Issuer.CertificateChain.Count <= MaxCertificates
                    ? [.. p.Issuer.CertificateChain.Select(c => c.ToByteArray())]
                    : throw new FormatException($"the issuer certificate chain holds more than {MaxCertificates} certificates"),
            },
            Anchors = p.Anchors.Select(FromProto).ToList(),
            Status = FromProto(p.Status),
            LedgerRecord = p.LedgerRecord.ToByteArray(),
        };
    }

    public static string ToJson(ProofBundle bundle) => Formatter.Format(bundle);

    /// <summary>Parses a bundle file. Throws <see cref="FormatException"/> (or <see cref="InvalidProtocolBufferException"/>) when malformed.</summary>
    public static ProofBundle FromJson(string json)
    {
        if (json.Length > MaxBundleJsonBytes)
        {
            throw new FormatException($"bundle file exceeds {MaxBundleJsonBytes:N0} bytes");
        }

        return Parser.Parse<ProofBundle>(json);
    }

    public static Anchor ToProto(Ledger.AnchorReceipt r)
    {
        var anchor = new Anchor
        {
            LedgerId = r.LedgerId,
            Reference = r.Reference,
            Height = r.Height,
            Timestamp = Timestamp.FromDateTimeOffset(r.Timestamp),
            Proof = ByteString.CopyFrom(r.Proof),
        };
        if (r.Log is { } log)
        {
            anchor.Log = new LogInclusion
            {
                Checkpoint = log.Checkpoint,
                LogKey = log.Binding?.Key.VerifierKey ?? string.Empty,
                LogKeySignature = log.Binding is { } binding ? ByteString.CopyFrom(binding.Signature) : ByteString.Empty,
            };
            anchor.Log.Path.AddRange(log.Path.Select(ByteString.CopyFrom));
        }

        return anchor;
    }

    /// <exception cref="FormatException">A log proof longer than <see cref="Transparency.LogProofs.MaxProofHashes"/> hashes.</exception>
    public static Ledger.AnchorReceipt FromProto(Anchor a)
    {
        var receipt = new Ledger.AnchorReceipt(a.LedgerId, a.Reference, a.Height, a.Timestamp?.ToDateTimeOffset() ?? DateTimeOffset.MinValue, a.Proof.ToByteArray());
        if (a.Log is not { } log)
        {
            return receipt;
        }

        if (log.Path.Count > Transparency.LogProofs.MaxProofHashes)
        {
            throw new FormatException($"an anchor's log path holds more than {Transparency.LogProofs.MaxProofHashes} hashes");
        }

        // A binding that does not parse is kept out: the verifier then reports the log key as not bound (INVALID).
        var binding = Transparency.NoteKey.TryParse(log.LogKey, out var key) && log.LogKeySignature.Length == 65
            ? new Transparency.NoteKeyBinding(key, log.LogKeySignature.ToByteArray())
            : null;
        return receipt with { Log = new Transparency.LogInclusion(log.Checkpoint, [.. log.Path.Select(p => p.ToByteArray())], binding) };
    }

    public static BundleStatus ToProto(Domain.BundleStatus s)
    {
        var status = new BundleStatus
        {
            State = ToProto(s.State),
            AsOf = Timestamp.FromDateTimeOffset(s.AsOf),
            RevocationReason = s.RevocationReason ?? string.Empty,
            SupersededBy = s.SupersededBy ?? string.Empty,
            Supersedes = s.Supersedes ?? string.Empty,
            Statement = ByteString.CopyFrom(s.Statement),
            Signature = ByteString.CopyFrom(s.Signature),
            Leaf = ByteString.CopyFrom(s.Leaf),
        };
        status.SignerCertificates.AddRange(s.SignerCertificates.Select(ByteString.CopyFrom));
        status.Path.AddRange(s.Path.Select(ByteString.CopyFrom));
        if (s.Revocation is { } r)
        {
            status.Revocation = ToProto(r);
        }

        return status;
    }

    public static Domain.BundleStatus FromProto(BundleStatus s) => new(
        FromProto(s.State),
        s.AsOf?.ToDateTimeOffset() ?? DateTimeOffset.MinValue,
        NullIfEmpty(s.RevocationReason),
        s.Revocation is null ? null : FromProto(s.Revocation),
        NullIfEmpty(s.SupersededBy),
        NullIfEmpty(s.Supersedes))
    {
        Statement = s.Statement.ToByteArray(),
        Signature = s.Signature.ToByteArray(),
        Leaf = s.Leaf.ToByteArray(),
        Path = s.Path.Count <= 64 ? [.. s.Path.Select(p => p.ToByteArray())] : throw new FormatException("the status path is longer than 64 hashes"),
        SignerCertificates = s.SignerCertificates.Count <= MaxCertificates
            ? [.. s.SignerCertificates.Select(c => c.ToByteArray())]
            : throw new FormatException($"the status signer's certificate chain holds more than {MaxCertificates} certificates"),
    };

    public static DocumentState ToProto(Domain.DocumentState s) => s switch
    {
        Domain.DocumentState.Accepted => DocumentState.Accepted,
        Domain.DocumentState.Batched => DocumentState.Batched,
        Domain.DocumentState.Anchored => DocumentState.Anchored,
        Domain.DocumentState.Revoked => DocumentState.Revoked,
        Domain.DocumentState.Superseded => DocumentState.Superseded,
        _ => DocumentState.Unspecified,
    };

    public static Domain.DocumentState FromProto(DocumentState s) => s switch
    {
        DocumentState.Accepted => Domain.DocumentState.Accepted,
        DocumentState.Batched => Domain.DocumentState.Batched,
        DocumentState.Anchored => Domain.DocumentState.Anchored,
        DocumentState.Revoked => Domain.DocumentState.Revoked,
        DocumentState.Superseded => Domain.DocumentState.Superseded,
        _ => throw new FormatException($"unknown document state {s}"),
    };

    public static VerificationReport ToProto(Domain.VerificationReport report)
    {
        var proto = new VerificationReport { Verdict = ToProto(report.Verdict) };
        proto.Checks.AddRange(report.Checks.Select(c => new Check { Name = c.Name, Verdict = ToProto(c.Verdict), Reason = c.Reason }));
        return proto;
    }

    public static Verdict ToProto(Domain.Verdict v) => v switch
    {
        Domain.Verdict.Valid => Verdict.Valid,
        Domain.Verdict.Invalid => Verdict.Invalid,
        Domain.Verdict.Unverified => Verdict.Unverified,
        _ => Verdict.Error,
    };

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}

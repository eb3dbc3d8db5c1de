using System.Text;
using Customs.Ledger.Adapters.Ethereum;
using Customs.Ledger.Adapters.Ethereum.Contracts;
using Customs.Ledger.Crypto;
using Customs.Ledger.Exchange;

namespace Customs.Ledger.Node.Pipeline.PartnerExchange;

/// <summary>
/// Mirrors the signed agreements into the ParticipantRegistry contract on an Ethereum ledger, so every party reads the
/// same membership from the chain: each party (account = its ledger key's address, country, agency, ledger key) and, for
/// each route, the document types it may anchor. The node then checks <c>mayAnchor</c> before sending and when receiving.
/// Document types are stored as keccak-256 of "customs-ledger/document-type/" + code.
/// </summary>
public static class RegistryMirror
{
    public static byte[] DocumentTypeId(string code) => Keccak256.HashData(Encoding.UTF8.GetBytes("customs-ledger/document-type/" + code));

    /// <summary>Writes every fully signed agreement's parties and routes. Returns the number of transactions sent.</summary>
    public static async Task<int> PublishAsync(EthereumLedger ledger, string registry, IEnumerable<SignedAgreement> agreements, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var sent = 0;
        foreach (var signed in agreements.Where(a => a.SignatureStatus == AgreementReason.Allowed))
        {
            foreach (var party in signed.Agreement.Parties)
            {
                var account = party.LedgerKey.ToChecksumAddress();
                await ledger.ExecuteAsync(registry, new RegisterParticipantFunction { Account = account, Country = party.Country, Agency = party.Agency, NodeKey = party.LedgerKey.ToCompressedBytes() }, $"register:{signed.Agreement.Id}:{party.NodeId}:{Guid.NewGuid():N}", cancellationToken).ConfigureAwait(false);
                sent++;
                foreach (var type in signed.Agreement.Routes.Where(r => r.FromNodeId == party.NodeId).SelectMany(r => r.DocumentTypeCodes).Distinct(StringComparer.Ordinal))
                {
                    if (!await MayAnchorAsync(ledger, registry, party.LedgerKey, type, cancellationToken).ConfigureAwait(false))
                    {
                        await ledger.ExecuteAsync(registry, new SetDocumentTypeAllowedFunction { Account = account, DocumentType = DocumentTypeId(type), Allowed = true }, $"allow:{account}:{type}", cancellationToken).ConfigureAwait(false);
                        sent++;
                    }
                }
            }
        }

        return sent;
    }

    /// <summary>What the registry says: may the holder of <paramref name="key"/> anchor documents of type <paramref name="code"/>?</summary>
    public static async Task<bool> MayAnchorAsync(EthereumLedger ledger, string registry, Secp256k1PublicKey key, string code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(key);
        var result = await ledger.QueryAsync<MayAnchorFunction, BoolOutput>(registry, new MayAnchorFunction { Account = key.ToChecksumAddress(), DocumentType = DocumentTypeId(code) }, cancellationToken).ConfigureAwait(false);
        return result.Value;
    }
}

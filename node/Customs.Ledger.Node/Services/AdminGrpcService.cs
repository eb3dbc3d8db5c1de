using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Backup;
using Customs.Ledger.Node.Pipeline;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Customs.Ledger.Node.Services;

/// <summary>Operations on the running node (see admin.proto); admin role only, each recorded in the audit trail.</summary>
public sealed class AdminGrpcService(NodeContext node, Audit.AuditRecorder audit) : AdminService.AdminServiceBase
{
    public override async Task<BackupResponse> Backup(BackupRequest request, ServerCallContext context)
    {
        var principal = AuthorizationInterceptor.PrincipalOf(context);
        var manifest = await audit.RunAsync(
            principal,
            "backup",
            null,
            async () =>
            {
                try
                {
                    return await NodeBackup.CreateAsync(node, request.OutDirectory, request.IncludeSecrets, context.CancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException ex)
                {
                    throw GrpcErrors.Invalid(ex.Message);
                }
                catch (Exception ex) when (ex is IOException or Microsoft.Data.Sqlite.SqliteException && Storage.StoreUnavailableException.From(ex, "backup folder") is { } failure)
                {
                    throw failure;
                }
            },
            m => $"{m.Files.Count} files, ledger height {m.LedgerHeight}{(request.IncludeSecrets ? ", secrets included" : string.Empty)}",
            context.CancellationToken).ConfigureAwait(false);

        var response = new BackupResponse
        {
            OutDirectory = request.OutDirectory,
            TakenAt = Timestamp.FromDateTimeOffset(manifest.TakenAt),
            Files = manifest.Files.Count + 1,
            Bytes = manifest.Files.Sum(f => f.Bytes),
            Documents = manifest.Documents,
            LedgerHeight = manifest.LedgerHeight,
        };
        response.ExcludedSecrets.AddRange(manifest.ExcludedSecrets);
        return response;
    }
}

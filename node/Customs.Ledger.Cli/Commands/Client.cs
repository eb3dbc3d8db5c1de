using Customs.Ledger.Api.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Customs.Ledger.Cli.Commands;

/// <summary>A gRPC connection to a node, and translation of its errors into exit codes and messages.</summary>
internal sealed class Client : IDisposable
{
    private readonly GrpcChannel _channel;

    public Client(Uri node)
    {
        _channel = GrpcChannel.ForAddress(node, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024, MaxSendMessageSize = 17 * 1024 * 1024 });
        Documents = new DocumentService.DocumentServiceClient(_channel);
        Verification = new VerificationService.VerificationServiceClient(_channel);
        Exchange = new ExchangeService.ExchangeServiceClient(_channel);
    }

    public ExchangeService.ExchangeServiceClient Exchange { get; }

    public DocumentService.DocumentServiceClient Documents { get; }

    public VerificationService.VerificationServiceClient Verification { get; }

    public static DateTime Deadline(int seconds = 60) => DateTime.UtcNow.AddSeconds(seconds);

    public void Dispose() => _channel.Dispose();

    /// <summary>Runs <paramref name="action"/>, turning node errors into a message and an exit code.</summary>
    public static async Task<int> Run(Uri node, Func<Client, Task<int>> action)
    {
        using var client = new Client(node);
        try
        {
            return await action(client);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable)
        {
            return Output.Error(CliApp.Unreachable, $"cannot reach the node at {node}: {ex.Status.Detail}");
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.DeadlineExceeded)
        {
            return Output.Error(CliApp.Unreachable, $"the node at {node} did not answer in time{(ex.Status.Detail.Length > 0 ? ": " + ex.Status.Detail : string.Empty)}");
        }
        catch (RpcException ex)
        {
            // A refused document, an unknown id, a request the state forbids, a full disk: 1. A malformed request: 2.
            var detail = ex.GetRpcStatus()?.GetDetail<DocumentError>();
            var code = detail is not null || ex.StatusCode is StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.ResourceExhausted or StatusCode.Internal or StatusCode.Cancelled
                ? CliApp.Failed
                : CliApp.BadInput;
            return Output.Error(code, detail is null ? $"{ex.StatusCode}: {ex.Status.Detail}" : Output.Describe(detail));
        }
    }
}

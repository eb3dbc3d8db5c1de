using System.Collections.Concurrent;
using System.Diagnostics;
using Customs.Ledger.Api.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// Streams certificates, 20 per call, to the first address that takes them; a document is acknowledged only by a
/// receipt, and one that got an error (or whose call broke) is sent again, to the other instance.
/// </summary>
internal sealed class StreamingLoad(string dir, Uri[] addresses)
{
    private int _target;
    private int _refusals;

    public ConcurrentDictionary<string, bool> Acked { get; } = new();

    public int Refusals => _refusals;

    /// <summary>How each refusal was answered: a document's failure (NotLeader, Unreachable, …) or a call's status code.</summary>
    public ConcurrentDictionary<string, int> Failures { get; } = new();

    private readonly ConcurrentDictionary<string, bool> _errors = new();

    /// <summary>Every distinct error text seen (at most 100).</summary>
    public string AllErrors => string.Join("\n", _errors.Keys);

    /// <summary>The last error a call ended with, or a document was answered with (for a failure's message).</summary>
    public string? LastError
    {
        get;
        private set
        {
            field = value;
            if (value is not null && _errors.Count < 100)
            {
                _errors[value] = true;
            }
        }
    }

    public async Task WaitAckedAsync(int count)
    {
        var waited = Stopwatch.StartNew();
        while (Acked.Count < count)
        {
            Assert.True(waited.Elapsed < DefaultTimeouts.Timeout, $"{Acked.Count} of {count} documents acknowledged; last error: {LastError}");
            await Task.Delay(50);
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var pending = Enumerable.Range(0, 20).Select(_ => NodeFixture.Unique("ephyto-certificate.xml")).ToList();
            while (pending.Count > 0)
            {
                pending = await SendAsync(pending);
                if (pending.Count > 0)
                {
                    Interlocked.Increment(ref _refusals);
                    _target = (_target + 1) % addresses.Length;
                    await Task.Delay(100, CancellationToken.None);
                }
            }
        }
    }

    private async Task<List<byte[]>> SendAsync(List<byte[]> documents)
    {
        var left = new List<byte[]>(documents);
        try
        {
            using var channel = NodeClients.Channel(addresses[_target], dir);
            using var call = new DocumentService.DocumentServiceClient(channel).SubmitStream(deadline: DateTime.UtcNow.AddSeconds(30));
            for (var i = 0; i < documents.Count; i++)
            {
                await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(documents[i]), ClientReference = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }

            await call.RequestStream.CompleteAsync();
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                if (response.Receipt is { } receipt && response.Error is null)
                {
                    Acked[receipt.DocumentId] = true;
                    left.Remove(documents[int.Parse(response.ClientReference, System.Globalization.CultureInfo.InvariantCulture)]);
                }
                else
                {
                    LastError = $"{response.Error?.Failure}: {response.Error?.Reason}";
                    Failures.AddOrUpdate(response.Error?.Failure ?? "?", 1, (_, n) => n + 1);
                }
            }
        }
        catch (RpcException ex)
        {
            // The call broke (the instance died): what was not acknowledged is sent again.
            LastError = $"{ex.StatusCode}: {ex.Status.Detail}";
            Failures.AddOrUpdate(ex.StatusCode.ToString(), 1, (_, n) => n + 1);
        }

        return left;
    }
}

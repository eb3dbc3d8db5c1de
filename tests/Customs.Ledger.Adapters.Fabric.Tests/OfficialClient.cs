using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Customs.Ledger.Adapters.Fabric.Tests;

/// <summary>
/// Fabric's official Node client (@hyperledger/fabric-gateway 1.11.0) and protobuf packages, run as a process:
/// chaincode-adapters/fabric/conformance-server/scripts/official-client.js (one JSON in, one JSON out).
/// </summary>
internal static class OfficialClient
{
    public static async Task<JsonElement> RunAsync(string command, JsonObject input)
    {
        ChainProcess.EnsureNodeModules(Path.Combine("chaincode-adapters", "fabric", "conformance-server"), "@hyperledger");
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = FabricConformanceServer.Directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine("scripts", "official-client.js"));
        info.ArgumentList.Add(command);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start node");
        await process.StandardInput.WriteAsync(input.ToJsonString()).ConfigureAwait(false);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(DefaultTimeouts.Timeout * 2);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"official-client.js {command} did not finish");
        }

        if (process.ExitCode != 0)
        {
            throw new OfficialClientException(command, process.ExitCode, await stderr.ConfigureAwait(false));
        }

        using var document = JsonDocument.Parse(await stdout.ConfigureAwait(false));
        return document.RootElement.Clone();
    }

    /// <summary>The identity fields the script takes: MSP id, certificate PEM and PKCS#8 private key PEM.</summary>
    public static JsonObject Identity(string mspId, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        using var key = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPrivateKey(certificate)!;
        return new JsonObject
        {
            ["mspId"] = mspId,
            ["certificate"] = certificate.ExportCertificatePem() + "\n",
            ["privateKey"] = key.ExportPkcs8PrivateKeyPem(),
        };
    }
}

internal sealed class OfficialClientException(string command, int exitCode, string stderr)
    : Exception($"official-client.js {command} exited {exitCode}: {stderr.Trim()}")
{
    public string Stderr { get; } = stderr;
}

using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Customs.Ledger.Pki.UnitTests;

/// <summary>Real TLS handshakes over 127.0.0.1 between SslStream peers using the TrustStore callbacks.</summary>
public sealed class MutualTlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConsortiumCertificates_CompleteAMutualHandshake()
    {
        var ca = Pilot.NewCa();
        using var server = ca.IssueNodeCertificate(Pilot.Request("GB-HMRC")).ToX509Certificate2();
        using var client = ca.IssueNodeCertificate(Pilot.Request("FR-DGDDI", "FR", "DGDDI")).ToX509Certificate2();
        var serverTrust = ca.CreateTrustStore();
        var clientTrust = ca.CreateTrustStore();

        var result = await HandshakeAsync(server, serverTrust, client, clientTrust);

        Assert.Null(result.ServerError);
        Assert.Null(result.ClientError);
        Assert.True(result.ClientReceivedData);
        Assert.Equal("FR-DGDDI", result.ClientIdentity?.NodeId);
        Assert.Equal("FR", result.ClientIdentity?.Country);
        Assert.Null(serverTrust.LastRefusal);
        Assert.Null(clientTrust.LastRefusal);
    }

    [Fact]
    public async Task ForeignCaClient_IsRefusedByTheServer()
    {
        var ca = Pilot.NewCa();
        var foreign = Pilot.NewCa(); // same subject name, different key
        using var server = ca.IssueNodeCertificate(Pilot.Request("GB-HMRC")).ToX509Certificate2();
        using var client = foreign.IssueNodeCertificate(Pilot.Request("FR-DGDDI", "FR", "DGDDI")).ToX509Certificate2();
        var refusals = new List<CertificateCheck>();
        var serverTrust = ca.CreateTrustStore(new TrustStoreOptions { OnRefused = refusals.Add });

        var result = await HandshakeAsync(server, serverTrust, client, ca.CreateTrustStore());

        Assert.IsAssignableFrom<AuthenticationException>(result.ServerError);
        Assert.False(result.ClientReceivedData);
        Assert.Equal(CertificateCheckReason.NotTrusted, serverTrust.LastRefusal?.Reason);
        Assert.Equal(CertificateCheckReason.NotTrusted, Assert.Single(refusals).Reason);
    }

    [Fact]
    public async Task RevokedClient_IsRefusedByTheServer()
    {
        var ca = Pilot.NewCa();
        using var server = ca.IssueNodeCertificate(Pilot.Request("GB-HMRC")).ToX509Certificate2();
        var revoked = ca.IssueNodeCertificate(Pilot.Request("FR-DGDDI", "FR", "DGDDI"));
        ca.Revoke(revoked.SerialNumber, RevocationReason.KeyCompromise);
        using var client = revoked.ToX509Certificate2();
        var serverTrust = ca.CreateTrustStore();

        var result = await HandshakeAsync(server, serverTrust, client, ca.CreateTrustStore());

        Assert.IsAssignableFrom<AuthenticationException>(result.ServerError);
        Assert.False(result.ClientReceivedData);
        Assert.Equal(CertificateCheckReason.Revoked, serverTrust.LastRefusal?.Reason);
        Assert.Contains(revoked.SerialNumber, serverTrust.LastRefusal!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForeignCaServer_IsRefusedByTheClient()
    {
        var ca = Pilot.NewCa();
        var foreign = Pilot.NewCa();
        using var server = foreign.IssueNodeCertificate(Pilot.Request("GB-HMRC")).ToX509Certificate2();
        using var client = ca.IssueNodeCertificate(Pilot.Request("FR-DGDDI", "FR", "DGDDI")).ToX509Certificate2();
        var clientTrust = ca.CreateTrustStore();

        var result = await HandshakeAsync(server, foreign.CreateTrustStore(), client, clientTrust);

        Assert.IsAssignableFrom<AuthenticationException>(result.ClientError);
        Assert.False(result.ClientReceivedData);
        Assert.Equal(CertificateCheckReason.NotTrusted, clientTrust.LastRefusal?.Reason);
    }

    [Fact]
    public void KestrelDelegate_IgnoresOsChainErrorsButNotTheTrustStore()
    {
        var ca = Pilot.NewCa();
        var trust = ca.CreateTrustStore();
        using var good = Pilot.Public(ca.IssueNodeCertificate(Pilot.Request()));
        using var foreign = Pilot.Public(Pilot.NewCa().IssueNodeCertificate(Pilot.Request()));

        Assert.True(trust.KestrelClientCertificateValidation(good, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trust.KestrelClientCertificateValidation(foreign, null, SslPolicyErrors.None));
        Assert.Equal(CertificateCheckReason.NotTrusted, trust.LastRefusal?.Reason);
        Assert.False(trust.ValidateClientCertificate(this, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
        Assert.Equal(CertificateCheckReason.NoCertificate, trust.LastRefusal?.Reason);
        Assert.False(trust.ValidateServerCertificate(this, good, null, SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.Equal(CertificateCheckReason.NameMismatch, trust.LastRefusal?.Reason);
    }

    private static async Task<HandshakeResult> HandshakeAsync(X509Certificate2 serverCertificate, TrustStore serverTrust, X509Certificate2 clientCertificate, TrustStore clientTrust)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var serverTask = RunServerAsync(listener, serverCertificate, serverTrust, timeout.Token);
            var clientTask = RunClientAsync(port, clientCertificate, clientTrust, timeout.Token);
            var (serverError, clientIdentity) = await serverTask.WaitAsync(Timeout);
            var (clientError, received) = await clientTask.WaitAsync(Timeout);
            return new HandshakeResult(serverError, clientError, received, clientIdentity);
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task<(Exception? Error, NodeIdentity? ClientIdentity)> RunServerAsync(TcpListener listener, X509Certificate2 certificate, TrustStore trust, CancellationToken cancellationToken)
    {
        using var tcp = await listener.AcceptTcpClientAsync(cancellationToken).AsTask().WaitAsync(Timeout, cancellationToken);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            var options = new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = trust.ValidateClientCertificate,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            };
            await tls.AuthenticateAsServerAsync(options, cancellationToken).WaitAsync(Timeout, cancellationToken);
            using var remote = X509CertificateLoader.LoadCertificate(tls.RemoteCertificate!.GetRawCertData());
            await tls.WriteAsync(new byte[] { 42 }, cancellationToken).AsTask().WaitAsync(Timeout, cancellationToken);
            await tls.FlushAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);

            // Wait for the client's close so the byte is not lost to an early reset.
            var buffer = new byte[1];
            _ = await tls.ReadAsync(buffer, cancellationToken).AsTask().WaitAsync(Timeout, cancellationToken);
            return (null, NodeIdentity.FromCertificate(remote));
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return (ex, null);
        }
    }

    private static async Task<(Exception? Error, bool Received)> RunClientAsync(int port, X509Certificate2 certificate, TrustStore trust, CancellationToken cancellationToken)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancellationToken).AsTask().WaitAsync(Timeout, cancellationToken);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [certificate],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
                RemoteCertificateValidationCallback = trust.ValidateServerCertificate,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            };
            await tls.AuthenticateAsClientAsync(options, cancellationToken).WaitAsync(Timeout, cancellationToken);

            // With TLS 1.3 the server judges the client certificate after the client finished: a refusal shows up here.
            var buffer = new byte[1];
            var read = await tls.ReadAsync(buffer, cancellationToken).AsTask().WaitAsync(Timeout, cancellationToken);
            return (null, read == 1 && buffer[0] == 42);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return (ex, false);
        }
    }

    private sealed record HandshakeResult(Exception? ServerError, Exception? ClientError, bool ClientReceivedData, NodeIdentity? ClientIdentity);
}

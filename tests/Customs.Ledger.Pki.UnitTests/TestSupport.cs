using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Customs.Ledger.Pki.UnitTests;

/// <summary>A unique temporary directory, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "customs-ledger-pki-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Pilot
{
    /// <summary>Test passwords are generated per run, never hard-coded secrets.</summary>
    public static string NewPassword() => "pw-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    public static ConsortiumCa NewCa(string name = "WCO Pilot", string consortium = "WCO Interoperability Pilot") =>
        ConsortiumCa.Create(name, consortium);

    public static NodeIdentityRequest Request(string nodeId = "GB-HMRC", string country = "GB", string agency = "HMRC") => new()
    {
        NodeId = nodeId,
        Country = country,
        Agency = agency,
        DnsNames = ["localhost", "gb-hmrc.pilot.example"],
        IpAddresses = [IPAddress.Loopback],
    };

    public static X509Certificate2 Public(NodeCertificate certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);
}

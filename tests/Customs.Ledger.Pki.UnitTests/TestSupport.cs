using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Customs.Ledger.Pki.UnitTests;

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

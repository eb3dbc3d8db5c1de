using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Customs.Ledger.Node.Security;

/// <summary>
/// Authenticates a call by the TLS client certificate Kestrel already validated against the client CA trust store
/// (<c>api.tls.clientCa</c>, CRLs included): the subject's CN is the principal, each OU a role. No certificate: no result
/// (a bearer token may still authenticate the call).
/// </summary>
public sealed class ClientCertificateAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ClientCertificate";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var certificate = await Context.Connection.GetClientCertificateAsync().ConfigureAwait(false);
        if (certificate is null)
        {
            return AuthenticateResult.NoResult();
        }

        var name = certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: false);
        var roles = certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(rdn => rdn.GetSingleElementType().Value == "2.5.4.11")
            .Select(rdn => rdn.GetSingleElementValue() ?? string.Empty)
            .Where(ApiRoles.All.Contains)
            .ToList();
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "certificate:" + name + ":" + certificate.SerialNumber), new Claim(ClaimTypes.Name, name), .. roles.Select(r => new Claim(ClaimTypes.Role, r))],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}

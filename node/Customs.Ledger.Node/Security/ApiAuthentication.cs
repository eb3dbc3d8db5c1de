using System.Security.Claims;
using Customs.Ledger.Node.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Customs.Ledger.Node.Security;

/// <summary>
/// The client API's authentication schemes: a bearer token when the call carries an <c>Authorization</c> header, else the
/// TLS client certificate. Tokens are checked against this node's issuer (its own signing key) and every configured
/// external issuer (its JWKS file): signature, issuer, audience and lifetime (2 minutes of clock skew). Role claims are
/// normalised to <see cref="ClaimTypes.Role"/>.
/// </summary>
public static class ApiAuthentication
{
    public const string Scheme = "Api";

    public static void Add(IServiceCollection services, string dataDirectory, NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var local = LocalTokens.Issuer(options);
        var keys = new Dictionary<string, IReadOnlyList<SecurityKey>>(StringComparer.Ordinal);
        var roleClaims = new Dictionary<string, string>(StringComparer.Ordinal) { [local] = "roles" };
        if (LocalTokens.ValidationKey(dataDirectory, options) is { } own)
        {
            keys[local] = [own];
        }

        foreach (var issuer in options.Api.JwtIssuers)
        {
            var jwks = new JsonWebKeySet(File.ReadAllText(Path.Combine(dataDirectory, issuer.JwksFile)));
            keys[issuer.Issuer] = [.. jwks.GetSigningKeys()];
            roleClaims[issuer.Issuer] = issuer.RoleClaim;
        }

        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "bearer token or client certificate", o =>
                o.ForwardDefaultSelector = context => context.Request.Headers.Authorization.Count > 0 ? JwtBearerDefaults.AuthenticationScheme : ClientCertificateAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ClientCertificateAuthenticationHandler>(ClientCertificateAuthenticationHandler.SchemeName, _ => { })
            .AddJwtBearer(JwtBearerDefaults.AuthenticationScheme, o =>
            {
                o.MapInboundClaims = false;
                o.RequireHttpsMetadata = false;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuers = [.. keys.Keys],
                    ValidAudiences = [local, .. options.Api.JwtIssuers.Select(i => i.Audience)],
                    IssuerSigningKeyResolver = (_, token, _, _) => keys.TryGetValue(token.Issuer, out var found) ? found : [],
                    ValidateIssuerSigningKey = true,
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ClockSkew = TimeSpan.FromMinutes(2),
                    NameClaimType = "sub",
                    AuthenticationType = JwtBearerDefaults.AuthenticationScheme, // principals read "Bearer:<sub>" in the audit trail
                    RoleClaimType = ClaimTypes.Role,
                };
                o.Events = new JwtBearerEvents
                {
                    OnTokenValidated = context =>
                    {
                        // Each issuer names its roles claim its own way (Keycloak, Entra ID, this node): one role type here.
                        var issuer = context.Principal!.FindFirst("iss")?.Value ?? string.Empty;
                        var claim = roleClaims.GetValueOrDefault(issuer, "roles");
                        var identity = (ClaimsIdentity)context.Principal.Identity!;
                        foreach (var role in context.Principal.FindAll(claim).Select(c => c.Value).ToList())
                        {
                            identity.AddClaim(new Claim(ClaimTypes.Role, role));
                        }

                        return Task.CompletedTask;
                    },
                };
            });
    }
}

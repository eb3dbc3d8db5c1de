
namespace Customs.Ledger.Node.Security;

/// <summary>
/// The client API's roles and what each may call: one table, checked for every call by <c>AuthorizationInterceptor</c>.
/// </summary>
public static class ApiRoles
{
    public const string Submitter = "submitter";
    public const string Officer = "officer";
    public const string Exchange = "exchange";
    public const string Auditor = "auditor";
    public const string Admin = "admin";

    /// <summary>Every role there is.</summary>
    public static IReadOnlyList<string> All { get; } = [Submitter, Officer, Exchange, Auditor, Admin];

    /// <summary>
    /// The roles allowed to call each method (admin may call every one). A submitter may also read the status and events of
    /// documents (to follow what it submitted: <c>submit --wait</c>); verifying a bundle changes nothing, so every role may.
    /// A method not listed here is refused to all but admin.
    /// </summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["/customs.ledger.v1.DocumentService/Submit"] = [Submitter],
        ["/customs.ledger.v1.DocumentService/SubmitStream"] = [Submitter],
        ["/customs.ledger.v1.DocumentService/Amend"] = [Submitter, Officer],
        ["/customs.ledger.v1.DocumentService/Revoke"] = [Officer],
        ["/customs.ledger.v1.DocumentService/GetStatus"] = [Auditor, Submitter, Officer, Exchange],
        ["/customs.ledger.v1.DocumentService/GetBundle"] = [Auditor, Officer, Exchange],
        ["/customs.ledger.v1.DocumentService/WatchEvents"] = [Auditor, Submitter, Officer, Exchange],
        ["/customs.ledger.v1.DocumentService/Export"] = [Auditor, Officer, Exchange],
        ["/customs.ledger.v1.VerificationService/Verify"] = [Auditor, Submitter, Officer, Exchange],
        ["/customs.ledger.v1.ExchangeService/Send"] = [Exchange],
        ["/customs.ledger.v1.ExchangeService/GetOutboxMessage"] = [Exchange, Auditor],
        ["/customs.ledger.v1.ExchangeService/ListInbox"] = [Exchange, Auditor],
        ["/customs.ledger.v1.ExchangeService/SetAeoStatus"] = [Officer],
        ["/customs.ledger.v1.ExchangeService/GetAeoStatus"] = [Officer, Auditor],
        ["/customs.ledger.v1.AuditService/ListAudit"] = [Auditor],
        ["/customs.ledger.v1.AuditService/VerifyAudit"] = [Auditor],
    };

    /// <summary>Whether a principal with <paramref name="roles"/> may call <paramref name="method"/> (a gRPC method path).</summary>
    public static bool MayCall(string method, IEnumerable<string> roles)
    {
        var held = roles as ICollection<string> ?? roles.ToList();
        return held.Contains(Admin) || (Allowed.TryGetValue(method, out var allowed) && allowed.Any(held.Contains));
    }

    /// <summary>Who may call <paramref name="method"/>, for refusal messages.</summary>
    public static string Describe(string method) =>
        Allowed.TryGetValue(method, out var allowed) ? string.Join(" or ", allowed.Append(Admin)) : Admin;

    /// <summary>Methods anyone may call without a credential: the health check (for load balancers and orchestrators).</summary>
    public static bool IsAnonymous(string method) => method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal);
}

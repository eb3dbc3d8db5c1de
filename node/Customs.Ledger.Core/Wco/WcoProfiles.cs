namespace Customs.Ledger.Wco;

/// <summary>The profiles the node knows, and the namespaces they use.</summary>
public sealed class WcoProfiles
{
    public const string DmsMetaDataNamespace = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2";
    public const string DmsDeclarationNamespace = "urn:wco:datamodel:WCO:DEC-DMS:2";
    public const string DmsResponseNamespace = "urn:wco:datamodel:WCO:RES-DMS:2";
    public const string GoodsDeclarationNamespace = "urn:wco:datamodel:WCO:GoodsDeclaration:1";
    public const string DeclarationNamespace = "urn:wco:datamodel:WCO:Declaration:1";

    /// <summary>
    /// Namespace of this project's LPCO certificate customisation (a 42A structure whose TypeCode names the certificate,
    /// e.g. 861 = certificate of origin). WCO publishes no XML namespace for LPCO documents, so administrations that use
    /// another one register a profile for it with <see cref="WithProfile"/>.
    /// </summary>
    public const string LpcoNamespace = "urn:wco:datamodel:WCO:LPCO:1";

    public const string SpsCertificateNamespace = "urn:un:unece:uncefact:data:standard:SPSCertificate:17";
    private const string UnCefactStandardPrefix = "urn:un:unece:uncefact:data:standard:";

    // DMS "_DS" schemas declare the data types; some instances qualify elements with them.
    private static readonly string[] DmsAuxiliaryNamespaces =
    [
        "urn:wco:datamodel:WCO:Declaration_DS:DMS:2",
        "urn:wco:datamodel:WCO:Response_DS:DMS:2",
        "urn:wco:datamodel:WCO:MetaData_DS-DMS:2",
    ];

    private readonly List<WcoProfile> _profiles;
    private readonly Dictionary<(string Ns, string Local), WcoProfileRoot> _roots = [];

    private WcoProfiles(IEnumerable<WcoProfile> profiles)
    {
        _profiles = [.. profiles];
        foreach (var root in _profiles.SelectMany(p => p.Roots))
        {
            if (!_roots.TryAdd((root.NamespaceUri, root.LocalName), root))
            {
                throw new InvalidOperationException($"Two profiles claim the root element {{{root.NamespaceUri}}}{root.LocalName}.");
            }
        }
    }

    /// <summary>
    /// The built-in profiles: <c>wco-dms</c> (DMS MetaData + DEC/RES, also namespace-stripped), <c>wco-goods-declaration</c>
    /// (the GoodsDeclaration:1 and Declaration:1 customisations), <c>wco-lpco</c> (LPCO certificate) and
    /// <c>uncefact-sps</c> (ePhyto SPS certificate).
    /// </summary>
    public static WcoProfiles Default { get; } = new(BuiltIn());

    public IReadOnlyList<WcoProfile> All => _profiles;

    /// <summary>A registry with one more profile (e.g. another administration's customisation namespace).</summary>
    public WcoProfiles WithProfile(WcoProfile profile) => new(_profiles.Append(profile));

    /// <summary>The root that starts a message at element {<paramref name="namespaceUri"/>}<paramref name="localName"/>, or null.</summary>
    public WcoProfileRoot? MatchRoot(string namespaceUri, string localName) =>
        _roots.GetValueOrDefault((namespaceUri, localName));

    /// <summary>A profile reading another namespace as the WCO DM goods declaration structure (42A).</summary>
    public static WcoProfile DeclarationCustomisation(string id, string namespaceUri, string description) =>
        new(id, description, [new WcoProfileRoot(namespaceUri, "Declaration", WcoDictionary.Declaration)]);

    private static IEnumerable<WcoProfile> BuiltIn()
    {
        string[] dmsBody = [DmsMetaDataNamespace, DmsDeclarationNamespace, DmsResponseNamespace, .. DmsAuxiliaryNamespaces];
        yield return new WcoProfile("wco-dms", "WCO DM 3.x DMS customisation: MetaData envelope with a goods declaration (DEC) or customs response (RES)",
        [
            new WcoProfileRoot(DmsMetaDataNamespace, "MetaData", WcoDictionary.MetaData, dmsBody),
            new WcoProfileRoot(DmsDeclarationNamespace, "Declaration", WcoDictionary.Declaration, dmsBody),
            new WcoProfileRoot(DmsResponseNamespace, "Response", WcoDictionary.Response, dmsBody),

            // Published DMS responses often arrive with every namespace stripped by the sender; some strip only the
            // envelope and embed the body (or parts of it) in its own namespace. Both read as the same structure: the
            // mapping goes by local name and WCO ID, never by prefix or namespace.
            new WcoProfileRoot(string.Empty, "MetaData", WcoDictionary.MetaData, dmsBody),
        ]);
        yield return new WcoProfile("wco-goods-declaration", "WCO DM goods declaration customisations (GoodsDeclaration:1, Declaration:1)",
        [
            new WcoProfileRoot(GoodsDeclarationNamespace, "Declaration", WcoDictionary.Declaration),
            new WcoProfileRoot(DeclarationNamespace, "Declaration", WcoDictionary.Declaration),
        ]);
        yield return new WcoProfile("wco-lpco", "WCO DM LPCO certificate (licence, permit, certificate or other), e.g. certificate of origin",
        [
            new WcoProfileRoot(LpcoNamespace, "Declaration", WcoDictionary.LpcoCertificate),
        ]);
        yield return new WcoProfile("uncefact-sps", "UN/CEFACT SPS certificate (ePhyto) SPSCertificate:17",
        [
            new WcoProfileRoot(SpsCertificateNamespace, "SPSCertificate", WcoDictionary.SpsCertificate, bodyNamespacePrefix: UnCefactStandardPrefix),
        ]);
    }
}

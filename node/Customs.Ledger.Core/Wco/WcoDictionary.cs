using System.Reflection;
using Customs.Ledger.Canonical;

namespace Customs.Ledger.Wco;

/// <summary>
/// Message structures loaded from the path tables embedded in this assembly (<c>Wco/Dictionary/*.tsv</c>): one line per
/// element path with its maximum occurrence, WCO ID and format. The DMS tables are facts extracted from the WCO DM 3.6
/// annotations of HMRC's published DMS schemas; the SPS table lists the UN/CEFACT SPS certificate (ePhyto) structure.
/// </summary>
public static class WcoDictionary
{
    private static readonly Lazy<WcoNode> DeclarationRoot = new(() => Load("dms-dec.tsv", MessageKind.Declaration));
    private static readonly Lazy<WcoNode> ResponseRoot = new(LoadResponse);
    private static readonly Lazy<WcoNode> SpsRoot = new(() => Load("sps-certificate.tsv", MessageKind.PhytosanitaryCertificate));
    private static readonly Lazy<WcoNode> LpcoRoot = new(() => Load("dms-dec.tsv", MessageKind.LpcoCertificate));
    private static readonly Lazy<WcoNode> DmsMetaData = new(BuildMetaData);

    /// <summary>WCO class 42A, Declaration (goods declaration), as customised by DMS.</summary>
    public static WcoNode Declaration => DeclarationRoot.Value;

    /// <summary>WCO class 07B, Response, as customised by DMS.</summary>
    public static WcoNode Response => ResponseRoot.Value;

    /// <summary>The same 42A structure read as an LPCO certificate (e.g. a certificate of origin).</summary>
    public static WcoNode LpcoCertificate => LpcoRoot.Value;

    /// <summary>UN/CEFACT <c>SPSCertificate</c> (ePhyto).</summary>
    public static WcoNode SpsCertificate => SpsRoot.Value;

    /// <summary>The DMS <c>MetaData</c> envelope, whose children are the metadata fields and a Declaration or Response.</summary>
    public static WcoNode MetaData => DmsMetaData.Value;

    private static WcoNode BuildMetaData()
    {
        var md = new WcoNode("MetaData", "MetaData", repeats: false, format: null);
        // WCOTypeName holds a code (DEC, RES) although its name ends in "Name".
        md.Add(new WcoNode("WCODataModelVersionCode", "WCODataModelVersionCode", repeats: false, format: null));
        md.Add(new WcoNode("WCOTypeName", "WCOTypeName", repeats: false, format: null, valueType: LeafType.Code));
        md.Add(new WcoNode("ResponsibleCountryCode", "ResponsibleCountryCode", repeats: false, format: null));
        md.Add(new WcoNode("ResponsibleAgencyName", "ResponsibleAgencyName", repeats: false, format: null));
        md.Add(new WcoNode("AgencyAssignedCustomizationCode", "AgencyAssignedCustomizationCode", repeats: false, format: null));
        md.Add(new WcoNode("AgencyAssignedCustomizationVersionCode", "AgencyAssignedCustomizationVersionCode", repeats: false, format: null));
        md.Add(Declaration);
        md.Add(Response);
        return md;
    }

    private static WcoNode LoadResponse()
    {
        var response = Load("dms-res.tsv", MessageKind.Response);
        response.Children["Declaration"].SetAlternate(Declaration.Alias("42A(DEC)"), WcoProfiles.DmsDeclarationNamespace);
        return response;
    }

    private static WcoNode Load(string resource, MessageKind kind)
    {
        var name = "Customs.Ledger.Wco.Dictionary." + resource;
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded WCO dictionary '{name}' is missing.");
        using var text = new StreamReader(stream);
        var byPath = new Dictionary<string, WcoNode>(StringComparer.Ordinal);
        WcoNode? root = null;
        while (text.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var cols = line.Split('\t');
            var path = cols[0];
            var slash = path.LastIndexOf('/');
            var local = path[(slash + 1)..];
            var repeats = cols.Length > 1 && cols[1] == "n";
            var id = cols.Length > 2 ? cols[2] : string.Empty;
            var format = cols.Length > 3 ? cols[3] : null;
            var segment = string.IsNullOrEmpty(id) ? local : id;
            if (root is null)
            {
                root = new WcoNode(local, segment, repeats: false, format, kind);
                byPath.Add(path, root);
                continue;
            }

            var parentPath = path[..slash];
            if (!byPath.TryGetValue(parentPath, out var parent))
            {
                throw new InvalidOperationException($"Dictionary {resource}: parent of '{path}' is not listed before it.");
            }

            var node = new WcoNode(local, segment, repeats, format);
            parent.Add(node);
            byPath.Add(path, node);
        }

        return root ?? throw new InvalidOperationException($"Dictionary {resource} is empty.");
    }
}

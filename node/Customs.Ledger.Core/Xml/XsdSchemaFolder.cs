using System.Xml;
using System.Xml.Schema;

namespace Customs.Ledger.Xml;

/// <summary>
/// Optional XSD validation against a folder of schemas the user supplies (e.g. an administration's published DMS
/// schemas). Schema sets often ship the same imported schema in several folders — HMRC's declaration/ and notification/
/// both carry the UNECE and WCO_DS schemas — which a plain <see cref="XmlSchemaSet"/> rejects as "already declared".
/// Here every import is resolved to the first file seen with the same target namespace and file name, so each schema is
/// loaded once. Resolution never leaves the folder and never touches the network; instance documents' own
/// <c>xsi:schemaLocation</c> hints are ignored.
/// </summary>
public sealed class XsdSchemaFolder
{
    private readonly XmlSchemaSet _schemas;
    private readonly XmlLimits _limits;

    private XsdSchemaFolder(XmlSchemaSet schemas, IReadOnlyList<string> loaded, IReadOnlyList<(string File, string Reason)> skipped, XmlLimits limits)
    {
        _schemas = schemas;
        Loaded = loaded;
        Skipped = skipped;
        _limits = limits;
    }

    /// <summary>Entry schemas that were compiled into the set.</summary>
    public IReadOnlyList<string> Loaded { get; }

    /// <summary>Entry schemas left out because they conflict with one already loaded (same global declarations), with the reason.</summary>
    public IReadOnlyList<(string File, string Reason)> Skipped { get; }

    /// <summary>Target namespaces the set can validate.</summary>
    public IEnumerable<string> Namespaces => _schemas.Schemas().Cast<XmlSchema>().Select(s => s.TargetNamespace ?? string.Empty).Distinct();

    /// <summary>
    /// Loads every <c>*.xsd</c> under <paramref name="folder"/>. Files imported or included by another file are loaded through
    /// that import; the others ("entry" schemas) are added one by one, and one that conflicts with those already compiled is skipped.
    /// </summary>
    /// <exception cref="XmlIngestionException">A schema is malformed or an import cannot be resolved inside the folder.</exception>
    public static XsdSchemaFolder Load(string folder, XmlLimits? limits = null)
    {
        limits ??= XmlLimits.Default;
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Schema folder '{folder}' does not exist.");
        }

        var resolver = new FolderResolver(root, limits);
        var files = Directory.EnumerateFiles(root, "*.xsd", SearchOption.AllDirectories).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();
        var referenced = files.SelectMany(f => resolver.References(f)).ToHashSet(StringComparer.Ordinal);
        // Entry schemas that pull in more of the folder go first, so the message schemas win over narrower ones that
        // redeclare their elements (HMRC's CANCEL.xsd redeclares the DEC Declaration).
        var entries = files.Where(f => !referenced.Contains(f))
            .Select(f => (File: f, Closure: resolver.Closure(f)))
            .OrderByDescending(e => e.Closure)
            .ThenBy(e => e.File, StringComparer.Ordinal)
            .Select(e => e.File);
        var accepted = new List<string>();
        var loaded = new List<string>();
        var skipped = new List<(string, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        XmlSchemaSet? set = null;
        foreach (var file in entries)
        {
            var canonical = resolver.Canonical(file);
            if (!seen.Add(canonical))
            {
                continue;
            }

            // A failed compile can leave imported schemas behind in a set, so each attempt builds a fresh one.
            try
            {
                var trial = new XmlSchemaSet { XmlResolver = resolver };
                foreach (var path in accepted.Append(canonical))
                {
                    using var reader = resolver.OpenSchema(path);
                    trial.Add(null, reader);
                }

                trial.Compile();
                set = trial;
                accepted.Add(canonical);
                loaded.Add(Path.GetRelativePath(root, file));
            }
            catch (XmlSchemaException ex)
            {
                skipped.Add((Path.GetRelativePath(root, file), ex.Message));
            }
            catch (XmlException ex)
            {
                throw SafeXml.Translate(ex, file);
            }
        }

        set ??= new XmlSchemaSet();
        return new XsdSchemaFolder(set, loaded, skipped, limits);
    }

    /// <summary>Validates <paramref name="xml"/>; throws with the first errors (up to 10), each with line and position.</summary>
    /// <exception cref="XmlIngestionException"><see cref="IngestionFailure.SchemaInvalid"/> or a parsing failure.</exception>
    public void Validate(Stream xml, string? source = null, CancellationToken cancellationToken = default)
    {
        var settings = SafeXml.CreateSettings(_limits);
        settings.ValidationType = ValidationType.Schema;
        settings.Schemas = _schemas;
        settings.ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings;
        var errors = new List<(int Line, int Position, string Message)>();
        settings.ValidationEventHandler += (_, e) =>
        {
            if (e.Severity == XmlSeverityType.Error && errors.Count < 10)
            {
                errors.Add((e.Exception?.LineNumber ?? 0, e.Exception?.LinePosition ?? 0, SafeXml.RedactSchemaMessage(e.Message)));
            }
        };
        using var bounded = SafeXml.Bound(xml, _limits, source, cancellationToken);
        XmlReader? reader = null;
        try
        {
            // Creating the reader already reads the first bytes (encoding detection) and may refuse them.
            reader = XmlReader.Create(bounded, settings);
            var root = true;
            while (reader.Read())
            {
                // A root the folder has no schema for would only raise a warning: refuse it explicitly.
                if (root && reader.NodeType == XmlNodeType.Element)
                {
                    root = false;
                    if (!_schemas.GlobalElements.Contains(new XmlQualifiedName(reader.LocalName, reader.NamespaceURI)) && errors.Count < 10)
                    {
                        var info = reader as IXmlLineInfo;
                        errors.Add((info?.LineNumber ?? 0, info?.LinePosition ?? 0, $"no schema in the folder declares the root element {{{reader.NamespaceURI}}}{reader.LocalName}"));
                    }
                }
            }
        }
        catch (XmlException ex)
        {
            throw SafeXml.Translate(ex, source, reader as IXmlLineInfo);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new XmlIngestionException(IngestionFailure.Malformed, "invalid byte sequence for the declared encoding", source);
        }
        finally
        {
            reader?.Dispose();
        }

        if (errors.Count > 0)
        {
            var (line, position, _) = errors[0];
            throw new XmlIngestionException(IngestionFailure.SchemaInvalid, string.Join(" | ", errors.Select(e => $"({e.Line},{e.Position}) {e.Message}")), source, line, position);
        }
    }

    /// <summary>Resolves schema imports inside the folder only, de-duplicating by target namespace and file name.</summary>
    private sealed class FolderResolver(string root, XmlLimits limits) : XmlResolver
    {
        private readonly Dictionary<string, string> _canonicalByKey = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _canonicalByPath = new(StringComparer.Ordinal);

        public override object? GetEntity(Uri absoluteUri, string? role, Type? ofObjectToReturn)
        {
            var path = Inside(absoluteUri);
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }

        public override Uri ResolveUri(Uri? baseUri, string? relativeUri)
        {
            var uri = base.ResolveUri(baseUri, relativeUri);
            return new Uri(Canonical(Inside(uri)));
        }

        public XmlReader OpenSchema(string canonicalPath) =>
            XmlReader.Create(new FileStream(canonicalPath, FileMode.Open, FileAccess.Read, FileShare.Read), WithClose(SafeXml.CreateSettings(limits)), new Uri(canonicalPath).AbsoluteUri);

        /// <summary>The first file seen with the same target namespace and file name as <paramref name="path"/>.</summary>
        public string Canonical(string path)
        {
            if (_canonicalByPath.TryGetValue(path, out var known))
            {
                return known;
            }

            var key = TargetNamespace(path) + "|" + Path.GetFileName(path);
            if (!_canonicalByKey.TryGetValue(key, out var canonical))
            {
                canonical = path;
                _canonicalByKey.Add(key, canonical);
            }

            _canonicalByPath[path] = canonical;
            return canonical;
        }

        /// <summary>How many files <paramref name="path"/> pulls in, directly or not.</summary>
        public int Closure(string path)
        {
            var visited = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>([path]);
            while (pending.TryPop(out var next))
            {
                if (visited.Add(next) && File.Exists(next))
                {
                    foreach (var reference in References(next))
                    {
                        pending.Push(reference);
                    }
                }
            }

            return visited.Count;
        }

        /// <summary>Full paths of the files <paramref name="path"/> imports or includes.</summary>
        public IEnumerable<string> References(string path)
        {
            var result = new List<string>();
            using var reader = XmlReader.Create(path, SafeXml.CreateSettings(limits));
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.NamespaceURI == XmlSchema.Namespace
                    && reader.LocalName is "import" or "include" or "redefine" && reader.GetAttribute("schemaLocation") is { } location)
                {
                    result.Add(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, location)));
                }
            }

            return result;
        }

        private string TargetNamespace(string path)
        {
            using var reader = XmlReader.Create(path, SafeXml.CreateSettings(limits));
            reader.MoveToContent();
            return reader.GetAttribute("targetNamespace") ?? string.Empty;
        }

        private string Inside(Uri uri)
        {
            if (!uri.IsFile)
            {
                throw new XmlSchemaException($"Schema location '{uri}' is not a file in the schema folder; nothing is fetched from outside.");
            }

            var path = Path.GetFullPath(uri.LocalPath);
            if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new XmlSchemaException($"Schema location '{path}' is outside the schema folder.");
            }

            return path;
        }

        private static XmlReaderSettings WithClose(XmlReaderSettings settings)
        {
            settings.CloseInput = true;
            settings.IgnoreComments = true;
            return settings;
        }
    }
}

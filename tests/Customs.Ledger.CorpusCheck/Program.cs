using Customs.Ledger.Records;
using Customs.Ledger.Wco;
using Customs.Ledger.Xml;

// Usage: Customs.Ledger.CorpusCheck <samples-dir> [<negative-dir>] [--xsd <schema-dir>]
// Maps every *.xml under <samples-dir> twice and checks the leaves are identical, checks every ledger record against
// the allow-list, and expects every file under <negative-dir> to be refused with a file, line and reason.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Customs.Ledger.CorpusCheck <samples-dir> [<negative-dir>]");
    return 2;
}

var xsdAt = Array.IndexOf(args, "--xsd");
XsdSchemaFolder? schemas = null;
if (xsdAt >= 0)
{
    schemas = XsdSchemaFolder.Load(args[xsdAt + 1]);
    Console.WriteLine($"schemas: {schemas.Loaded.Count} entry schemas loaded ({string.Join(", ", schemas.Loaded)}); {schemas.Skipped.Count} skipped");
    foreach (var (file, reason) in schemas.Skipped)
    {
        Console.WriteLine($"  skipped {file}: {reason}");
    }

    args = args.Where((_, i) => i != xsdAt && i != xsdAt + 1).ToArray();
}

var mapper = new WcoMapper();
var framework = new WcoMapper(fastReader: false);
var names = new Utf8NameTable();
var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
var failures = 0;
void Count(string key) => counts[key] = counts.GetValueOrDefault(key) + 1;

foreach (var file in Files(args[0]))
{
    try
    {
        var first = mapper.MapFile(file);
        var second = mapper.MapFile(file);
        if (!first.Leaves.SequenceEqual(second.Leaves))
        {
            failures++;
            Console.WriteLine($"NOT DETERMINISTIC {file}");
        }

        // The fast reader must give what the framework's reader gives; count how many documents it reads itself.
        var bytes = File.ReadAllBytes(file);
        if (!framework.Map(bytes, file).Leaves.SequenceEqual(first.Leaves))
        {
            failures++;
            Console.WriteLine($"FAST READER DIFFERS {file}");
        }

        Count(ReadsFast(bytes) ? "fast reader: read in full" : "fast reader: left to the framework reader");

        var leaked = AllowListAudit.FindLeaks(first);
        if (leaked.Count > 0)
        {
            failures++;
            Console.WriteLine($"RECORD LEAK {file}: {string.Join(", ", leaked)}");
        }

        if (schemas is not null)
        {
            try
            {
                using var stream = File.OpenRead(file);
                schemas.Validate(stream, file);
                Count("XSD valid");
            }
            catch (XmlIngestionException ex) when (ex.Failure == IngestionFailure.SchemaInvalid)
            {
                Count("XSD invalid");
                Console.WriteLine($"xsd      {ex.Message[..Math.Min(300, ex.Message.Length)]}");
            }
        }

        Count($"mapped {first.ProfileId} {first.Kind}{(IsWrapped(file) ? " (unwrapped from a transport wrapper)" : string.Empty)}");
        Count("leaves total");
        counts["leaves total"] += first.Leaves.Count - 1;
    }
    catch (XmlIngestionException ex) when (ex.Failure == IngestionFailure.NotAWcoMessage)
    {
        Count("refused: not a WCO DM message");
        Console.WriteLine($"refused  {ex.Message}");
    }
    catch (XmlIngestionException ex)
    {
        failures++;
        Count($"FAILED {ex.Failure}");
        Console.WriteLine($"FAILED   {ex.Message}");
    }
}

if (args.Length > 1)
{
    foreach (var file in Files(args[1]))
    {
        try
        {
            mapper.MapFile(file);
            failures++;
            Console.WriteLine($"NEGATIVE ACCEPTED {file}");
        }
        catch (XmlIngestionException ex) when (ex.Source == file && ex.Line > 0)
        {
            var reference = Refusal(framework, file);
            if (reference != (ex.Failure, ex.Line, ex.Position, ex.Message))
            {
                failures++;
                Console.WriteLine($"FAST READER REFUSES DIFFERENTLY {file}: {ex.Message} vs {reference}");
            }

            Count($"negative refused: {ex.Failure}");
            Console.WriteLine($"negative {ex.Message}");
        }
        catch (XmlIngestionException ex)
        {
            failures++;
            Console.WriteLine($"NEGATIVE WITHOUT LOCATION {ex.Message}");
        }
    }
}

Console.WriteLine();
foreach (var (key, n) in counts)
{
    Console.WriteLine($"{n,8}  {key}");
}

Console.WriteLine($"{failures,8}  failures");
return failures == 0 ? 0 : 1;

bool ReadsFast(byte[] xml)
{
    try
    {
        using var reader = new Utf8XmlReader(xml, names, XmlLimits.Default);
        while (reader.Read())
        {
        }

        return true;
    }
    catch (Utf8XmlRefusal)
    {
        return false;
    }
}

static (IngestionFailure, int, int, string)? Refusal(WcoMapper mapper, string file)
{
    try
    {
        mapper.Map(File.ReadAllBytes(file), file);
        return null;
    }
    catch (XmlIngestionException ex)
    {
        return (ex.Failure, ex.Line, ex.Position, ex.Message);
    }
}

static IEnumerable<string> Files(string dir) =>
    Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
        .Where(f => f.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
        .Order(StringComparer.Ordinal);

static bool IsWrapped(string file)
{
    using var r = new StreamReader(file);
    var head = new char[4096];
    var n = r.Read(head, 0, head.Length);
    var s = new string(head, 0, n);
    return s.Contains("submitDeclarationRequest", StringComparison.Ordinal);
}

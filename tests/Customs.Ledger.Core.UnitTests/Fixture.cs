using Customs.Ledger.Canonical;
using Customs.Ledger.Wco;

namespace Customs.Ledger.Core.UnitTests;

/// <summary>Access to the test fixtures copied beside the test assembly.</summary>
internal static class Fixture
{
    public static readonly WcoMapper Mapper = new();

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    public static string Text(string name) => File.ReadAllText(PathOf(name));

    public static CanonicalDocument Map(string name) => Mapper.MapFile(PathOf(name));

    public static CanonicalDocument MapText(string xml) => Mapper.Map(System.Text.Encoding.UTF8.GetBytes(xml), "inline.xml");

    public static Leaf Leaf(this CanonicalDocument doc, string path) =>
        doc.Find(path) ?? throw new Xunit.Sdk.XunitException($"no leaf at {path}; leaves: {string.Join(", ", doc.Leaves.Select(l => l.Path))}");
}

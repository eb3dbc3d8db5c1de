using System.Globalization;
using System.Reflection;
using System.Text;

namespace Customs.Ledger.LoadGen;

/// <summary>
/// Makes distinct WCO DM goods declarations on the fly from one template (the DMS declaration of the test fixtures):
/// document <c>n</c> gets its own LRN (42A FunctionalReferenceID) and invoice amount, and <c>items</c> goods items, which
/// is how the document size is varied. Nothing is held but the template: a run of a million documents streams.
/// </summary>
internal sealed class DeclarationGenerator
{
    private const string ItemOpen = "<GovernmentAgencyGoodsItem>";
    private const string ItemClose = "</GovernmentAgencyGoodsItem>";
    private readonly string _head;
    private readonly string _item;
    private readonly string _tail;
    private readonly string _run;
    private readonly int _items;

    /// <param name="items">Goods items per declaration (1-999): 2 gives ~2.6 KB and ~40 leaves, 10 ~7 KB and ~140 leaves.</param>
    /// <param name="run">Makes the documents of one run differ from every other run's (node ids are content hashes).</param>
    public DeclarationGenerator(int items, string run)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(items, 999);
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("declaration.xml")
            ?? throw new InvalidOperationException("template declaration.xml is not embedded");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var template = reader.ReadToEnd();
        var first = template.IndexOf(ItemOpen, StringComparison.Ordinal);
        var firstEnd = template.IndexOf(ItemClose, first, StringComparison.Ordinal) + ItemClose.Length;
        var lastEnd = template.LastIndexOf(ItemClose, StringComparison.Ordinal) + ItemClose.Length;
        _head = template[..first];
        _item = template[first..firstEnd];
        _tail = template[lastEnd..];
        _run = run;
        _items = items;
    }

    /// <summary>The UTF-8 XML of document <paramref name="n"/>.</summary>
    public byte[] Document(long n)
    {
        var lrn = $"LRN-{_run}-{n.ToString("D9", CultureInfo.InvariantCulture)}";
        var amount = (1000 + (n * 7919 % 900_000) / 100m).ToString("F2", CultureInfo.InvariantCulture);
        var text = new StringBuilder(_head.Length + (_items * _item.Length) + _tail.Length + 64)
            .Append(_head.Replace("LRN-TEST-0001", lrn, StringComparison.Ordinal)
                .Replace("<InvoiceAmount currencyID=\"GBP\">25000.00</InvoiceAmount>", $"<InvoiceAmount currencyID=\"GBP\">{amount}</InvoiceAmount>", StringComparison.Ordinal)
                .Replace("<GoodsItemQuantity>2</GoodsItemQuantity>", $"<GoodsItemQuantity>{_items}</GoodsItemQuantity>", StringComparison.Ordinal));
        for (var i = 1; i <= _items; i++)
        {
            text.Append(_item.Replace("<SequenceNumeric>1</SequenceNumeric>", $"<SequenceNumeric>{i}</SequenceNumeric>", StringComparison.Ordinal)).Append("\n\t\t\t");
        }

        text.Append(_tail);
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}

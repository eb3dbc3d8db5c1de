using System.CommandLine;
using Customs.Ledger.LoadGen;

// customs-ledger-loadgen: load runs against a real node process, and the side-by-side comparison with OpenAttestation.
// Exit codes: 0 done; 1 documents refused or not anchored in time; 2 usage.
var documents = new Option<long>("--documents") { Description = "Documents to stream (after the warm-up)", DefaultValueFactory = _ => 100_000 };
// 20,000: the node's tiered JIT needs a few seconds at full load to reach its steady-state code (2,000 left ~10 % of the
// measured node CPU in the JIT and ~20 % of the rate on the table; see docs/PERFORMANCE.md).
var warmup = new Option<long>("--warmup") { Description = "Documents sent first and not measured (JIT tiering, connections, first batches)", DefaultValueFactory = _ => 20_000 };
var streams = new Option<int>("--streams") { Description = "Concurrent SubmitStream calls", DefaultValueFactory = _ => 2 };
var rate = new Option<double>("--rate") { Description = "Offered load in documents/s (open loop); 0 = as fast as the node takes them", DefaultValueFactory = _ => 0 };
var items = new Option<int>("--items") { Description = "Goods items per declaration (document size)", DefaultValueFactory = _ => 2 };
var ledger = new Option<string>("--ledger") { Description = "embedded, or ethereum (starts Hardhat on 127.0.0.1)", DefaultValueFactory = _ => "embedded" };
ledger.AcceptOnlyFromAmong("embedded", "ethereum");
var batchMax = new Option<int>("--batch-max") { Description = "The node's BatchMaxDocuments", DefaultValueFactory = _ => 1000 };
var batchWindow = new Option<int>("--batch-window-ms") { Description = "The node's BatchWindowMilliseconds", DefaultValueFactory = _ => 200 };
var segment = new Option<long>("--segment") { Description = "Print the rate every this many documents", DefaultValueFactory = _ => 100_000 };
var anchorTimeout = new Option<int>("--anchor-timeout-s") { Description = "Longest wait for anchoring after the last acknowledgement", DefaultValueFactory = _ => 300 };
var json = new Option<string?>("--json") { Description = "Also write the report to this file" };

var witnessOff = new Option<bool>("--no-witness") { Description = "Run the node with witness.enabled=false (no checkpoints signed), to measure what witnessing costs" };
var store = new Option<string>("--store") { Description = "The node's store: sqlite, or postgres (starts a PostgreSQL 15 server on 127.0.0.1 for the run)", DefaultValueFactory = _ => "sqlite" };
var pilot = new Option<bool>("--pilot") { Description = "Run the pilot pair: the node (GB-HMRC) and, as its own process beside it, its partner NL-NVWA, which witnesses its ledger (embedded ledger only)" };
var run = new Command("run", "Stream generated declarations into a fresh node process and measure it")
{
    documents, warmup, streams, rate, items, ledger, batchMax, batchWindow, segment, anchorTimeout, json, witnessOff, pilot, store,
};
run.SetAction((parse, ct) =>
{
    var settings = new LoadSettings(
        parse.GetValue(documents), parse.GetValue(warmup), parse.GetValue(streams), parse.GetValue(rate), parse.GetValue(items),
        parse.GetValue(ledger)!, parse.GetValue(batchMax), parse.GetValue(batchWindow), parse.GetValue(segment),
        TimeSpan.FromSeconds(parse.GetValue(anchorTimeout)), parse.GetValue(json)) { Witness = !parse.GetValue(witnessOff), Pilot = parse.GetValue(pilot), Store = parse.GetValue(store)! };
    if (settings.Documents < 1 || settings.Warmup < 0 || settings.Streams < 1 || settings.Rate < 0 || settings.Segment < 1 || settings.Items is < 1 or > 999)
    {
        Console.Error.WriteLine("--documents, --streams, --segment must be positive; --warmup, --rate not negative; --items 1-999");
        return Task.FromResult(2);
    }

    return new LoadRun(settings, Console.Error).RunAsync(ct);
});

var sideDocuments = new Option<int>("--documents") { Description = "Documents in the comparison (one batch, as OpenAttestation wraps them)", DefaultValueFactory = _ => 10_000 };
var sideItems = new Option<int>("--items") { Description = "Goods items per declaration (document size)", DefaultValueFactory = _ => 2 };
var oaInput = new Option<string>("--oa-input") { Description = "Write the same documents here as OpenAttestation raw documents (NDJSON)", Required = true };
var sideJson = new Option<string?>("--json") { Description = "Also write the result to this file" };
var side = new Command("side-by-side", "This node's pipeline on generated declarations: rates of issuing (map, salt, hash, batch, sign, anchor) and verifying bundles")
{
    sideDocuments, sideItems, oaInput, sideJson,
};
side.SetAction((parse, ct) => SideBySide.RunAsync(parse.GetValue(sideDocuments), parse.GetValue(sideItems), parse.GetValue(oaInput)!, parse.GetValue(sideJson), Console.Error, ct));

var hostile = new Command("hostile", "Send a fresh node the hostile inputs of issue #12 one by one; report its answer, CPU time and memory for each");
hostile.SetAction((_, ct) => HostileRun.RunAsync(Console.Error, ct));

var tlsRounds = new Option<int>("--rounds") { Description = "Pairs of runs (plaintext, then TLS), alternating", DefaultValueFactory = _ => 1 };
var tlsOverhead = new Command("tls-overhead", "The same load twice in one invocation: client API over HTTP/2 without TLS, then over HTTPS; both with a bearer token. Reports both rates and their ratio")
{
    documents, warmup, streams, items, batchMax, batchWindow, segment, anchorTimeout, json, tlsRounds,
};
tlsOverhead.SetAction(async (parse, ct) =>
{
    var plain = new LoadSettings(
        parse.GetValue(documents), parse.GetValue(warmup), parse.GetValue(streams), 0, parse.GetValue(items),
        "embedded", parse.GetValue(batchMax), parse.GetValue(batchWindow), parse.GetValue(segment),
        TimeSpan.FromSeconds(parse.GetValue(anchorTimeout)), null);
    var rates = new List<(double Plain, double Tls)>();
    for (var round = 0; round < Math.Max(1, parse.GetValue(tlsRounds)); round++)
    {
        var plainRun = new LoadRun(plain, Console.Error);
        var tlsRun = new LoadRun(plain with { Tls = true }, Console.Error);
        if (await plainRun.RunAsync(ct) != 0 | await tlsRun.RunAsync(ct) != 0)
        {
            return 1;
        }

        rates.Add((plainRun.LastReport!.AcknowledgedPerSecond, tlsRun.LastReport!.AcknowledgedPerSecond));
    }

    var summary = new
    {
        plaintextPerSecond = rates.Select(r => r.Plain).ToList(),
        tlsPerSecond = rates.Select(r => r.Tls).ToList(),
        tlsShareOfPlaintext = Math.Round(rates.Sum(r => r.Tls) / rates.Sum(r => r.Plain), 3),
    };
    var text = System.Text.Json.JsonSerializer.Serialize(summary);
    Console.WriteLine(text);
    if (parse.GetValue(json) is { } file)
    {
        await File.WriteAllTextAsync(file, text + "\n", ct);
    }

    return 0;
});

var root = new RootCommand("Customs.Ledger load generator (see docs/PERFORMANCE.md)") { run, side, hostile, tlsOverhead };
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine(error.Message);
    }

    return 2;
}

return await parsed.InvokeAsync();

using Customs.Ledger.Fuzzing;

// The fuzzing harness (see tests/Customs.Ledger.Fuzzing/README.md): `customs-ledger-fuzz xml|bundle` under afl-fuzz
// (SharpFuzz out-of-process mode; the target assemblies instrumented with the sharpfuzz tool first), or
// `customs-ledger-fuzz replay xml|bundle DIR` to run a corpus once.
if (args.Length >= 1 && args[0] is "xml" or "bundle")
{
    Action<ReadOnlySpan<byte>> target = args[0] == "xml" ? XmlTarget.Run : BundleTarget.Run;
    SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    });
    return 0;
}

if (args.Length == 3 && args[0] == "replay" && args[1] is "xml" or "bundle")
{
    Action<ReadOnlySpan<byte>> target = args[1] == "xml" ? XmlTarget.Run : BundleTarget.Run;
    var failures = 0;
    foreach (var file in Directory.EnumerateFiles(args[2]).Order(StringComparer.Ordinal))
    {
        try
        {
            target(File.ReadAllBytes(file));
        }
        catch (Exception ex)
        {
            failures++;
            Console.WriteLine($"{Path.GetFileName(file)}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    Console.WriteLine($"{failures} finding(s)");
    return failures == 0 ? 0 : 1;
}

Console.Error.WriteLine("usage: customs-ledger-fuzz xml|bundle   (under afl-fuzz)\n       customs-ledger-fuzz replay xml|bundle DIR");
return 2;

using Customs.Ledger.Cli;

// Exit codes: 0 success; 1 a document was refused or a bundle did not verify; 2 bad input or usage; 3 node unreachable.
// System.CommandLine answers its own usage errors with exit code 1; they are bad input here (2).
var parse = CliApp.Build().Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine(error.Message);
    }

    return 2;
}

return await parse.InvokeAsync();

using Customs.Ledger.Cli;

// Exit codes: 0 success; 1 a document was refused or a bundle is INVALID; 2 bad input or usage; 3 node or ledger
// unreachable (a verification ERROR); 4 a bundle is UNVERIFIED.
// System.CommandLine answers its own usage errors with exit code 1; they are bad input here (2).
if (Console.IsOutputRedirected)
{
    // Output read by a program or a file: no wrapping at 80 columns, which would break ids and reasons across lines.
    Spectre.Console.AnsiConsole.Profile.Width = 4096;
}

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

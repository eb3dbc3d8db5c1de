using Customs.Ledger.Cli;

// Exit codes: 0 success; 1 a document was refused, a bundle is INVALID or a store is damaged; 2 bad input or usage; 3 node
// or ledger unreachable (a verification ERROR); 4 a bundle is UNVERIFIED; 5 submit --wait timed out (documents accepted,
// not all anchored yet). No exit ever prints a stack trace: a failure no command expected is "error: <what>", exit 1.
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

try
{
    return await parse.InvokeAsync(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
catch (Exception ex)
{
    // A failure no command expected: its message, never a stack trace (which would also risk echoing document content).
    Console.Error.WriteLine($"error: {Customs.Ledger.Cli.Commands.Output.Reason(ex)}");
    return 1;
}

using Customs.Ledger.Cli;

// Exit codes: 0 success; 1 a document was refused, a bundle is INVALID or a store is damaged; 2 bad input or usage; 3 node
// or ledger unreachable (a verification ERROR); 4 a bundle is UNVERIFIED; 5 submit --wait timed out (documents accepted,
// not all anchored yet). No exit ever prints a stack trace: a failure no command expected is "error: <what>", exit 1.
// The node's own commands (init, node, check, ...) are handed to customs-ledger-node, which answers with the same codes.
if (args.Length > 0 && NodeCommandForwarder.Handles(args[0]))
{
    return await NodeCommandForwarder.RunAsync(args);
}

return await CliApp.RunAsync(CliApp.Build(), args);

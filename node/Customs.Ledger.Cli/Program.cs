using Customs.Ledger.Cli;

// Exit codes: 0 success; 1 a document was refused or a bundle did not verify; 2 bad input or usage; 3 node unreachable.
return await CliApp.Build().Parse(args).InvokeAsync();

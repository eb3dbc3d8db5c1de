using Customs.Ledger.Cli;
using Customs.Ledger.Node.Cli;

// The exit codes of customs-ledger (see its Program.cs), for the node's commands and the client commands alike.
return await CliApp.RunAsync(NodeCliApp.Build(), args);

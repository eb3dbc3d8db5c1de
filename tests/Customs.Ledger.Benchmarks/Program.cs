using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Customs.Ledger.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

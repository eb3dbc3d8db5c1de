using Customs.Ledger.Node.Hosting;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>The pilot network (<see cref="PilotNetwork"/>) in a temporary folder that is deleted afterwards.</summary>
internal sealed class ExchangeSetup : IDisposable
{
    private readonly PilotNetwork _network;

    public ExchangeSetup(string root) => _network = new PilotNetwork(root);

    public string DirA => _network.DirA;

    public string DirB => _network.DirB;

    public Crypto.Secp256k1PrivateKey KeyA => _network.KeyA;

    public Crypto.Secp256k1PrivateKey KeyB => _network.KeyB;

    public Pki.ConsortiumCa Ca => _network.Ca;

    public void PrepareA() => _network.PrepareA();

    public void PrepareB() => _network.PrepareB();

    public void Dispose()
    {
        _network.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_network.Root))
        {
            Directory.Delete(_network.Root, recursive: true);
        }
    }
}

using System.Security.Cryptography;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Pipeline;
using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Node.Backup;

/// <summary>
/// Backup and restore of a node's data directory.
/// <para>
/// A backup of a running node is one instant of it: the writers of node.db, ledger.db and exchange.db are held (their
/// writes queue, for the few milliseconds it takes) while a read transaction is opened on each file, then released;
/// SQLite's online backup copies each file from its read snapshot while the node goes on. One instant of every store is
/// a state the node could have crashed in, and the node recovers from any such state by design (a batch stored but not
/// anchored is anchored at start; the ledger is only ever ahead of node.db, never behind it). The Ethereum journal is
/// copied too; the adapter reconciles it with the chain when it opens.
/// </para>
/// <para>
/// Besides the stores: node.json, the encrypted keystore and token-signing key, certificates, trust anchors and
/// agreements — every other file of the data directory, except lock files, SQLite's -wal/-shm files and the secrets
/// that unlock the keys (<see cref="IsSecret"/>), which are left out unless asked for and named in the manifest.
/// </para>
/// </summary>
public static class NodeBackup
{
    /// <summary>SQLite stores of a data directory, in the order they are snapshotted.</summary>
    private static readonly string[] Stores = ["node.db", "ledger.db", "exchange.db"];

    /// <summary>
    /// The witness store (docs/WITNESSING.md): copied with SQLite's online backup too, but outside the held instant — it
    /// only has to be a consistent state of itself (its checkpoints are checked against the ledger when the node starts).
    /// </summary>
    private const string WitnessStore = "witness.db";

    /// <summary>Backs up a running node (see the class remarks) into <paramref name="outDirectory"/>, which must not exist or be empty.</summary>
    public static async Task<BackupManifest> CreateAsync(NodeContext node, string outDirectory, bool includeSecrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        RefusePostgres(node.Options);
        PrepareTarget(outDirectory, node.DataDirectory);
        var journal = node.Options.Ethereum?.JournalFile;
        var snapshots = new List<(string Name, SqliteConnection Connection)>();
#pragma warning disable CA2000 // the snapshots list owns the connections; the finally below disposes them
        try
        {
            // One instant: every writer held, a read snapshot of every store, writers released.
            using (await node.EmbeddedLedger.HoldWritesAsync(cancellationToken).ConfigureAwait(false))
            using (node.Exchange is { } exchange ? await exchange.Store.HoldWritesAsync(cancellationToken).ConfigureAwait(false) : null)
            using (await node.Store.HoldWritesAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var store in Stores)
                {
                    if (OpenSnapshot(Path.Combine(node.DataDirectory, store)) is { } snapshot)
                    {
                        snapshots.Add((store, snapshot));
                    }
                }
            }

            if (journal is not null && OpenSnapshot(Path.Combine(node.DataDirectory, journal)) is { } journalSnapshot)
            {
                snapshots.Add((journal, journalSnapshot));
            }

            if (OpenSnapshot(Path.Combine(node.DataDirectory, WitnessStore)) is { } witnessSnapshot)
            {
                snapshots.Add((WitnessStore, witnessSnapshot));
            }

            return await Task.Run(() => Write(node.DataDirectory, node.Options.NodeId, outDirectory, snapshots, includeSecrets, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
#pragma warning restore CA2000
        finally
        {
            foreach (var (_, connection) in snapshots)
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>Backs up a stopped node (nothing writes, so no writer needs holding).</summary>
    public static BackupManifest CreateOffline(string dataDirectory, string outDirectory, bool includeSecrets, CancellationToken cancellationToken)
    {
        var options = NodeOptions.Load(dataDirectory);
        RefusePostgres(options);
        PrepareTarget(outDirectory, dataDirectory);
        var snapshots = new List<(string Name, SqliteConnection Connection)>();
#pragma warning disable CA2000 // the snapshots list owns the connections; the finally below disposes them
        try
        {
            foreach (var store in Stores.Append(options.Ethereum?.JournalFile).Append(WitnessStore).OfType<string>())
            {
                if (OpenSnapshot(Path.Combine(dataDirectory, store)) is { } snapshot)
                {
                    snapshots.Add((store, snapshot));
                }
            }

            return Write(dataDirectory, options.NodeId, outDirectory, snapshots, includeSecrets, cancellationToken);
        }
#pragma warning restore CA2000
        finally
        {
            foreach (var (_, connection) in snapshots)
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>
    /// Restores a backup into <paramref name="dataDirectory"/> (which must not exist or be empty): checks every file
    /// against the manifest first, then copies; the secrets the backup left out are taken from
    /// <paramref name="secretsFrom"/> (a folder laid out like a data directory, e.g. the lost node's, or a safe's copy).
    /// The caller then runs the full store audit (<c>customs-ledger check</c>) before starting the node.
    /// </summary>
    /// <returns>The manifest, and the secrets still missing (the node needs them, e.g. from the environment).</returns>
    /// <exception cref="InvalidDataException">The backup is incomplete or a file does not match its hash.</exception>
    public static (BackupManifest Manifest, IReadOnlyList<string> MissingSecrets) Restore(string backupDirectory, string dataDirectory, string? secretsFrom)
    {
        var manifest = BackupManifest.Load(backupDirectory);
        foreach (var file in manifest.Files)
        {
            var path = Resolve(backupDirectory, file.Path);
            if (!File.Exists(path))
            {
                throw new InvalidDataException($"the backup is incomplete: {file.Path} is missing");
            }

            if (new FileInfo(path).Length != file.Bytes || Hash(path) != file.Sha256)
            {
                throw new InvalidDataException($"the backup is damaged: {file.Path} does not match its SHA-256 in {BackupManifest.FileName}");
            }
        }

        PrepareTarget(dataDirectory, backupDirectory);
        foreach (var file in manifest.Files)
        {
            var target = Resolve(dataDirectory, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Resolve(backupDirectory, file.Path), target);
            Protect(target, file.Path);
        }

        var missing = new List<string>();
        foreach (var secret in manifest.ExcludedSecrets)
        {
            var source = secretsFrom is null ? null : Resolve(secretsFrom, secret);
            if (source is not null && File.Exists(source))
            {
                var target = Resolve(dataDirectory, secret);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target);
                Protect(target, secret);
            }
            else
            {
                missing.Add(secret);
            }
        }

        return (manifest, missing);
    }

    /// <summary>
    /// Files that unlock keys: the keystore password, the PKCS#11 PIN, PKCS#12 passwords, and bearer tokens. A backup
    /// without them is as safe to store as the encrypted keystore itself.
    /// </summary>
    /// <summary>This backup copies SQLite stores; PostgreSQL stores are backed up by the database (docs/HIGH-AVAILABILITY.md).</summary>
    private static void RefusePostgres(NodeOptions options)
    {
        if (options.Store.IsPostgres)
        {
            throw new InvalidOperationException("this node's stores are in PostgreSQL: back them up with the database's own tools (pg_basebackup with WAL archiving, or the cloud's backups), and its data directory (keys, certificates, node.json) as files");
        }
    }

    public static bool IsSecret(string relativePath)
    {
        var name = Path.GetFileName(relativePath);
        return name is "password" or "pkcs11.pin" || name.EndsWith(".password", StringComparison.Ordinal) || name.EndsWith(".token", StringComparison.Ordinal);
    }

    private static BackupManifest Write(string dataDirectory, string nodeId, string outDirectory, List<(string Name, SqliteConnection Connection)> snapshots, bool includeSecrets, CancellationToken cancellationToken)
    {
        var takenAt = DateTimeOffset.UtcNow;
        var files = new List<BackupFile>();
        long documents = 0, height = -1;
        foreach (var (name, source) in snapshots)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (name == "node.db")
            {
                documents = Scalar(source, "SELECT COUNT(*) FROM documents");
            }
            else if (name == "ledger.db")
            {
                height = Scalar(source, "SELECT COALESCE(MAX(height), -1) FROM blocks");
            }

            var target = Path.Combine(outDirectory, name);
            using (var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString()))
            {
                destination.Open();
                source.BackupDatabase(destination);
            }

            files.Add(Describe(outDirectory, name));
        }

        var copied = new HashSet<string>(snapshots.Select(s => s.Name), StringComparer.Ordinal);
        var excluded = new List<string>();
        foreach (var path in Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var relative = Path.GetRelativePath(dataDirectory, path).Replace(Path.DirectorySeparatorChar, '/');
            if (copied.Contains(relative) || IsTransient(relative))
            {
                continue;
            }

            if (IsSecret(relative) && !includeSecrets)
            {
                excluded.Add(relative);
                continue;
            }

            var target = Path.Combine(outDirectory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(path, target);
            Protect(target, relative);
            files.Add(Describe(outDirectory, relative));
        }

        var manifest = new BackupManifest
        {
            NodeId = nodeId,
            TakenAt = takenAt,
            Documents = documents,
            LedgerHeight = height,
            Files = files,
            ExcludedSecrets = excluded,
        };
        manifest.Save(outDirectory);
        return manifest;
    }

    /// <summary>Opens a read transaction on <paramref name="path"/> and reads from it, which fixes its snapshot; null when the file does not exist.</summary>
    private static SqliteConnection? OpenSnapshot(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 30 }.ToString());
        try
        {
            connection.Open();
            using var begin = connection.CreateCommand();
            begin.CommandText = "BEGIN; SELECT COUNT(*) FROM sqlite_schema;";
            begin.ExecuteScalar();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    // SQLite's companions of a live file, lock files, and the node's own temporary files are not data.
    private static bool IsTransient(string relative) =>
        relative.EndsWith("-wal", StringComparison.Ordinal) || relative.EndsWith("-shm", StringComparison.Ordinal) || relative.EndsWith("-journal", StringComparison.Ordinal)
        || relative.EndsWith(".lock", StringComparison.Ordinal) || relative.EndsWith(".tmp", StringComparison.Ordinal);

    private static void PrepareTarget(string target, string other)
    {
        if (!Path.IsPathFullyQualified(target))
        {
            throw new ArgumentException($"the folder must be an absolute path: {target}");
        }

        if (Path.GetFullPath(target).TrimEnd('/') == Path.GetFullPath(other).TrimEnd('/'))
        {
            throw new ArgumentException("the backup folder and the data directory must differ");
        }

        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new ArgumentException($"{target} exists and is not empty");
        }

        Directory.CreateDirectory(target);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    // Keys and secrets keep owner-only access in the copy.
    private static void Protect(string path, string relative)
    {
        if (!OperatingSystem.IsWindows() && (relative.StartsWith("keys/", StringComparison.Ordinal) || IsSecret(relative)))
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static string Resolve(string root, string relative)
    {
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(Path.GetFullPath(root).TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"the manifest names a file outside the folder: {relative}");
        }

        return full;
    }

    private static BackupFile Describe(string root, string relative) =>
        new(relative, new FileInfo(Path.Combine(root, relative)).Length, Hash(Path.Combine(root, relative)));

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

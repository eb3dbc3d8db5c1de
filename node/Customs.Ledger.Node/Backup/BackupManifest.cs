using System.Text.Json;
using System.Text.Json.Serialization;

namespace Customs.Ledger.Node.Backup;

/// <summary>
/// <c>backup.json</c>, written last into a backup folder: what the backup holds, every file with its size and SHA-256 (so
/// that <c>restore</c> finds a damaged or incomplete copy), and the secrets it deliberately left out.
/// </summary>
public sealed record BackupManifest
{
    public const string FileName = "backup.json";

    /// <summary>1: this layout.</summary>
    public int Format { get; init; } = 1;

    public required string NodeId { get; init; }

    public required DateTimeOffset TakenAt { get; init; }

    /// <summary>Documents in node.db at the snapshot.</summary>
    public long Documents { get; init; }

    /// <summary>The embedded ledger's height at the snapshot.</summary>
    public long LedgerHeight { get; init; }

    /// <summary>Every file of the backup but this manifest, relative to the backup folder ('/'-separated).</summary>
    public required IReadOnlyList<BackupFile> Files { get; init; }

    /// <summary>Secret files of the data directory that were not copied (restore takes them from elsewhere).</summary>
    public IReadOnlyList<string> ExcludedSecrets { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Save(string folder) => File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>Reads a backup's manifest.</summary>
    /// <exception cref="InvalidDataException">Missing or unreadable manifest.</exception>
    public static BackupManifest Load(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{folder} is not a backup: it has no {FileName}");
        }

        try
        {
            var manifest = JsonSerializer.Deserialize<BackupManifest>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{FileName} is empty");
            if (manifest.Format != 1)
            {
                throw new InvalidDataException($"{FileName} has format {manifest.Format}; this version restores format 1");
            }

            return manifest;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{FileName} is not valid JSON ({ex.Message})", ex);
        }
    }
}

/// <summary>One file of a backup.</summary>
/// <param name="Path">Relative to the backup folder, '/'-separated.</param>
/// <param name="Bytes">Its length.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of its content.</param>
public sealed record BackupFile(string Path, long Bytes, string Sha256);

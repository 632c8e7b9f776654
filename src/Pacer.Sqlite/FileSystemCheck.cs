using System.Text;

namespace Pacer.Sqlite;

/// <summary>
/// Refuses databases on network file systems, where SQLite's file locks and WAL's shared memory are unreliable and a
/// second machine (or a lock the server silently drops) corrupts the database.
/// </summary>
internal static class FileSystemCheck
{
    private const string MountTablePath = "/proc/mounts";

    // File systems whose locking or shared memory SQLite cannot rely on. fuse.* entries are the FUSE clients of the same.
    private static readonly HashSet<string> NetworkTypes = new(StringComparer.Ordinal)
    {
        "nfs", "nfs4", "cifs", "smb", "smb3", "smbfs", "ncpfs", "afs", "openafs", "9p", "sshfs", "fuse.sshfs",
        "glusterfs", "fuse.glusterfs", "ceph", "fuse.ceph", "fuse.ceph-fuse", "lustre", "gpfs", "beegfs", "davfs",
        "fuse.davfs", "fuse.s3fs", "fuse.rclone", "fuse.gcsfuse", "fuse.juicefs", "vboxsf", "prl_fs", "vmhgfs", "fuse.vmhgfs-fuse",
    };

    /// <summary>Throws if <paramref name="databasePath"/> lies on a network file system. Checks Linux and Windows; elsewhere it trusts the caller.</summary>
    public static void EnsureLocal(string databasePath)
    {
        var directory = System.IO.Path.GetDirectoryName(databasePath) ?? databasePath;
        if (OperatingSystem.IsLinux())
        {
            string mounts;
            try
            {
                mounts = File.ReadAllText(MountTablePath);
            }
            catch (IOException)
            {
                return; // no mount table (a restricted container): nothing to judge by
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }
            EnsureLocal(databasePath, ResolveLinks(directory), mounts);
        }
        else if (OperatingSystem.IsWindows())
        {
            var root = System.IO.Path.GetPathRoot(databasePath);
            var isUnc = databasePath.StartsWith(@"\\", StringComparison.Ordinal);
            if (isUnc || (root is not null && new DriveInfo(root).DriveType == DriveType.Network))
                throw NetworkError(databasePath, isUnc ? "a UNC share" : "a network drive");
        }
    }

    /// <summary>The Linux check against a mount table in /proc/mounts format (split out so it can be tested).</summary>
    internal static void EnsureLocal(string databasePath, string directory, string mountTable)
    {
        if (FindFileSystemType(mountTable, directory) is { } type && IsNetwork(type))
            throw NetworkError(databasePath, $"file system type '{type}'");
    }

    internal static bool IsNetwork(string fileSystemType) => NetworkTypes.Contains(fileSystemType);

    /// <summary>The type of the file system mounted at the longest mount point that contains <paramref name="directory"/>.</summary>
    internal static string? FindFileSystemType(string mountTable, string directory)
    {
        string? bestType = null;
        var bestLength = -1;
        foreach (var line in mountTable.Split('\n'))
        {
            // device mount-point type options dump pass; fields are separated by single spaces and escaped octally.
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 3)
                continue;
            var mountPoint = Unescape(fields[1]);
            // Later lines win at equal length: a mount on top of another hides it.
            if (mountPoint.Length >= bestLength && Contains(mountPoint, directory))
            {
                bestLength = mountPoint.Length;
                bestType = fields[2];
            }
        }
        return bestType;
    }

    private static bool Contains(string mountPoint, string directory)
    {
        if (mountPoint == "/")
            return directory.StartsWith('/');
        var trimmed = mountPoint.TrimEnd('/');
        return directory.StartsWith(trimmed, StringComparison.Ordinal)
            && (directory.Length == trimmed.Length || directory[trimmed.Length] == '/');
    }

    // The kernel writes space, tab, newline and backslash in mount points as \040, \011, \012 and \134.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
            return field;
        var result = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                result.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                result.Append(field[i]);
            }
        }
        return result.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';

    // A symlinked directory lives on its target's file system; resolve the directory itself (its parents are rarely links).
    private static string ResolveLinks(string directory)
    {
        try
        {
            var info = new DirectoryInfo(directory);
            return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
        }
        catch (IOException)
        {
            return directory;
        }
    }

    private static InvalidOperationException NetworkError(string databasePath, string where) => new(
        $"The Pacer database '{databasePath}' is on a network file system ({where}). SQLite's locks and WAL shared memory " +
        "are not reliable there and the database can be corrupted. Put the database on a local disk, or set " +
        "SqliteStoreOptions.AllowNetworkFileSystem = true if you know this file system supports them and only one machine opens the file.");
}

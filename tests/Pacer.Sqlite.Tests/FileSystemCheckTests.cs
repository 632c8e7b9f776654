namespace Pacer.Sqlite.Tests;

public sealed class FileSystemCheckTests
{
    // A trimmed /proc/mounts: local root, a tmpfs, an NFS share, an sshfs mount with a space in its name, a CIFS
    // share mounted over a local directory, and a 9p share (WSL's Windows drives).
    private const string MountTable = """
        overlay / overlay rw,relatime,lowerdir=/l,upperdir=/u,workdir=/w 0 0
        proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
        tmpfs /tmp tmpfs rw,nosuid,nodev 0 0
        /dev/sda1 /srv ext4 rw,relatime 0 0
        nas:/export/jobs /srv/shared nfs4 rw,relatime,vers=4.2 0 0
        me@host:/data /mnt/remote\040data fuse.sshfs rw,nosuid,nodev 0 0
        /dev/sdb1 /mnt/win ext4 rw 0 0
        //server/share /mnt/win cifs rw,vers=3.0 0 0
        drvfs /mnt/c 9p rw,noatime 0 0
        """;

    [Theory]
    [InlineData("/", "overlay")]
    [InlineData("/home/app", "overlay")]
    [InlineData("/tmp", "tmpfs")]
    [InlineData("/tmp/pacer", "tmpfs")]
    [InlineData("/srv", "ext4")]
    [InlineData("/srv/shared", "nfs4")]
    [InlineData("/srv/shared/app/data", "nfs4")]
    [InlineData("/srv/sharedness", "ext4")]
    [InlineData("/mnt/remote data/app", "fuse.sshfs")]
    [InlineData("/mnt/remote", "overlay")]
    [InlineData("/mnt/win/app", "cifs")]
    [InlineData("/mnt/c/Users/me", "9p")]
    public void FindFileSystemType_Directory_TakesTheLongestContainingMount(string directory, string expected)
    {
        Assert.Equal(expected, FileSystemCheck.FindFileSystemType(MountTable, directory));
    }

    [Fact]
    public void FindFileSystemType_EmptyTable_ReturnsNull()
    {
        Assert.Null(FileSystemCheck.FindFileSystemType("", "/srv"));
    }

    [Theory]
    [InlineData("/srv/shared/app", "nfs4")]
    [InlineData("/mnt/remote data", "fuse.sshfs")]
    [InlineData("/mnt/win", "cifs")]
    [InlineData("/mnt/c/jobs", "9p")]
    public void EnsureLocal_NetworkFileSystem_ThrowsNamingPathTypeAndFix(string directory, string type)
    {
        var path = directory + "/pacer.db";

        var error = Assert.Throws<InvalidOperationException>(() => FileSystemCheck.EnsureLocal(path, directory, MountTable));

        Assert.Contains($"'{path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{type}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("local disk", error.Message, StringComparison.Ordinal);
        Assert.Contains("AllowNetworkFileSystem", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/home/app")]
    [InlineData("/tmp")]
    [InlineData("/srv/data")]
    public void EnsureLocal_LocalFileSystem_Passes(string directory)
    {
        FileSystemCheck.EnsureLocal(directory + "/pacer.db", directory, MountTable);
    }

    [Theory]
    [InlineData("nfs")]
    [InlineData("nfs4")]
    [InlineData("cifs")]
    [InlineData("smb3")]
    [InlineData("smbfs")]
    [InlineData("sshfs")]
    [InlineData("fuse.sshfs")]
    [InlineData("9p")]
    [InlineData("afs")]
    [InlineData("glusterfs")]
    [InlineData("ceph")]
    public void IsNetwork_NetworkTypes_AreRecognised(string type)
    {
        Assert.True(FileSystemCheck.IsNetwork(type));
    }

    [Theory]
    [InlineData("ext4")]
    [InlineData("xfs")]
    [InlineData("btrfs")]
    [InlineData("zfs")]
    [InlineData("tmpfs")]
    [InlineData("overlay")]
    [InlineData("apfs")]
    public void IsNetwork_LocalTypes_AreNot(string type)
    {
        Assert.False(FileSystemCheck.IsNetwork(type));
    }
}

namespace Backchannel.Interop.Tests.Harness;

/// <summary>Finds the repository and the peer executables in it.</summary>
internal static class PeerLocator
{
    private const string SolutionFileName = "Backchannel.slnx";

    private static readonly Lazy<string> LazyRepoRoot = new(FindRepoRoot);

    /// <summary>The folder holding <c>Backchannel.slnx</c>, found by walking up from the test assembly.</summary>
    public static string RepoRoot => LazyRepoRoot.Value;

    /// <summary>The executable's path relative to the repository root, as the contract names it.</summary>
    public static string RelativePath(PeerKind kind) => kind switch
    {
        PeerKind.Dotnet => "tests/interop/peer-dotnet/peer",
        PeerKind.Libsignal => "tests/interop/peer-libsignal/peer",
        PeerKind.LibsignalLatest => "tests/interop/peer-libsignal-latest/peer",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static string ExecutablePath(PeerKind kind) =>
        Path.Combine(RepoRoot, RelativePath(kind).Replace('/', Path.DirectorySeparatorChar));

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFileName)))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"No {SolutionFileName} found above {AppContext.BaseDirectory}; the interop tests must run from inside the repository.");
    }
}

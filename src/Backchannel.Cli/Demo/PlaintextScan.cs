using System.Text;

namespace Backchannel.Cli.Demo;

/// <summary>Searches every file under a folder (database, WAL, journal) for byte strings.</summary>
internal static class PlaintextScan
{
    public sealed record Result(int Files, long Bytes, IReadOnlyList<string> Found);

    public static Result Scan(string folder, IEnumerable<string> needles)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToList();
        var contents = new List<byte[]>();
        long total = 0;
        foreach (string file in files)
        {
            // The relay still has the files open; share them.
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            contents.Add(copy.ToArray());
            total += copy.Length;
        }
        var found = new List<string>();
        foreach (string needle in needles)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(needle);
            if (contents.Any(c => c.AsSpan().IndexOf(bytes) >= 0))
            {
                found.Add(needle);
            }
        }
        return new Result(files.Count, total, found);
    }

    public static int Count(string folder, string needle)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(needle);
        int count = 0;
        foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            ReadOnlySpan<byte> span = copy.GetBuffer().AsSpan(0, (int)copy.Length);
            int at;
            while ((at = span.IndexOf(bytes)) >= 0)
            {
                count++;
                span = span[(at + bytes.Length)..];
            }
        }
        return count;
    }
}

using System.Text;

namespace Backchannel.Interop.Tests.Harness;

/// <summary>Plaintexts that are recognisable and distinct.</summary>
internal static class Plaintexts
{
    public static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A numbered message, so a mix-up is visible.</summary>
    public static byte[] Numbered(string label, int index) => Encoding.UTF8.GetBytes($"{label} #{index}");

    public static byte[] Random(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}

using CsCheck;

namespace Backchannel.Protocol.Tests.TestSupport;

/// <summary>
/// Generators of hostile bytes: pure noise, noise behind a plausible first byte, and one to three mutations
/// (flip, insert, delete, truncate) of a valid serialization. Iteration counts keep the project under a minute.
/// </summary>
internal static class Fuzz
{
    internal const int RandomIterations = 20_000;
    internal const int MutationIterations = 20_000;
    internal const int DecryptIterations = 3_000;

    internal static Gen<byte[]> Noise => Gen.Byte.Array[0, 300];

    /// <summary>Noise whose first byte is the valid one half of the time, so parsing gets past the version check.</summary>
    internal static Gen<byte[]> NoiseAfter(byte first) =>
        Gen.Select(Gen.Bool, Gen.Byte.Array[0, 300]).Select(t =>
            t.Item1 && t.Item2.Length > 0 ? [first, .. t.Item2[1..]] : t.Item2);

    internal static Gen<byte[]> Mutations(byte[] valid) =>
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Byte[1, 255]).Array[1, 3].Select(ops => Apply(valid, ops));

    internal static byte[] Apply(byte[] valid, (int Op, int Position, byte Value)[] ops)
    {
        var bytes = new List<byte>(valid);
        foreach (var (op, position, value) in ops)
        {
            var i = bytes.Count == 0 ? 0 : position % bytes.Count;
            switch (op)
            {
                case 0 when bytes.Count > 0: bytes[i] ^= value; break;
                case 1: bytes.Insert(i, value); break;
                case 2 when bytes.Count > 0: bytes.RemoveAt(i); break;
                case 3: bytes.RemoveRange(i, bytes.Count - i); break;
                default: break;
            }
        }
        return [.. bytes];
    }

    /// <summary>Runs the parser; a protocol exception is an accepted outcome, anything else fails the property.</summary>
    internal static void OnlyProtocolExceptions(Action<byte[]> parse, byte[] input)
    {
        try
        {
            parse(input);
        }
        catch (ProtocolException)
        {
            // The one acceptable way to refuse untrusted bytes.
        }
    }

    internal static string Print(byte[] bytes) => Convert.ToHexStringLower(bytes);
}

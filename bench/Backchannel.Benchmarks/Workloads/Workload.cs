namespace Backchannel.Benchmarks.Workloads;

/// <summary>
/// One benchmark workload: what one operation is, and the untimed preparation a batch of operations needs.
/// The same definitions run under BenchmarkDotNet, under <see cref="Harness"/>, and (rewritten in JavaScript with
/// the same names and the same steps) under bench/libsignal/bench.mjs, so the figures are comparable.
/// </summary>
internal abstract class Workload
{
    /// <summary>The 1 KiB plaintext every message workload sends.</summary>
    protected static readonly byte[] Plaintext = CreatePlaintext();

    /// <summary>The workload's name, as printed in tables and RATIO lines.</summary>
    public abstract string Name { get; }

    /// <summary>Readies <paramref name="count"/> operations; not timed.</summary>
    public virtual void Prepare(int count)
    {
    }

    /// <summary>One operation.</summary>
    public abstract void Run();

    /// <summary>Throws when a round trip did not give back the plaintext: a benchmark must not time failures.</summary>
    protected static void Check(byte[] plaintext)
    {
        if (plaintext.Length != Plaintext.Length)
        {
            throw new InvalidOperationException("round trip returned the wrong plaintext");
        }
    }

    private static byte[] CreatePlaintext()
    {
        var bytes = new byte[1024];
        bytes.AsSpan().Fill(0x61);
        return bytes;
    }
}

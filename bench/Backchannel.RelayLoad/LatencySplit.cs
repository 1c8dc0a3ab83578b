using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Backchannel.RelayLoad;

/// <summary>One message due in the window, as its recipient saw it: sender's client index and message index, due time, frame read, decrypted.</summary>
internal readonly record struct Arrival(int Sender, long K, long Due, long Received, long Decrypted);

/// <summary>
/// Where the send → decrypted latency goes, per message (Stopwatch timestamps, one clock for all clients):
/// <list type="bullet">
/// <item>sender queue: due → its batch starts (waiting for the client's previous request or its timer);</item>
/// <item>encrypt: batch start → request sent (the batch's encryption and JSON, and the client's store lock);</item>
/// <item>relay answer: request sent → answered (HTTP, relay receive → commit → response);</item>
/// <item>push: request sent → frame read by the recipient (relay receive → commit → push, and the recipient's
/// receive loop getting to the frame);</item>
/// <item>recipient: frame read → decrypted (parse, the client's store lock, decryption).</item>
/// </list>
/// sender queue + encrypt + push + recipient = the measured latency. Reported as p50 and p99 of each part, and the
/// mean of each part over the slowest 1% of messages (what the tail is made of).
/// </summary>
internal sealed class LatencySplit
{
    private static readonly string[] Parts = ["sender queue", "encrypt", "relay answer", "push", "recipient", "total"];

    private readonly double[][] _ms;
    private readonly double[] _tailMeans;

    private LatencySplit(double[][] ms, double[] tailMeans)
    {
        _ms = ms;
        _tailMeans = tailMeans;
    }

    public static LatencySplit Compute(IEnumerable<Arrival> arrivals, IReadOnlyList<SimClient> clients)
    {
        var rows = new List<double[]>();
        double toMs = 1000.0 / Stopwatch.Frequency;
        foreach (Arrival a in arrivals)
        {
            if (a.Sender < 0 || a.Sender >= clients.Count)
            {
                continue;
            }

            (long started, long posted, long answered) = clients[a.Sender].SendTimes(a.K);
            if (posted == 0)
            {
                continue;
            }

            rows.Add([
                (started - a.Due) * toMs, (posted - started) * toMs, answered == 0 ? double.NaN : (answered - posted) * toMs,
                (a.Received - posted) * toMs, (a.Decrypted - a.Received) * toMs, (a.Decrypted - a.Due) * toMs]);
        }

        var ms = new double[Parts.Length][];
        for (int p = 0; p < Parts.Length; p++)
        {
            ms[p] = rows.Select(r => r[p]).Where(v => !double.IsNaN(v)).Order().ToArray();
        }

        var tailMeans = new double[Parts.Length];
        if (rows.Count > 0)
        {
            double cut = Quantile(ms[^1], 0.99);
            var tail = rows.Where(r => r[^1] >= cut).ToList();
            for (int p = 0; p < Parts.Length; p++)
            {
                tailMeans[p] = tail.Select(r => r[p]).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Average();
            }
        }

        return new LatencySplit(ms, tailMeans);
    }

    private static double Quantile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1))];

    /// <summary>One comment line per part: p50, p99, and the mean over the slowest 1%.</summary>
    public string Lines()
    {
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"# latency split (ms): part: p50 / p99 / mean over the slowest 1% ({_ms[^1].Length} messages)\n");
        for (int p = 0; p < Parts.Length; p++)
        {
            b.Append(CultureInfo.InvariantCulture, $"#   {Parts[p]}: {Quantile(_ms[p], 0.5):F1} / {Quantile(_ms[p], 0.99):F1} / {_tailMeans[p]:F1}\n");
        }

        return b.ToString().TrimEnd('\n');
    }

    public JsonObject Json()
    {
        var o = new JsonObject();
        for (int p = 0; p < Parts.Length; p++)
        {
            o[Parts[p].Replace(' ', '_')] = new JsonObject
            {
                ["p50Ms"] = Num(Quantile(_ms[p], 0.5)),
                ["p99Ms"] = Num(Quantile(_ms[p], 0.99)),
                ["slowest1PercentMeanMs"] = Num(_tailMeans[p]),
            };
        }

        return o;
    }

    private static JsonNode? Num(double v) => double.IsNaN(v) ? null : JsonValue.Create(Math.Round(v, 2));
}

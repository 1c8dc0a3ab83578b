using System.Globalization;
using BenchmarkDotNet.Running;
using Backchannel.Benchmarks;

// `compare [--quick]` is what bench/compare runs (Compare.cs). `harness [--quick] [workload…]` runs only our side
// under the Stopwatch harness (handy under a profiler). Anything else goes to BenchmarkDotNet's switcher,
// e.g. `--filter '*'` or `--filter '*Messaging*' --job short`.
if (args.Length > 0 && args[0] == "compare")
{
    return Compare.Run(args[1..]);
}
if (args.Length > 0 && args[0] == "harness")
{
    var options = args.Contains("--quick") ? HarnessOptions.Quick : HarnessOptions.Full;
    var names = args[1..].Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToHashSet();
    foreach (var factory in Harness.All)
    {
        var workload = factory();
        if (names.Count == 0 || names.Contains(workload.Name))
        {
            var result = Harness.Measure(workload, options);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Workload}: {result.OpsPerSec:F1} ops/s, {result.AllocatedBytesPerOp:F0} B/op"));
        }
    }
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(Compare).Assembly).Run(args);
return 0;

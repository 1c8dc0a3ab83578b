using Backchannel.Fuzzing;

// Not "...Tests.Fuzz": a namespace of that name would hide TestSupport.Fuzz from the files of this project.
namespace Backchannel.Protocol.Tests.FuzzCorpus;

/// <summary>
/// Replays the committed fuzz corpus (fuzz/corpus) and every crash the fuzzer found (fuzz/crashes) through the
/// same target code that fuzz/run.sh runs under AFL, so CI keeps every past finding fixed. An input may be
/// accepted or refused with one of its target's typed errors; anything else fails.
/// </summary>
public sealed class CorpusReplayTests
{
    private static readonly string FuzzDirectory = Path.Combine(AppContext.BaseDirectory, "fuzz");

    public static TheoryData<string> Targets() => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_corpus_and_crash_file_yields_a_result_or_a_typed_error(string name)
    {
        var target = FuzzTargets.Get(name);
        var files = Files("corpus", name).Concat(Files("crashes", name)).ToList();
        Assert.NotEmpty(files);

        var failures = new List<string>();
        foreach (var file in files)
        {
            try
            {
                target.Execute(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetRelativePath(FuzzDirectory, file)}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"inputs that escaped the typed errors of {name}:\n" + string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Seeds_made_with_the_fixture_are_accepted(string name)
    {
        // The seeds start the fuzzer past MACs and signatures only while they match fuzz/fixture/receiver.json.
        var target = FuzzTargets.Get(name);
        var seeds = Files("corpus", name).Where(f => Path.GetFileName(f).StartsWith("seed-", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(seeds);
        foreach (var seed in seeds.Where(f => !Path.GetFileName(f).StartsWith("seed-refused-", StringComparison.Ordinal)))
        {
            var error = target.Execute(File.ReadAllBytes(seed));
            Assert.True(error is null, $"{name}/{Path.GetFileName(seed)} was refused: {error?.GetType().Name}: {error?.Message}");
        }
    }

    [Fact]
    public void A_target_returns_its_typed_errors_and_lets_every_other_exception_escape()
    {
        // The replay is only as good as this: a crash is never swallowed as a typed error.
        var refusing = new FuzzTarget("t", "refuses", _ => throw new InvalidMessageException("bad"), typeof(ProtocolException));
        var crashing = new FuzzTarget("t", "crashes", _ => throw new IndexOutOfRangeException(), typeof(ProtocolException));
        Assert.IsType<InvalidMessageException>(refusing.Execute([1]));
        Assert.Throws<IndexOutOfRangeException>(() => crashing.Execute([1]));
        Assert.IsType<InvalidKeyException>(FuzzTargets.Get("key").Execute([0, 1, 2, 3]));
    }

    private static IEnumerable<string> Files(string kind, string target)
    {
        var directory = Path.Combine(FuzzDirectory, kind, target);
        return Directory.Exists(directory) ? Directory.GetFiles(directory).Order(StringComparer.Ordinal) : [];
    }
}

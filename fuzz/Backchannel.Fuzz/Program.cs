using Backchannel.Fuzzing;
using SharpFuzz;

// Usage:
//   Backchannel.Fuzz list                         the targets
//   Backchannel.Fuzz seed FUZZ_DIR                a new fixture and valid seeds under FUZZ_DIR
//   Backchannel.Fuzz replay TARGET PATH...        runs files (or folders of files) once; exit 1 on a crash
//   Backchannel.Fuzz TARGET                       the SharpFuzz side of `afl-fuzz ... -- dotnet Backchannel.Fuzz.dll TARGET`
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Backchannel.Fuzz list | seed FUZZ_DIR | replay TARGET PATH... | TARGET");
    return 2;
}

switch (args[0])
{
    case "list":
        foreach (var t in FuzzTargets.All)
        {
            Console.WriteLine($"{t.Name,-24} {t.Description}");
        }
        return 0;

    case "seed":
        SeedWriter.Write(args.Length > 1 ? args[1] : ".");
        return 0;

    case "replay":
    {
        var target = FuzzTargets.Get(args[1]);
        var files = args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order(StringComparer.Ordinal);
        var crashes = 0;
        foreach (var file in files)
        {
            try
            {
                var error = target.Execute(File.ReadAllBytes(file));
                Console.WriteLine($"{Path.GetFileName(file)}: {(error is null ? "accepted" : error.GetType().Name + ": " + error.Message)}");
            }
            catch (Exception e)
            {
                crashes++;
                Console.WriteLine($"{Path.GetFileName(file)}: CRASH {e}");
            }
        }
        return crashes == 0 ? 0 : 1;
    }

    default:
    {
        var target = FuzzTargets.Get(args[0]);
        // Nothing may run instrumented code before Fuzzer.OutOfProcess.Run: the coverage map exists only inside it.
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target.Execute(buffer.ToArray());
        });
        return 0;
    }
}

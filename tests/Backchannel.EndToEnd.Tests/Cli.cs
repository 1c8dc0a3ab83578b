using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Backchannel.EndToEnd.Tests;

/// <summary>
/// The built <c>backchannel</c> executable: found by walking up to Backchannel.slnx and looking in
/// src/Backchannel.Cli/bin/&lt;Configuration&gt;/net10.0/ (this test build's configuration first), built once if missing.
/// </summary>
internal static class Cli
{
    private static readonly Lazy<string> Dll = new(Locate, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string DllPath => Dll.Value;

    public sealed record Result(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
    {
        public IReadOnlyList<JsonObject> JsonLines =>
            [.. Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(l => JsonNode.Parse(l)!.AsObject())];

        public JsonObject Single
        {
            get
            {
                Assert.True(JsonLines.Count == 1, $"expected one JSON line, got:\n{Stdout}\nstderr:\n{Stderr}");
                return JsonLines[0];
            }
        }

        public Result Ok()
        {
            Assert.True(ExitCode == 0, $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            return this;
        }
    }

    public static ProcessStartInfo StartInfo(IEnumerable<string> args, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        psi.ArgumentList.Add(DllPath);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment.Remove("BACKCHANNEL_HOME");
        psi.Environment.Remove("BACKCHANNEL_PASSPHRASE");
        psi.Environment.Remove("BACKCHANNEL_NEW_PASSPHRASE");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return psi;
    }

    /// <summary>Runs one command to completion (killed and failed after <paramref name="timeout"/>).</summary>
    public static async Task<Result> RunAsync(IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null,
        IDictionary<string, string>? environment = null)
    {
        ProcessStartInfo psi = StartInfo(args);
        if (environment is not null)
        {
            foreach ((string k, string v) in environment)
            {
                psi.Environment[k] = v;
            }
        }
        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"backchannel {string.Join(' ', args)} did not finish in time.\nstderr:\n{await stderr}");
        }
        return new Result(process.ExitCode, await stdout, await stderr, clock.Elapsed);
    }

    public static Task<Result> RunAsync(params string[] args) => RunAsync((IEnumerable<string>)args);

    private static string Locate()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Backchannel.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        Assert.True(dir is not null, "Backchannel.slnx not found above " + AppContext.BaseDirectory);
        // This test assembly lives in tests/…/bin/<Configuration>/net10.0/.
        string own = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar))!);
        string[] configurations = [own, "Release", "Debug"];
        foreach (string configuration in configurations.Distinct())
        {
            string candidate = Path.Combine(dir, "src", "Backchannel.Cli", "bin", configuration, "net10.0", "backchannel.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        var build = new ProcessStartInfo("dotnet", ["build", Path.Combine(dir, "src", "Backchannel.Cli"), "-c", own, "-nologo", "-v", "q"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process p = Process.Start(build)!;
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
        }
        string built = Path.Combine(dir, "src", "Backchannel.Cli", "bin", own, "net10.0", "backchannel.dll");
        Assert.True(File.Exists(built), "Could not build the CLI:\n" + output.Result);
        return built;
    }

    public static string Text(this JsonObject o, string key) => o[key]!.GetValue<string>();

    public static string Format(JsonObject o) => o.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}

using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Backchannel.Reliability.Tests;

/// <summary>
/// A whole session with the relay logging at Trace (<c>--log-level Trace</c>, framework included) and every client output captured; no
/// plaintext, key material or credential may appear in any log, and no plaintext in any file the relay keeps.
/// Each secret is searched as raw bytes, base64 (standard and url-safe, every alignment) and hex (both cases).
/// </summary>
public sealed class LeakScanTests(ITestOutputHelper output) : ReliabilityTestBase
{
    [Fact]
    public async Task No_plaintext_key_or_credential_in_logs_and_no_plaintext_in_relay_files()
    {
        // `--log-level Trace` lowers every category, the framework's per-request ones included (asserted below).
        RelayProcess relay = await StartRelayAsync(logLevel: "Trace");
        var clientOutput = new StringBuilder();
        async Task<Cli.Result> Run(Party p, params string[] args)
        {
            Cli.Result r = await p.RunAsync(args);
            clientOutput.Append(r.Stdout).Append(r.Stderr);
            return r.Ok();
        }

        var east = new Party("east", Path.Combine(Root, "east"));
        var west = new Party("west", Path.Combine(Root, "west"));
        await Run(east, "init", "--name", "east", "--relay", relay.Url);
        await Run(west, "init", "--name", "west", "--relay", relay.Url);
        string invite = (await Run(east, "invite")).Single.Text("invite");
        await Run(west, "accept", invite, "--alias", "east");
        await Run(east, "sync");
        var plaintexts = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            string toWest = $"PLAINTEXT-east-to-west-{i}-{Guid.NewGuid():N}";
            string toEast = $"PLAINTEXT-west-to-east-{i}-{Guid.NewGuid():N}";
            plaintexts.Add(toWest);
            plaintexts.Add(toEast);
            await Run(east, "send", "west", toWest, "--topic", "relations");
            await Run(west, "send", "east", toEast);
        }
        List<string> gotWest = [.. (await Run(west, "sync")).JsonLines.Select(o => o.Text("text"))];
        List<string> gotEast = [.. (await Run(east, "sync")).JsonLines.Select(o => o.Text("text"))];
        Assert.Equal(5, gotWest.Count);
        Assert.Equal(5, gotEast.Count);
        await Run(east, "verify", "west", "--confirm");
        await Run(west, "verify", "east", "--confirm");
        await Run(east, "contacts");
        await Run(west, "read");

        // Secrets: plaintexts, the clients' identity private keys and key pairs, their relay credentials (and the
        // Basic authorization value built from them), the relay's trust-root and server private keys.
        var secrets = new List<(string Name, byte[] Bytes)>();
        secrets.AddRange(plaintexts.Select(t => ("plaintext " + t[..24], Encoding.UTF8.GetBytes(t))));
        foreach (Party p in new[] { east, west })
        {
            StoreSecrets s = StoreSecrets.Read(p.Home);
            secrets.Add(($"{p.Name} identity private key", s.IdentityPrivateKey));
            secrets.Add(($"{p.Name} identity key pair", s.IdentityKeyPair));
            secrets.Add(($"{p.Name} credential", Encoding.UTF8.GetBytes(s.Credential)));
            secrets.Add(($"{p.Name} credential bytes", FromBase64Url(s.Credential)));
            secrets.Add(($"{p.Name} basic auth", Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{s.Account}.{s.Device}:{s.Credential}")))));
        }
        foreach (string keyFile in new[] { "trust-root.key", "server.key" })
        {
            string path = Path.Combine(relay.DataDirectory, keyFile);
            Assert.True(File.Exists(path), keyFile + " missing");
            byte[] key = File.ReadAllBytes(path);
            Assert.True(key.Length >= 32);
            secrets.Add(("relay " + keyFile, key));
        }

        relay.KillHard(); // all of its output is in; its files stay as a crash leaves them (db, -wal, -shm)
        await Task.Delay(500);
        string relayLog = relay.Log;
        Assert.Contains("dbug:", relayLog, StringComparison.Ordinal); // really verbose
        Assert.Contains("trce:", relayLog, StringComparison.Ordinal);
        // The framework's per-request lines (hosting, routing, authentication) are in, not capped at Warning.
        Assert.Contains("Microsoft.AspNetCore.Hosting.Diagnostics", relayLog, StringComparison.Ordinal);
        Assert.Contains("Microsoft.AspNetCore.Routing", relayLog, StringComparison.Ordinal);
        Assert.Contains("Backchannel.Relay.Auth.BasicAuthenticationHandler", relayLog, StringComparison.Ordinal);
        int debugLines = relayLog.Split('\n').Count(l => l.StartsWith("dbug:", StringComparison.Ordinal) || l.StartsWith("trce:", StringComparison.Ordinal));

        long scanned = 0;
        var findings = new List<string>();
        void Scan(string what, byte[] haystack, IEnumerable<(string Name, byte[] Bytes)> needles)
        {
            scanned += haystack.Length;
            foreach ((string name, byte[] bytes) in needles)
            {
                foreach ((string form, byte[] pattern) in Forms(bytes))
                {
                    if (haystack.AsSpan().IndexOf(pattern) >= 0)
                    {
                        findings.Add($"{name} ({form}) in {what}");
                    }
                }
            }
        }

        Scan("relay log", Encoding.UTF8.GetBytes(relayLog), secrets);
        Scan("client output", Encoding.UTF8.GetBytes(clientOutput.ToString()), secrets.Where(s => !s.Name.StartsWith("plaintext", StringComparison.Ordinal)));
        int relayFiles = 0;
        foreach (string file in Directory.EnumerateFiles(relay.DataDirectory, "*", SearchOption.AllDirectories))
        {
            relayFiles++;
            Scan("relay file " + Path.GetFileName(file), File.ReadAllBytes(file), secrets.Where(s => s.Name.StartsWith("plaintext", StringComparison.Ordinal)));
        }
        // The clients' own stores keep everything sealed at rest (no passphrase here: the key is in store.key, which
        // holds none of these secrets), so no secret may appear in any of their files either.
        int clientFiles = 0;
        foreach (Party p in new[] { east, west })
        {
            foreach (string file in Directory.EnumerateFiles(p.Home, "*", SearchOption.AllDirectories))
            {
                clientFiles++;
                Scan($"{p.Name}'s file {Path.GetFileName(file)}", File.ReadAllBytes(file), secrets);
            }
        }
        // Sanity: the scanner finds what it should (the plaintexts are in the client output).
        Assert.Contains(plaintexts[0], clientOutput.ToString(), StringComparison.Ordinal);
        Assert.True(clientFiles >= 4, $"only {clientFiles} client files");

        Assert.True(findings.Count == 0, string.Join("\n", findings));
        output.WriteLine($"RESULT scanned={scanned} bytes (relay log {relayLog.Length} chars with {debugLines} debug/trace lines, client output {clientOutput.Length} chars, " +
            $"{relayFiles} relay files, {clientFiles} client files) secrets={secrets.Count} forms-per-secret={Forms(secrets[0].Bytes).Count()}");
    }

    private static byte[] FromBase64Url(string s)
    {
        string b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + ((4 - (b.Length % 4)) % 4), '='));
    }

    /// <summary>Raw, hex (lower/upper) and base64/base64url of the secret at each of the three alignments (without the partial edges).</summary>
    private static IEnumerable<(string Form, byte[] Pattern)> Forms(byte[] secret)
    {
        yield return ("raw", secret);
        yield return ("hex", Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret)));
        yield return ("HEX", Encoding.ASCII.GetBytes(Convert.ToHexString(secret)));
        for (int shift = 0; shift < 3; shift++)
        {
            byte[] part = secret[shift..];
            part = part[..(part.Length / 3 * 3)];
            if (part.Length < 12)
            {
                continue;
            }
            string b64 = Convert.ToBase64String(part);
            yield return ($"base64+{shift}", Encoding.ASCII.GetBytes(b64));
            yield return ($"base64url+{shift}", Encoding.ASCII.GetBytes(b64.Replace('+', '-').Replace('/', '_')));
        }
    }
}

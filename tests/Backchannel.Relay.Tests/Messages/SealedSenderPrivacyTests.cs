using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Tests.Messages;

/// <summary>What the relay keeps and logs of a sealed send, read straight from its SQLite files and its log.</summary>
public sealed class SealedSenderPrivacyTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bc-relay-sealed-" + Guid.NewGuid().ToString("N"));
    private readonly CapturedLog _log = new();
    private RelayServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = RelayServer.Build(new RelayOptions
        {
            Urls = ["http://127.0.0.1:0"],
            DataDirectory = _directory,
            HandleProcessSignals = false,
            ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(_log),
        });
        _http = new HttpClient { BaseAddress = new Uri((await _server.StartAsync())[0]) };
    }

    [Fact]
    public async Task Neither_the_database_files_nor_the_log_hold_the_sender_of_a_sealed_message()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        RelayClient sender = await new RelayClient(_http).RegisterAsync();
        RelayClient recipient = await new RelayClient(_http).RegisterAsync(accessKey: key);
        await sender.GetJsonAsync("/v1/keys/count"); // the sender is an ordinary, active account
        byte[] senderId = Encoding.ASCII.GetBytes(sender.Account);
        byte[] senderHash = SHA256.HashData(Encoding.UTF8.GetBytes(sender.Credential));
        int before = CountInDatabaseFiles(senderId);
        Assert.True(before > 0, "the sender's own account row is in the file");

        string[] ids = [.. Enumerable.Range(0, 20).Select(_ => RelayClient.NewId())];
        using (HttpResponseMessage sent = await SealedSendTests.SendSealedAsync(_http, key, [.. ids.Select(id => RelayClient.Message(id, recipient.Account, 1, RandomNumberGenerator.GetBytes(300)))]))
        {
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }

        // Bytes: no new copy of the sender's id anywhere (relay.db and relay.db-wal), and no page holding a sealed
        // message holds the sender's id, credential or credential hash.
        Assert.Equal(before, CountInDatabaseFiles(senderId));
        foreach (byte[] page in Pages())
        {
            if (ids.Any(id => Contains(page, Encoding.ASCII.GetBytes(id))))
            {
                Assert.False(Contains(page, senderId), "a page with a sealed message names the sender");
                Assert.False(Contains(page, senderHash), "a page with a sealed message holds the sender's credential hash");
                Assert.False(Contains(page, Encoding.ASCII.GetBytes(sender.Credential)));
            }
        }

        Assert.Equal(0, CountInDatabaseFiles(Encoding.ASCII.GetBytes(sender.Credential)));

        // SQL: every row that mentions a sealed message mentions nothing of the sender.
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "relay.db")};Mode=ReadOnly;Pooling=False"))
        {
            await connection.OpenAsync();
            int rows = 0;
            foreach (string table in await TablesAsync(connection))
            {
                await using SqliteCommand select = connection.CreateCommand();
                select.CommandText = $"SELECT * FROM \"{table}\";";
                await using SqliteDataReader reader = await select.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    object[] values = new object[reader.FieldCount];
                    reader.GetValues(values);
                    string[] texts = [.. values.Select(v => v is byte[] b ? Convert.ToHexString(b) : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "")];
                    if (texts.Any(t => ids.Contains(t)))
                    {
                        rows++;
                        Assert.DoesNotContain(sender.Account, texts);
                        Assert.DoesNotContain(Convert.ToHexString(senderHash), texts);
                        Assert.True(reader.IsDBNull(reader.GetOrdinal("source")));
                        Assert.True(reader.IsDBNull(reader.GetOrdinal("source_device")));
                        Assert.Equal(1L, reader.GetInt64(reader.GetOrdinal("sealed")));
                    }
                }
            }

            Assert.Equal(ids.Length, rows);
        }

        // The log: written at Trace, nothing of the sender in it.
        string log = _log.Text;
        Assert.Contains("sealed", log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(sender.Account, log, StringComparison.Ordinal);
        Assert.DoesNotContain(sender.Credential, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(key), log, StringComparison.Ordinal);
    }

    private int CountInDatabaseFiles(byte[] needle) =>
        DatabaseFiles().Sum(file => Occurrences(ReadShared(file), needle));

    private IEnumerable<string> DatabaseFiles() =>
        new[] { "relay.db", "relay.db-wal", "relay.db-journal" }.Select(f => Path.Combine(_directory, f)).Where(File.Exists);

    /// <summary>Every page of relay.db and every frame's page of relay.db-wal (SQLite file formats, sections 1.3 and 4.1).</summary>
    private IEnumerable<byte[]> Pages()
    {
        byte[] db = ReadShared(Path.Combine(_directory, "relay.db"));
        int pageSize = (db[16] << 8) | db[17];
        pageSize = pageSize == 1 ? 65536 : pageSize;
        for (int offset = 0; offset + pageSize <= db.Length; offset += pageSize)
        {
            yield return db[offset..(offset + pageSize)];
        }

        string walPath = Path.Combine(_directory, "relay.db-wal");
        if (File.Exists(walPath))
        {
            byte[] wal = ReadShared(walPath);
            for (int offset = 32; offset + 24 + pageSize <= wal.Length; offset += 24 + pageSize)
            {
                yield return wal[(offset + 24)..(offset + 24 + pageSize)];
            }
        }
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static async Task<List<string>> TablesAsync(SqliteConnection connection)
    {
        await using SqliteCommand list = connection.CreateCommand();
        list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%';";
        var tables = new List<string>();
        await using SqliteDataReader reader = await list.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    private static int Occurrences(byte[] haystack, byte[] needle)
    {
        int count = 0;
        for (int i = haystack.AsSpan().IndexOf(needle); i >= 0; count++)
        {
            int next = haystack.AsSpan(i + 1).IndexOf(needle);
            i = next < 0 ? -1 : i + 1 + next;
        }

        return count;
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

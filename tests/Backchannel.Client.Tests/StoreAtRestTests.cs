using System.Security.Cryptography;
using System.Text;
using Backchannel.Client.Storage;
using Backchannel.Client.Storage.AtRest;
using Microsoft.Data.Sqlite;

namespace Backchannel.Client.Tests;

/// <summary>The client's store at rest: sealed values, the key file, the passphrase, and stores from before sealing.</summary>
public sealed class StoreAtRestTests
{
    private const string Passphrase = "the New York channel, 1995";

    private static readonly string[] Texts = ["release of the two detained journalists", "ambassadorial talks in Geneva"];
    private static readonly string[] Topics = ["detainees-xq", "relations-zv"];

    [Fact]
    public async Task A_protected_store_holds_no_plaintext_key_or_access_key_bytes_in_any_of_its_files()
    {
        await using Scenario s = await Scenario.StartAsync();
        BackchannelClient east = OpenWith(s, "east", Passphrase);
        await east.InitAsync("east", s.Relay.Url);
        BackchannelClient west = await s.NewAsync("west");
        await west.AcceptAsync(east.CreateInvite());
        await east.SyncAsync();
        await east.SendAsync("west", Texts[0], Topics[0]);
        await west.SyncAsync();
        await west.SendAsync("east", Texts[1], Topics[1]);
        Assert.Equal(Texts[1], Assert.Single(await east.SyncAsync()).Text);
        Assert.True(east.IsPassphraseProtected);

        List<(string What, byte[] Bytes)> secrets = SecretsOf(s.HomeOf("east"), Passphrase);
        Assert.True(secrets.Count >= 6, $"only {secrets.Count} secrets found to look for");
        string[] whileOpen = Scan(s.HomeOf("east"), secrets);
        east.Dispose();
        SqliteConnection.ClearAllPools();
        string[] afterClose = Scan(s.HomeOf("east"), secrets);

        Assert.Empty(whileOpen);
        Assert.Empty(afterClose);
        // Without a passphrase the history is sealed too (its key sits in store.key).
        Assert.Empty(Scan(s.HomeOf("west"), secrets.Where(x => x.What.StartsWith("text", StringComparison.Ordinal)).ToList()));
    }

    [Fact]
    public async Task Reopening_needs_the_passphrase_and_a_missing_or_wrong_one_changes_nothing()
    {
        await using Scenario s = await Scenario.StartAsync();
        string home = s.HomeOf("east");
        using (BackchannelClient east = BackchannelClient.Open(home, new ClientOpenOptions { Passphrase = _ => Passphrase }))
        {
            await east.InitAsync("east", s.Relay.Url);
        }
        SqliteConnection.ClearAllPools();
        Dictionary<string, byte[]> before = FileHashes(home);

        var required = Assert.Throws<BackchannelException>(() => BackchannelClient.Open(home));
        Assert.Equal(ErrorKinds.PassphraseRequired, required.Kind);
        var wrong = Assert.Throws<BackchannelException>(() => BackchannelClient.Open(home, new ClientOpenOptions { Passphrase = _ => "not it" }));
        Assert.Equal(ErrorKinds.WrongPassphrase, wrong.Kind);
        Assert.DoesNotContain(Passphrase, wrong.Message, StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
        Assert.Equal(before, FileHashes(home));

        var asked = new List<PassphrasePurpose>();
        using BackchannelClient again = BackchannelClient.Open(home, new ClientOpenOptions { Passphrase = p => { asked.Add(p); return Passphrase; } });
        Assert.Equal([PassphrasePurpose.Unlock], asked);
        Assert.Equal("east", again.Account.Name);
    }

    [Fact]
    public async Task The_passphrase_can_be_set_changed_and_removed_without_touching_the_data()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        await west.SendAsync("east", Texts[0], Topics[0]);
        await east.SyncAsync();
        string home = s.HomeOf("east");
        Assert.False(east.IsPassphraseProtected);
        east.SetPassphrase("first");
        Assert.True(east.IsPassphraseProtected);
        east.Dispose();

        using (BackchannelClient reopened = BackchannelClient.Open(home, new ClientOpenOptions { Passphrase = _ => "first" }))
        {
            Assert.Equal(Texts[0], Assert.Single(reopened.Read("west")).Text);
            reopened.SetPassphrase("second");
        }
        Assert.Equal(ErrorKinds.WrongPassphrase,
            Assert.Throws<BackchannelException>(() => BackchannelClient.Open(home, new ClientOpenOptions { Passphrase = _ => "first" })).Kind);
        using (BackchannelClient reopened = BackchannelClient.Open(home, new ClientOpenOptions { Passphrase = _ => "second" }))
        {
            reopened.SetPassphrase(null);
        }
        using BackchannelClient plain = BackchannelClient.Open(home);
        Assert.False(plain.IsPassphraseProtected);
        Assert.Equal(Texts[0], Assert.Single(plain.Read("west", Topics[0])).Text);
        await west.SendAsync("east", Texts[1]);
        Assert.Equal(Texts[1], Assert.Single(await plain.SyncAsync()).Text);
    }

    [Fact]
    public async Task A_store_written_before_sealing_is_sealed_in_place_on_first_open_and_keeps_working()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        await east.SendAsync("west", Texts[0], Topics[0]);
        await west.SyncAsync();
        await west.SendAsync("east", Texts[1], Topics[1]);
        await east.SyncAsync();
        east.Dispose();
        string home = s.HomeOf("east");
        UnsealEverything(home);
        Assert.NotEmpty(Scan(home, [("text", Encoding.UTF8.GetBytes(Texts[0]))])); // the legacy file does hold plaintext

        using BackchannelClient reopened = BackchannelClient.Open(home);
        SqliteConnection.ClearAllPools();
        Assert.Empty(Scan(home, [("text 0", Encoding.UTF8.GetBytes(Texts[0])), ("text 1", Encoding.UTF8.GetBytes(Texts[1])),
            ("topic 0", Encoding.UTF8.GetBytes(Topics[0]))]));
        Assert.Equal(Texts, reopened.Read("west").Select(m => m.Text));
        Assert.Equal([Texts[1]], reopened.Read("west", Topics[1]).Select(m => m.Text));
        await reopened.SendAsync("west", "after sealing");
        Assert.Equal("after sealing", Assert.Single(await west.SyncAsync()).Text);
        await west.SendAsync("east", "and back");
        Assert.Equal("and back", Assert.Single(await reopened.SyncAsync()).Text);
    }

    [Fact]
    public async Task Several_processes_opening_an_unsealed_store_at_once_seal_it_once_under_one_key()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        await west.SendAsync("east", Texts[0], Topics[0]);
        await east.SyncAsync();
        east.Dispose();
        string home = s.HomeOf("east");
        UnsealEverything(home);

        // As a `watch` and a `send` started together after an upgrade: separate connections, so SQLite's locks decide.
        using var start = new Barrier(4);
        BackchannelClient[] opened = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return BackchannelClient.Open(home);
        })));
        try
        {
            Assert.All(opened, c => Assert.Equal(Texts[0], Assert.Single(c.Read("west", Topics[0])).Text));
        }
        finally
        {
            foreach (BackchannelClient c in opened)
            {
                c.Dispose();
            }
        }
        using BackchannelClient again = BackchannelClient.Open(home);
        Assert.Equal(Texts[0], Assert.Single(again.Read("west")).Text);
        await west.SendAsync("east", Texts[1]);
        Assert.Equal(Texts[1], Assert.Single(await again.SyncAsync()).Text);
    }

    [Fact]
    public async Task A_missing_or_foreign_key_file_and_an_altered_value_are_StoreUnreadable()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        await west.SendAsync("east", Texts[0]);
        await east.SyncAsync();
        east.Dispose();
        west.Dispose();
        SqliteConnection.ClearAllPools();
        string home = s.HomeOf("east");
        string keyFile = StoreKeyFile.PathIn(home);
        byte[] ownKey = File.ReadAllBytes(keyFile);

        File.Delete(keyFile);
        Assert.Equal(ErrorKinds.StoreUnreadable, Assert.Throws<BackchannelException>(() => BackchannelClient.Open(home)).Kind);
        Assert.False(File.Exists(keyFile)); // not silently replaced by a new key

        File.Copy(StoreKeyFile.PathIn(s.HomeOf("west")), keyFile);
        Assert.Equal(ErrorKinds.StoreUnreadable, Assert.Throws<BackchannelException>(() => BackchannelClient.Open(home)).Kind);
        SqliteConnection.ClearAllPools();

        File.WriteAllBytes(keyFile, ownKey);
        using (var db = new SqliteConnection($"Data Source={Path.Combine(home, LocalStore.FileName)};Pooling=False"))
        {
            db.Open();
            using SqliteCommand flip = db.CreateCommand();
            // Flip one ciphertext byte of the stored message text (byte 14 is past the version byte and nonce).
            flip.CommandText = "UPDATE messages SET text = substr(text, 1, 14) || CAST(X'00' AS BLOB) || substr(text, 16) WHERE direction = 'in'";
            Assert.Equal(1, flip.ExecuteNonQuery());
        }
        using BackchannelClient altered = BackchannelClient.Open(home);
        Assert.Equal(ErrorKinds.StoreUnreadable, Assert.Throws<BackchannelException>(() => altered.Read("west")).Kind);
    }

    private static BackchannelClient OpenWith(Scenario s, string name, string passphrase)
    {
        // Scenario.Open has no passphrase; the client is disposed by the test.
        return BackchannelClient.Open(s.HomeOf(name), new ClientOpenOptions { Passphrase = _ => passphrase });
    }

    /// <summary>What must not appear on disk: message texts and topics, the identity private key, the access key, every one-time prekey's private half.</summary>
    private static List<(string What, byte[] Bytes)> SecretsOf(string home, string passphrase)
    {
        var secrets = new List<(string, byte[])>();
        secrets.AddRange(Texts.Select((t, i) => ($"text {i}", Encoding.UTF8.GetBytes(t))));
        secrets.AddRange(Topics.Select((t, i) => ($"topic {i}", Encoding.UTF8.GetBytes(t))));
        using LocalStore store = LocalStore.Open(home, _ => passphrase);
        var identity = Backchannel.Protocol.IdentityKeyPair.Deserialize(store.GetMeta(MetaKeys.IdentityKeyPair)!);
        secrets.Add(("identity private key", identity.PrivateKey.Serialize()));
        secrets.Add(("access key", store.GetMeta(MetaKeys.AccessKey)!));
        secrets.Add(("credential", store.GetMeta(MetaKeys.Credential)!));
        foreach (object sealedRecord in store.Query("SELECT record FROM prekeys LIMIT 5", r => r.GetValue(0)))
        {
            var prekey = Backchannel.Protocol.PreKeyRecord.Deserialize(store.Unseal("prekeys.record", sealedRecord)!);
            secrets.Add(($"prekey {prekey.Id}", prekey.KeyPair.PrivateKey.Serialize()));
        }
        return secrets;
    }

    /// <summary>Names of the secrets found in any file of <paramref name="home"/> (database, WAL, shared memory, key file).</summary>
    private static string[] Scan(string home, IReadOnlyList<(string What, byte[] Bytes)> secrets)
    {
        var found = new List<string>();
        foreach (string file in Directory.GetFiles(home))
        {
            byte[] content;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                content = copy.ToArray();
            }
            foreach ((string what, byte[] bytes) in secrets)
            {
                if (content.AsSpan().IndexOf(bytes) >= 0)
                {
                    found.Add($"{what} in {Path.GetFileName(file)}");
                }
            }
        }
        return [.. found];
    }

    private static Dictionary<string, byte[]> FileHashes(string home) =>
        Directory.GetFiles(home).ToDictionary(f => Path.GetFileName(f), f => SHA256.HashData(File.ReadAllBytes(f)));

    /// <summary>Turns a sealed store back into the layout written before sealing: plaintext values, no check, no key file.</summary>
    private static void UnsealEverything(string home)
    {
        SqliteConnection.ClearAllPools();
        using (LocalStore store = LocalStore.Open(home))
        {
            store.Transaction(() =>
            {
                foreach ((string key, object value) in store.Query("SELECT key, value FROM meta", r => (r.GetString(0), r.GetValue(1))))
                {
                    store.Execute("UPDATE meta SET value = $v WHERE key = $k", ("$v", store.Unseal($"meta.{key}", value)), ("$k", key));
                }
                store.Execute("DELETE FROM meta WHERE key = 'store_check'");
                foreach (string table in new[] { "prekeys", "signed_prekeys", "kyber_prekeys", "sessions", "sender_keys" })
                {
                    foreach ((long rowid, object value) in store.Query($"SELECT rowid, record FROM {table}", r => (r.GetInt64(0), r.GetValue(1))))
                    {
                        store.Execute($"UPDATE {table} SET record = $v WHERE rowid = $r", ("$v", store.Unseal($"{table}.record", value)), ("$r", rowid));
                    }
                }
                foreach ((long rowid, object value) in store.Query("SELECT rowid, access_key FROM contact_access", r => (r.GetInt64(0), r.GetValue(1))))
                {
                    store.Execute("UPDATE contact_access SET access_key = $v WHERE rowid = $r",
                        ("$v", store.Unseal("contact_access.access_key", value)), ("$r", rowid));
                }
                foreach ((long rowid, object text, object topic) in store.Query("SELECT rowid, text, topic FROM messages",
                    r => (r.GetInt64(0), r.GetValue(1), r.GetValue(2))))
                {
                    store.Execute("UPDATE messages SET text = $x, topic = $t WHERE rowid = $r",
                        ("$x", store.UnsealText("messages.text", text)), ("$t", store.UnsealText("messages.topic", topic)), ("$r", rowid));
                }
            });
        }
        SqliteConnection.ClearAllPools();
        File.Delete(StoreKeyFile.PathIn(home));
    }
}

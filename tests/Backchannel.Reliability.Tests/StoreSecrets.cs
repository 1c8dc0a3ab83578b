using Microsoft.Data.Sqlite;

namespace Backchannel.Reliability.Tests;

/// <summary>What a client's store (<c>HOME/backchannel.db</c>) holds that must never leave it: read straight from SQLite.</summary>
internal sealed record StoreSecrets(string Account, int Device, string Credential, byte[] IdentityKeyPair, byte[] IdentityPrivateKey)
{
    public static StoreSecrets Read(string home)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = Path.Combine(home, "backchannel.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var db = new SqliteConnection(builder.ConnectionString);
        db.Open();
        object Meta(string key)
        {
            using SqliteCommand c = db.CreateCommand();
            c.CommandText = "SELECT value FROM meta WHERE key = $k";
            c.Parameters.AddWithValue("$k", key);
            return c.ExecuteScalar() ?? throw new InvalidOperationException("no meta " + key);
        }
        static string Text(object v) => v is byte[] b ? System.Text.Encoding.UTF8.GetString(b) : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)!;
        byte[] pair = (byte[])Meta("identity_key_pair");
        return new StoreSecrets(Text(Meta("account")), int.Parse(Text(Meta("device")), System.Globalization.CultureInfo.InvariantCulture),
            Text(Meta("credential")), pair, PrivateKeyOf(pair));
    }

    /// <summary>libsignal's IdentityKeyPairStructure: field 1 the public key (33 bytes), field 2 the private key (32 bytes).</summary>
    private static byte[] PrivateKeyOf(byte[] pair)
    {
        int i = 0;
        while (i < pair.Length)
        {
            int tag = pair[i++];
            int length = pair[i++];
            if (tag == 0x12)
            {
                Assert.Equal(32, length);
                return pair[i..(i + length)];
            }
            i += length;
        }
        throw new InvalidOperationException("no private key in the identity key pair");
    }
}

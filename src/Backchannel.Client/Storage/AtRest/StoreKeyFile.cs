using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using NSec.Cryptography;

namespace Backchannel.Client.Storage.AtRest;

/// <summary>
/// <c>HOME/store.key</c>: the store's 32-byte data key, either as it is (owner-only file; protects copies and backups of
/// the database kept apart from it) or wrapped under a key derived from a passphrase with Argon2id (then nothing on disk
/// opens the store without the passphrase). Replaced atomically (write, flush to disk, rename), so a crash leaves the
/// old file or the new one.
/// </summary>
internal static class StoreKeyFile
{
    public const string FileName = "store.key";

    private const int DataKeyLength = 32;
    private const int SaltLength = 16; // libsodium's crypto_pwhash_SALTBYTES
    private const string WrapPlace = "store.key/data-key";

    /// <summary>
    /// Argon2id costs for new wraps: 64 MiB, 3 passes, 1 lane — RFC 9106 §4's second recommended option with the
    /// parallelism libsodium offers. The costs are stored with each wrap, so they can rise later.
    /// </summary>
    private const long MemoryKiB = 64 * 1024;
    private const int Passes = 3;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string PathIn(string home) => Path.Combine(home, FileName);

    public static bool Exists(string home) => File.Exists(PathIn(home));

    /// <summary>A new random data key, written (plain or wrapped under <paramref name="passphrase"/>); the caller wipes it.</summary>
    public static byte[] Create(string home, string? passphrase)
    {
        byte[] dataKey = RandomNumberGenerator.GetBytes(DataKeyLength);
        Write(home, dataKey, passphrase);
        return dataKey;
    }

    /// <summary>Reads the data key; asks <paramref name="askPassphrase"/> only when the file is passphrase-protected.</summary>
    public static byte[] Read(string home, Func<string?> askPassphrase)
    {
        KeyFile file = Load(home);
        if (file.Protection == Protection.None)
        {
            byte[] key = Decode(file.Key, DataKeyLength, "key");
            return key;
        }
        string passphrase = askPassphrase() is { Length: > 0 } given
            ? given
            : throw new BackchannelException(ErrorKinds.PassphraseRequired,
                "This store is protected by a passphrase: set BACKCHANNEL_PASSPHRASE, pass --passphrase-file FILE, or run in a terminal to be asked.");
        byte[] salt = Decode(file.Salt, SaltLength, "salt");
        if (file.MemoryKiB is < 8 * 1024 or > 4L * 1024 * 1024 || file.Passes is < 1 or > 64)
        {
            throw Unreadable("its Argon2id costs are out of range");
        }
        byte[] wrapped = Convert.FromBase64String(file.WrappedKey ?? throw Unreadable("the wrapped key is missing"));
        byte[] kek = DeriveKeyEncryptionKey(passphrase, salt, file.MemoryKiB, file.Passes);
        try
        {
            using var sealer = new ColumnSealer(kek);
            try
            {
                byte[] key = sealer.Open(WrapPlace, wrapped);
                if (key.Length != DataKeyLength)
                {
                    CryptographicOperations.ZeroMemory(key);
                    throw Unreadable("the wrapped key has the wrong length");
                }
                return key;
            }
            catch (BackchannelException e) when (e.Kind == ErrorKinds.StoreUnreadable)
            {
                throw new BackchannelException(ErrorKinds.WrongPassphrase, "Wrong passphrase for this store.");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    public static bool IsPassphraseProtected(string home) => Load(home).Protection == Protection.Passphrase;

    /// <summary>Writes <paramref name="dataKey"/> anew: wrapped under <paramref name="passphrase"/>, or plain when it is null.</summary>
    public static void Write(string home, ReadOnlySpan<byte> dataKey, string? passphrase)
    {
        KeyFile file;
        if (passphrase is null)
        {
            file = new KeyFile { Protection = Protection.None, Key = Convert.ToBase64String(dataKey) };
        }
        else
        {
            if (passphrase.Length == 0)
            {
                throw new BackchannelException(ErrorKinds.BadRequest, "The passphrase is empty.");
            }
            byte[] salt = RandomNumberGenerator.GetBytes(SaltLength);
            byte[] kek = DeriveKeyEncryptionKey(passphrase, salt, MemoryKiB, Passes);
            try
            {
                using var sealer = new ColumnSealer(kek);
                file = new KeyFile
                {
                    Protection = Protection.Passphrase,
                    Kdf = "argon2id",
                    MemoryKiB = MemoryKiB,
                    Passes = Passes,
                    Salt = Convert.ToBase64String(salt),
                    WrappedKey = Convert.ToBase64String(sealer.Seal(WrapPlace, dataKey)),
                };
            }
            finally
            {
                CryptographicOperations.ZeroMemory(kek);
            }
        }

        string path = PathIn(home);
        string temporary = path + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, file, Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static KeyFile Load(string home)
    {
        string path = PathIn(home);
        try
        {
            using FileStream stream = File.OpenRead(path);
            KeyFile file = JsonSerializer.Deserialize<KeyFile>(stream, Json) ?? throw Unreadable("it is empty");
            if (file.Version != 1)
            {
                throw Unreadable($"it has version {file.Version}; this client knows version 1");
            }
            return file;
        }
        catch (FileNotFoundException)
        {
            throw new BackchannelException(ErrorKinds.StoreUnreadable,
                $"The store's key file {path} is missing: without it the store cannot be opened.");
        }
        catch (JsonException e)
        {
            throw Unreadable("it is not valid JSON", e);
        }
        catch (FormatException e)
        {
            throw Unreadable("it holds bad base64", e);
        }
    }

    private static byte[] DeriveKeyEncryptionKey(string passphrase, byte[] salt, long memoryKiB, int passes)
    {
        var argon = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = 1,
            MemorySize = memoryKiB,
            NumberOfPasses = passes,
        });
        byte[] password = System.Text.Encoding.UTF8.GetBytes(passphrase);
        try
        {
            return argon.DeriveBytes(password, salt, DataKeyLength);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    private static byte[] Decode(string? base64, int length, string what)
    {
        byte[] bytes = Convert.FromBase64String(base64 ?? throw Unreadable($"the {what} is missing"));
        if (bytes.Length != length)
        {
            CryptographicOperations.ZeroMemory(bytes);
            throw Unreadable($"the {what} has the wrong length");
        }
        return bytes;
    }

    private static BackchannelException Unreadable(string why, Exception? inner = null) =>
        new(ErrorKinds.StoreUnreadable, $"The store's key file is unreadable: {why}.", inner);

    [JsonConverter(typeof(JsonStringEnumConverter<Protection>))]
    private enum Protection
    {
        None,
        Passphrase,
    }

    private sealed class KeyFile
    {
        public int Version { get; init; } = 1;

        public Protection Protection { get; init; }

        /// <summary>The data key itself (protection "none").</summary>
        public string? Key { get; init; }

        public string? Kdf { get; init; }

        public long MemoryKiB { get; init; }

        public int Passes { get; init; }

        public string? Salt { get; init; }

        /// <summary>The data key sealed under the Argon2id-derived key (protection "passphrase").</summary>
        public string? WrappedKey { get; init; }
    }
}

using Backchannel.Protocol;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.Certificates;

/// <summary>
/// The relay operator's sealed-sender authority: a trust root and a server key certified by it (key id 1), which
/// signs day-long sender certificates for authenticated devices (docs/relay-api.md, Sender certificates).
/// Only the certificate types of <c>Backchannel.Protocol</c> are used here; the relay never touches session code.
/// <para>
/// Files under the data directory (SQLite storage): <c>trust-root.key</c> (32-byte X25519 private key, mode 0600),
/// <c>trust-root.pub</c> (33-byte public key), <c>server.key</c> (32 bytes, 0600) and <c>server.cert</c> (the
/// serialized <see cref="ServerCertificate"/>). The first start creates them; later starts reuse them and need
/// only <c>server.key</c>, <c>server.cert</c> and the trust root's public key (<c>trust-root.pub</c>, or
/// <see cref="RelayOptions.TrustRootPublicKeyFile"/>), so the operator may move <c>trust-root.key</c> offline.
/// In-memory storage keeps an ephemeral authority in memory instead.
/// </para>
/// </summary>
internal sealed class SenderCertificateIssuer : IDisposable
{
    public const string TrustRootKeyFile = "trust-root.key";
    public const string TrustRootPublicFile = "trust-root.pub";
    public const string ServerKeyFile = "server.key";
    public const string ServerCertificateFile = "server.cert";

    /// <summary>The server key id in the certificate; one key for now, a rotation would add id 2.</summary>
    public const uint ServerKeyId = 1;

    private readonly ECPrivateKey _serverKey;

    public SenderCertificateIssuer(RelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Storage == RelayStorageKind.InMemory)
        {
            using ECPrivateKey trustRoot = ECPrivateKey.Generate();
            _serverKey = ECPrivateKey.Generate();
            Certificate = ServerCertificate.Create(ServerKeyId, _serverKey.PublicKey(), trustRoot);
            TrustRoot = trustRoot.PublicKey();
            Created = true;
            return;
        }

        string directory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(directory);
        string certificatePath = Path.Combine(directory, ServerCertificateFile);
        string serverKeyPath = Path.Combine(directory, ServerKeyFile);
        if (!File.Exists(certificatePath) || !File.Exists(serverKeyPath))
        {
            CreateAuthority(directory);
            Created = true;
        }

        _serverKey = ECPrivateKey.Deserialize(ReadSecret(serverKeyPath));
        Certificate = ServerCertificate.Deserialize(File.ReadAllBytes(certificatePath));
        TrustRoot = LoadTrustRoot(directory, options.TrustRootPublicKeyFile);
        if (!Certificate.Validate(TrustRoot))
        {
            _serverKey.Dispose();
            throw new InvalidOperationException($"{certificatePath} is not signed by the configured trust root.");
        }

        if (!Certificate.Key.Equals(_serverKey.PublicKey()))
        {
            _serverKey.Dispose();
            throw new InvalidOperationException($"{serverKeyPath} does not match {certificatePath}.");
        }
    }

    /// <summary>The trust root's public key (33 bytes serialized), which clients pin to check sender certificates.</summary>
    public ECPublicKey TrustRoot { get; }

    /// <summary>The server certificate inside every sender certificate.</summary>
    public ServerCertificate Certificate { get; }

    /// <summary>Whether this start created the authority (for the start-up log).</summary>
    public bool Created { get; }

    /// <summary>
    /// A sender certificate for <paramref name="device"/> with the account's identity key, expiring at
    /// <paramref name="expiresAt"/> (ms); null when the stored identity key is not a Curve25519 key (the relay
    /// accepts opaque identity keys, but a certificate needs a real one).
    /// </summary>
    public byte[]? Issue(DeviceAddress device, byte[] identityKey, long expiresAt)
    {
        ArgumentNullException.ThrowIfNull(identityKey);
        IdentityKey identity;
        try
        {
            identity = IdentityKey.Deserialize(identityKey);
        }
        catch (InvalidKeyException)
        {
            return null;
        }

        return SenderCertificate.Create(device.Account.ToString("D"), null, device.Device, identity, (ulong)expiresAt, Certificate, _serverKey).Serialize();
    }

    public void Dispose() => _serverKey.Dispose();

    private static void CreateAuthority(string directory)
    {
        string trustRootPath = Path.Combine(directory, TrustRootKeyFile);
        using ECPrivateKey trustRoot = File.Exists(trustRootPath) ? ECPrivateKey.Deserialize(ReadSecret(trustRootPath)) : ECPrivateKey.Generate();
        if (!File.Exists(trustRootPath))
        {
            WriteSecret(trustRootPath, trustRoot.Serialize());
        }

        File.WriteAllBytes(Path.Combine(directory, TrustRootPublicFile), trustRoot.PublicKey().Serialize());
        using ECPrivateKey serverKey = ECPrivateKey.Generate();
        ServerCertificate certificate = ServerCertificate.Create(ServerKeyId, serverKey.PublicKey(), trustRoot);
        WriteSecret(Path.Combine(directory, ServerKeyFile), serverKey.Serialize());
        // Written last: its presence means the authority is complete.
        File.WriteAllBytes(Path.Combine(directory, ServerCertificateFile), certificate.Serialize());
    }

    private static ECPublicKey LoadTrustRoot(string directory, string? publicKeyFile)
    {
        string? path = publicKeyFile ?? (File.Exists(Path.Combine(directory, TrustRootPublicFile)) ? Path.Combine(directory, TrustRootPublicFile) : null);
        if (path is not null)
        {
            return ParsePublicKey(File.ReadAllBytes(path), path);
        }

        string trustRootPath = Path.Combine(directory, TrustRootKeyFile);
        if (!File.Exists(trustRootPath))
        {
            throw new InvalidOperationException(
                $"No trust root public key: neither {TrustRootPublicFile} nor {TrustRootKeyFile} is in {directory}, and none was configured.");
        }

        using ECPrivateKey trustRoot = ECPrivateKey.Deserialize(ReadSecret(trustRootPath));
        return trustRoot.PublicKey();
    }

    /// <summary>A trust root public key file holds the 33 bytes raw, or as base64 text.</summary>
    internal static ECPublicKey ParsePublicKey(byte[] content, string path)
    {
        try
        {
            if (content.Length == ECPublicKey.SerializedLength)
            {
                return ECPublicKey.Deserialize(content);
            }

            return ECPublicKey.Deserialize(Convert.FromBase64String(System.Text.Encoding.ASCII.GetString(content).Trim()));
        }
        catch (Exception e) when (e is FormatException or InvalidKeyException)
        {
            throw new InvalidOperationException($"{path} does not hold a trust root public key (33 bytes, raw or base64).", e);
        }
    }

    private static byte[] ReadSecret(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length != 32)
        {
            throw new InvalidOperationException($"{path} must hold a 32-byte private key.");
        }

        return bytes;
    }

    private static void WriteSecret(string path, byte[] secret)
    {
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(path, options);
            stream.Write(secret);
            stream.Flush(flushToDisk: true);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        }
    }
}

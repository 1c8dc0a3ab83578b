using System.Text;
using Backchannel.Client.Relay;
using Backchannel.Client.Storage;
using Backchannel.Protocol;

namespace Backchannel.Client.Crypto;

/// <summary>
/// The one place the client calls the Signal Protocol library: key generation, session set-up from a relay
/// bundle, encrypt, decrypt and safety numbers. Everything else in the client sees bytes and
/// <see cref="CryptoFailure"/>. Runs inside the caller's <see cref="LocalStore"/> transaction.
/// </summary>
internal sealed class SessionCrypto
{
    /// <summary>Safety numbers as Signal computes them: 5200 iterations, version 2.</summary>
    private const int FingerprintIterations = 5200;
    private const int FingerprintVersion = 2;

    private readonly SqliteProtocolStore _protocol;
    private readonly TimeProvider _time;

    public SessionCrypto(SqliteProtocolStore protocol, TimeProvider time)
    {
        _protocol = protocol;
        _time = time;
    }

    public sealed record NewIdentity(byte[] KeyPair, byte[] PublicKey, uint RegistrationId);

    public static NewIdentity CreateIdentity()
    {
        using IdentityKeyPair pair = IdentityKeyPair.Generate();
        return new NewIdentity(pair.Serialize(), pair.PublicKey.Serialize(), KeyHelper.GenerateRegistrationId());
    }

    public static bool IsIdentityKey(ReadOnlySpan<byte> bytes)
    {
        try
        {
            IdentityKey.Deserialize(bytes);
            return true;
        }
        catch (ProtocolException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Makes one-time EC prekeys, stores their private halves, returns what the relay gets.</summary>
    public List<PreKeyDto> GeneratePreKeys(uint startId, int count)
    {
        var list = new List<PreKeyDto>(count);
        foreach (PreKeyRecord r in KeyHelper.GeneratePreKeys(startId, count))
        {
            using (r)
            {
                _protocol.StorePreKey(r.Id, r);
                list.Add(new PreKeyDto(r.Id, r.PublicKey, null));
            }
        }
        return list;
    }

    public PreKeyDto GenerateSignedPreKey(uint id)
    {
        using SignedPreKeyRecord r = KeyHelper.GenerateSignedPreKey(_protocol.GetIdentityKeyPair(), id, _time.GetUtcNow().ToUnixTimeMilliseconds());
        _protocol.StoreSignedPreKey(r.Id, r);
        return new PreKeyDto(r.Id, r.PublicKey, r.Signature);
    }

    public PreKeyDto GenerateKyberPreKey(uint id, bool lastResort)
    {
        using KyberPreKeyRecord r = KeyHelper.GenerateKyberPreKey(_protocol.GetIdentityKeyPair(), id, _time.GetUtcNow().ToUnixTimeMilliseconds());
        _protocol.StoreKyberPreKey(r.Id, r, lastResort);
        return new PreKeyDto(r.Id, r.PublicKey, r.Signature);
    }

    /// <summary>Starts a session with one device of <paramref name="account"/> from its relay bundle.</summary>
    public void ProcessBundle(string account, byte[] identityKey, DeviceKeysDto device)
    {
        if (device.SignedPreKey.Signature is null || device.KyberPreKey?.Signature is null)
        {
            throw new CryptoFailure(CryptoFailureKind.Invalid, "The relay's bundle lacks a signed or Kyber prekey.",
                new InvalidOperationException());
        }
        var bundle = new PreKeyBundle(
            device.RegistrationId, device.DeviceId, device.PreKey?.Id, device.PreKey?.PublicKey,
            device.SignedPreKey.Id, device.SignedPreKey.PublicKey, device.SignedPreKey.Signature, identityKey,
            device.KyberPreKey.Id, device.KyberPreKey.PublicKey, device.KyberPreKey.Signature);
        Guard(() =>
        {
            SessionBuilder.ProcessPreKeyBundle(_protocol, new ProtocolAddress(account, device.DeviceId), bundle, _time);
            return 0;
        });
    }

    public bool HasSession(string account, int device) =>
        new SessionCipher(_protocol, new ProtocolAddress(account, device), _time).HasSession();

    public (int Type, byte[] Body) Encrypt(string account, int device, ReadOnlySpan<byte> plaintext)
    {
        byte[] copy = plaintext.ToArray();
        return Guard(() =>
        {
            CiphertextMessage m = new SessionCipher(_protocol, new ProtocolAddress(account, device), _time).Encrypt(copy);
            return (m.Type, m.Serialize());
        });
    }

    public byte[] Decrypt(string account, int device, int type, byte[] body) =>
        Guard(() => new SessionCipher(_protocol, new ProtocolAddress(account, device), _time).Decrypt(type, body));

    /// <summary>Our SenderKeyDistributionMessage for the channel, creating our chain the first time.</summary>
    public byte[] GroupDistribution(string self, int device, Guid channel) =>
        Guard(() => GroupCipher.CreateDistributionMessage(_protocol, new ProtocolAddress(self, device), channel));

    public void GroupProcess(string sender, int device, byte[] distribution) =>
        Guard(() =>
        {
            GroupCipher.ProcessDistributionMessage(_protocol, new ProtocolAddress(sender, device), distribution);
            return 0;
        });

    public byte[] GroupEncrypt(string self, int device, Guid channel, ReadOnlySpan<byte> plaintext)
    {
        byte[] copy = plaintext.ToArray();
        return Guard(() => GroupCipher.Encrypt(_protocol, new ProtocolAddress(self, device), channel, copy));
    }

    public byte[] GroupDecrypt(string sender, int device, byte[] ciphertext) =>
        Guard(() => GroupCipher.Decrypt(_protocol, new ProtocolAddress(sender, device), ciphertext));

    /// <summary>Seals an already encrypted message (1:1 or sender key) for that device under our sender certificate.</summary>
    public byte[] Seal(string account, int device, byte[] certificate, int type, byte[] content) =>
        Guard(() => SealedSessionCipher.Seal(_protocol, new ProtocolAddress(account, device), SenderCertificate.Deserialize(certificate),
            type, content, null));

    /// <summary>Opens only the sealed layer: the sender it names, the inner type and ciphertext (tests).</summary>
    public SealedSenderContent OpenSealedLayer(byte[] sealedMessage) => Guard(() => SealedSessionCipher.Open(_protocol, sealedMessage));

    /// <summary>Opens a sealed message: checks the certificate against the trust root, then decrypts the inner message.</summary>
    public (string Sender, int Device, int Type, byte[] Plaintext) Unseal(byte[] trustRoot, long timestampMs, byte[] sealedMessage)
    {
        _protocol.LastUntrusted = null;
        try
        {
            return Guard(() =>
            {
                SealedSenderResult r = SealedSessionCipher.Decrypt(_protocol, _protocol, ECPublicKey.Deserialize(trustRoot), timestampMs,
                    sealedMessage, _time);
                return (r.SenderUuid, r.SenderDevice, r.CiphertextType, r.Plaintext);
            });
        }
        catch (CryptoFailure f) when (f.Kind == CryptoFailureKind.UntrustedIdentity && _protocol.LastUntrusted is { } who)
        {
            throw new CryptoFailure(f.Kind, f.Message, f.InnerException!) { Account = who.Name };
        }
    }

    /// <summary>When the certificate expires (ms since the epoch); null when it is unusable.</summary>
    public static long? CertificateExpiry(byte[] certificate)
    {
        try
        {
            return (long)SenderCertificate.Deserialize(certificate).Expires;
        }
        catch (ProtocolException)
        {
            return null;
        }
    }

    /// <summary>
    /// Drops every sender-key chain of <paramref name="account"/> for the channel: for our own, the next distribution
    /// starts a new chain (a rotation); for a removed member's, nothing of theirs decrypts any more.
    /// </summary>
    public void DropSenderKeys(string account, Guid channel) => _protocol.RemoveSenderKeys(account, channel);

    public byte[]? GetIdentity(string account, int device) =>
        _protocol.GetIdentity(new ProtocolAddress(account, device))?.Serialize();

    public byte[] OwnIdentityKey() => _protocol.GetIdentityKeyPair().PublicKey.Serialize();

    /// <summary>Records <paramref name="identityKey"/> as the trusted key of that device.</summary>
    public void Trust(string account, int device, byte[] identityKey) =>
        _protocol.SaveIdentity(new ProtocolAddress(account, device), IdentityKey.Deserialize(identityKey));

    /// <summary>60 digits in 12 groups of five separated by single spaces.</summary>
    public static string SafetyNumber(string ourAccount, byte[] ourKey, string theirAccount, byte[] theirKey)
    {
        Fingerprint f = Fingerprint.Create(FingerprintIterations, FingerprintVersion,
            Encoding.UTF8.GetBytes(ourAccount), IdentityKey.Deserialize(ourKey),
            Encoding.UTF8.GetBytes(theirAccount), IdentityKey.Deserialize(theirKey));
        string digits = f.Displayable;
        var sb = new StringBuilder(72);
        for (int i = 0; i < digits.Length; i += 5)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }
            sb.Append(digits, i, Math.Min(5, digits.Length - i));
        }
        return sb.ToString();
    }

    private static T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (UntrustedIdentityException e)
        {
            throw new CryptoFailure(CryptoFailureKind.UntrustedIdentity, "The peer's identity key has changed.", e);
        }
        catch (DuplicatedMessageException e)
        {
            throw new CryptoFailure(CryptoFailureKind.Duplicate, "Message already received.", e);
        }
        catch (NoSessionException e)
        {
            throw new CryptoFailure(CryptoFailureKind.NoSession, "No session.", e);
        }
        catch (ProtocolException e)
        {
            throw new CryptoFailure(CryptoFailureKind.Invalid, e.GetType().Name, e);
        }
    }
}

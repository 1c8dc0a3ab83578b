using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.SealedSender;

namespace Backchannel.Protocol;

/// <summary>
/// A relay's server certificate: protobuf {1 certificate = {1 id, 2 key (33 B)}, 2 signature}, the signature by
/// the trust root over the certificate bytes (FACTS §4.11).
/// </summary>
public sealed class ServerCertificate
{
    // libsignal refuses this server key id outright (a known-compromised test key).
    private static readonly uint[] RevokedKeyIds = [0xDEADC357];

    private readonly byte[] _serialized;
    private readonly byte[] _certificate;
    private readonly byte[] _signature;

    private ServerCertificate(byte[] serialized, byte[] certificate, byte[] signature, uint keyId, ECPublicKey key)
    {
        _serialized = serialized;
        _certificate = certificate;
        _signature = signature;
        KeyId = keyId;
        Key = key;
    }

    /// <summary>The server key id.</summary>
    public uint KeyId { get; }

    /// <summary>The server's public key, which signs sender certificates.</summary>
    public ECPublicKey Key { get; }

    /// <summary>Issues a certificate for <paramref name="serverKey"/>, signed by the trust root.</summary>
    public static ServerCertificate Create(uint keyId, ECPublicKey serverKey, ECPrivateKey trustRoot)
    {
        ArgumentNullException.ThrowIfNull(serverKey);
        ArgumentNullException.ThrowIfNull(trustRoot);
        var c = new ProtoWriter(48);
        c.WriteUInt32(1, keyId);
        c.WriteBytes(2, serverKey.Serialized);
        var certificate = c.ToArray();
        var signature = trustRoot.Sign(certificate);
        var w = new ProtoWriter(128);
        w.WriteBytes(1, certificate);
        w.WriteBytes(2, signature);
        return new ServerCertificate(w.ToArray(), certificate, signature, keyId, serverKey);
    }

    /// <summary>Parses a certificate; anything malformed is an <see cref="InvalidCertificateException"/>.</summary>
    public static ServerCertificate Deserialize(ReadOnlySpan<byte> bytes)
    {
        var (certificate, signature) = CertificateEnvelope.Parse(bytes, "server certificate");
        var c = new ProtoReader(certificate, CertificateEnvelope.Error);
        uint? id = null;
        byte[]? key = null;
        while (c.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: id = c.ReadUInt32(wt); break;
                case 2: key = c.ReadBytes(wt); break;
                default: c.Skip(wt); break;
            }
        }
        if (id is null || key is null)
        {
            throw new InvalidCertificateException("incomplete server certificate");
        }
        try
        {
            return new ServerCertificate(bytes.ToArray(), certificate, signature, id.Value, ECPublicKey.Deserialize(key));
        }
        catch (InvalidKeyException)
        {
            throw new InvalidCertificateException("invalid key in server certificate");
        }
    }

    /// <summary>The serialized certificate.</summary>
    public byte[] Serialize() => (byte[])_serialized.Clone();

    internal ReadOnlySpan<byte> Serialized => _serialized;

    /// <summary>True when the key id is not revoked and the trust root signed the certificate.</summary>
    public bool Validate(ECPublicKey trustRoot)
    {
        ArgumentNullException.ThrowIfNull(trustRoot);
        return !RevokedKeyIds.Contains(KeyId) && trustRoot.VerifySignature(_certificate, _signature);
    }
}

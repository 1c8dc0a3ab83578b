using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.SealedSender;

namespace Backchannel.Protocol;

/// <summary>
/// A sender certificate: protobuf {1 certificate, 2 signature}; the certificate is {1 e164?, 2 device,
/// 3 expires (fixed64 ms), 4 identity key, 5 signer (ServerCertificate), 6 uuid (string)}, signed by the server
/// key (FACTS §4.11). It lets a recipient learn and check the sender of a sealed message the relay cannot read.
/// </summary>
public sealed class SenderCertificate
{
    private readonly byte[] _serialized;
    private readonly byte[] _certificate;
    private readonly byte[] _signature;

    private SenderCertificate(byte[] serialized, byte[] certificate, byte[] signature, string senderUuid, string? senderE164,
        int deviceId, ulong expires, IdentityKey identityKey, ServerCertificate signer)
    {
        _serialized = serialized;
        _certificate = certificate;
        _signature = signature;
        SenderUuid = senderUuid;
        SenderE164 = senderE164;
        DeviceId = deviceId;
        Expires = expires;
        IdentityKey = identityKey;
        Signer = signer;
    }

    /// <summary>The sender's account id.</summary>
    public string SenderUuid { get; }

    /// <summary>A phone number, never set by Backchannel.</summary>
    public string? SenderE164 { get; }

    /// <summary>The sender's device id.</summary>
    public int DeviceId { get; }

    /// <summary>Expiry, milliseconds since the epoch.</summary>
    public ulong Expires { get; }

    /// <summary>The sender's identity key.</summary>
    public IdentityKey IdentityKey { get; }

    /// <summary>The server certificate of the key that signed this one.</summary>
    public ServerCertificate Signer { get; }

    /// <summary>Issues a certificate, signed with the server's private key.</summary>
    public static SenderCertificate Create(string senderUuid, string? senderE164, int deviceId, IdentityKey identityKey,
        ulong expires, ServerCertificate signer, ECPrivateKey signerKey)
    {
        ArgumentNullException.ThrowIfNull(senderUuid);
        ArgumentNullException.ThrowIfNull(identityKey);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(signerKey);
        var c = new ProtoWriter(256);
        if (senderE164 is not null)
        {
            c.WriteString(1, senderE164);
        }
        c.WriteUInt32(2, (uint)deviceId);
        c.WriteFixed64(3, expires);
        c.WriteBytes(4, identityKey.Serialized);
        c.WriteBytes(5, signer.Serialized);
        c.WriteString(6, senderUuid);
        var certificate = c.ToArray();
        var signature = signerKey.Sign(certificate);
        var w = new ProtoWriter(certificate.Length + 80);
        w.WriteBytes(1, certificate);
        w.WriteBytes(2, signature);
        return new SenderCertificate(w.ToArray(), certificate, signature, senderUuid, senderE164, deviceId, expires, identityKey, signer);
    }

    /// <summary>Parses a certificate; anything malformed is an <see cref="InvalidCertificateException"/>.</summary>
    public static SenderCertificate Deserialize(ReadOnlySpan<byte> bytes)
    {
        var (certificate, signature) = CertificateEnvelope.Parse(bytes, "sender certificate");
        var c = new ProtoReader(certificate, CertificateEnvelope.Error);
        string? e164 = null, uuid = null;
        uint? device = null;
        ulong? expires = null;
        byte[]? identity = null, signer = null;
        while (c.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: e164 = c.ReadString(wt); break;
                case 2: device = c.ReadUInt32(wt); break;
                case 3: expires = c.ReadFixed64(wt); break;
                case 4: identity = c.ReadBytes(wt); break;
                case 5: signer = c.ReadBytes(wt); break;
                case 6: uuid = c.ReadString(wt); break;
                default: c.Skip(wt); break;
            }
        }
        if (uuid is null || device is null || expires is null || identity is null || signer is null || device.Value is 0 or > 127)
        {
            throw new InvalidCertificateException("incomplete sender certificate");
        }
        IdentityKey key;
        try
        {
            key = IdentityKey.Deserialize(identity);
        }
        catch (InvalidKeyException)
        {
            throw new InvalidCertificateException("invalid identity key in sender certificate");
        }
        return new SenderCertificate(bytes.ToArray(), certificate, signature, uuid, e164, (int)device.Value, expires.Value, key,
            ServerCertificate.Deserialize(signer));
    }

    /// <summary>The serialized certificate.</summary>
    public byte[] Serialize() => (byte[])_serialized.Clone();

    internal ReadOnlySpan<byte> Serialized => _serialized;

    /// <summary>
    /// True when the server certificate chains to <paramref name="trustRoot"/>, the server key signed this
    /// certificate, and it has not expired at <paramref name="timestampMs"/>.
    /// </summary>
    public bool Validate(ECPublicKey trustRoot, long timestampMs) =>
        Signer.Validate(trustRoot)
        && Signer.Key.VerifySignature(_certificate, _signature)
        && (ulong)Math.Max(timestampMs, 0) <= Expires;
}

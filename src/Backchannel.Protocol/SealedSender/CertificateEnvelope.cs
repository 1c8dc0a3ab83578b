using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.SealedSender;

/// <summary>
/// The outer form shared by server and sender certificates: protobuf {1 certificate bytes, 2 signature}
/// (FACTS §4.11). Malformed input is an <see cref="InvalidCertificateException"/>.
/// </summary>
internal static class CertificateEnvelope
{
    internal static Exception Error(string message) => new InvalidCertificateException(message);

    internal static (byte[] Certificate, byte[] Signature) Parse(ReadOnlySpan<byte> bytes, string what)
    {
        var r = new ProtoReader(bytes, Error);
        byte[]? certificate = null, signature = null;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: certificate = r.ReadBytes(wt); break;
                case 2: signature = r.ReadBytes(wt); break;
                default: r.Skip(wt); break;
            }
        }
        if (certificate is null || signature is null)
        {
            throw new InvalidCertificateException($"incomplete {what}");
        }
        return (certificate, signature);
    }
}

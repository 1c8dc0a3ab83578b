using System.Buffers.Text;
using System.Text;
using Backchannel.Client;
using Backchannel.Client.Messages;

namespace Backchannel.Fuzzing;

/// <summary>
/// The client's parsers of bytes from others: the envelope inside every decrypted message (a contact, or anyone in a
/// channel, chooses those bytes) and the link code pasted on an existing device.
/// </summary>
internal static class ClientTargets
{
    /// <summary>The envelope parser said "not an envelope I understand" (it returns null; this makes that a typed outcome).</summary>
    internal sealed class EnvelopeRefused() : Exception("not an envelope this client understands");

    /// <summary>
    /// <c>Envelope.TryParse</c>. Byte 0 even: the rest is the padded plaintext as decrypted; odd: the rest is the JSON,
    /// padded here (0x80 then zeros), so that mutations reach the JSON and the per-kind checks.
    /// </summary>
    internal static void Envelope(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        byte[] padded = input[0] % 2 == 0 ? input[1..] : [.. input.AsSpan(1), 0x80, 0, 0, 0];
        Envelope? parsed = Backchannel.Client.Messages.Envelope.TryParse(padded);
        if (parsed is null)
        {
            throw new EnvelopeRefused();
        }
        _ = parsed.ToPaddedBytes();
    }

    /// <summary>The link code parser. Byte 0 even: pasted text (UTF-8); odd: the JSON inside "bcl1." + base64url.</summary>
    internal static void LinkCode(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        string code = input[0] % 2 == 0
            ? Encoding.UTF8.GetString(input, 1, input.Length - 1)
            : BackchannelClient.LinkCodePrefix + Base64Url.EncodeToString(input.AsSpan(1));
        try
        {
            BackchannelClient.ParseLinkCode(code);
        }
        catch (BackchannelException e) when (e.Kind != ErrorKinds.BadRequest)
        {
            throw new InvalidOperationException($"ParseLinkCode threw kind {e.Kind}, not {ErrorKinds.BadRequest}", e);
        }
    }
}

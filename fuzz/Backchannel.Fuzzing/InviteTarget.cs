using System.Buffers.Text;
using System.Text;
using Backchannel.Client;

namespace Backchannel.Fuzzing;

/// <summary>
/// The client's invite parser. Byte 0 even: the rest is the pasted text (UTF-8); odd: the rest is the JSON inside,
/// wrapped as "bc1." + base64url, so that mutations reach the JSON and field checks.
/// </summary>
internal static class InviteTarget
{
    internal static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        var text = input[0] % 2 == 0
            ? Encoding.UTF8.GetString(input, 1, input.Length - 1)
            : Invite.Prefix + Base64Url.EncodeToString(input.AsSpan(1));
        try
        {
            Invite.Parse(text).Encode();
        }
        catch (BackchannelException e) when (e.Kind != ErrorKinds.MalformedInvite)
        {
            throw new InvalidOperationException($"Invite.Parse threw kind {e.Kind}, not {ErrorKinds.MalformedInvite}", e);
        }
    }
}

namespace Backchannel.Interop.Tests.Harness;

/// <summary>Assertions that name the peer, the op and the peer's own message when they fail.</summary>
internal static class Expect
{
    /// <summary>Requires the request to fail with exactly <paramref name="kind"/>.</summary>
    public static async Task ErrorAsync(Task<PeerResponse> request, string kind, string what)
    {
        var answer = await request;
        if (answer.Ok)
        {
            Assert.Fail($"{what}: expected {kind}, but {answer.Peer} answered {answer.Op} with success: {answer.Root.GetRawText()}");
        }

        if (answer.Error != kind)
        {
            Assert.Fail($"{what}: expected {kind}, but {answer.Peer} answered {answer.Op} with {answer.Error}: {answer.Message}");
        }
    }

    /// <summary>Requires <paramref name="receiver"/> to decrypt <paramref name="message"/> to <paramref name="plaintext"/>.</summary>
    public static async Task DecryptsAsync(Party receiver, Party sender, Ciphertext message, byte[] plaintext, string what)
    {
        var answer = await receiver.TryDecryptAsync(sender, message);
        if (!answer.Ok)
        {
            Assert.Fail($"{what}: {answer.Peer} failed to decrypt a {message} with {answer.Error}: {answer.Message}");
        }

        var decrypted = answer.Bytes("plaintext");
        if (!decrypted.AsSpan().SequenceEqual(plaintext))
        {
            Assert.Fail($"{what}: {answer.Peer} decrypted {decrypted.Length} bytes that differ from the {plaintext.Length} bytes sent.");
        }
    }

    /// <summary>Encrypts at <paramref name="sender"/>, requires the type, decrypts at <paramref name="receiver"/>.</summary>
    public static async Task<Ciphertext> RoundTripAsync(Party sender, Party receiver, byte[] plaintext, string what, int? type = null)
    {
        var message = await sender.EncryptAsync(receiver, plaintext);
        if (type is { } expected)
        {
            Assert.True(message.Type == expected, $"{what}: {sender.Peer.Label} produced a type {message.Type} message, expected type {expected}.");
        }

        await DecryptsAsync(receiver, sender, message, plaintext, what);
        return message;
    }
}

using System.Security.Cryptography;
using Backchannel.Protocol.Groups;
using Backchannel.Protocol.Ratchet;

namespace Backchannel.Protocol;

/// <summary>
/// Sender keys (FACTS §4.10): one symmetric chain per sender and distribution id, signed by the sender, so one
/// encryption serves every member. The distribution message travels over 1:1 sessions; this type does not send it.
/// A failed decrypt stores nothing.
/// </summary>
public static class GroupCipher
{
    /// <summary>
    /// The SenderKeyDistributionMessage for our chain of <paramref name="distributionId"/>, creating the chain
    /// (random 31-bit chain id, random chain key, fresh signing key) the first time.
    /// </summary>
    public static byte[] CreateDistributionMessage(ISenderKeyStore store, ProtocolAddress self, Guid distributionId)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(self);
        var record = store.LoadSenderKey(self, distributionId) ?? new SenderKeyRecord();
        if (record.Newest is null)
        {
            var chainId = (uint)RandomNumberGenerator.GetInt32(int.MaxValue);
            var signing = ECKeyPair.Generate();
            record.AddState(new SenderKeyState(chainId, 0, RandomNumberGenerator.GetBytes(32), signing.PublicKey, signing.PrivateKey));
            store.StoreSenderKey(self, distributionId, record);
        }
        var state = record.Newest!;
        return new SenderKeyDistributionMessage(distributionId, state.ChainId, state.Iteration, state.ChainKey, state.SigningKey).Serialize();
    }

    /// <summary>Records a sender's chain from its distribution message. Malformed input: <see cref="InvalidMessageException"/>.</summary>
    public static void ProcessDistributionMessage(ISenderKeyStore store, ProtocolAddress sender, ReadOnlySpan<byte> message)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(sender);
        var distribution = SenderKeyDistributionMessage.Parse(message);
        var record = store.LoadSenderKey(sender, distribution.DistributionId) ?? new SenderKeyRecord();
        record.AddState(new SenderKeyState(distribution.ChainId, distribution.Iteration, distribution.ChainKey, distribution.SigningKey, null));
        store.StoreSenderKey(sender, distribution.DistributionId, record);
    }

    /// <summary>Encrypts with our chain; <see cref="NoSessionException"/> when we have none for the distribution.</summary>
    public static byte[] Encrypt(ISenderKeyStore store, ProtocolAddress self, Guid distributionId, ReadOnlySpan<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(self);
        var record = store.LoadSenderKey(self, distributionId) ?? throw new NoSessionException("no sender key for this distribution");
        var state = record.Newest ?? throw new NoSessionException("no sender key state");
        var signing = state.SigningPrivate ?? throw new NoSessionException("sender key state has no signing key");
        Span<byte> seed = stackalloc byte[32];
        // The record is a copy (stored below only once the message is made), so its chain key steps in place.
        ChainKey.Step(state.ChainKey, seed, state.ChainKey);
        byte[] message;
        try
        {
            message = SenderKeyMessage.Encrypt(distributionId, state.ChainId, state.Iteration, seed, plaintext, signing, state.SigningKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
        state.Iteration++;
        store.StoreSenderKey(self, distributionId, record);
        return message;
    }

    /// <summary>
    /// Decrypts a SenderKeyMessage from <paramref name="sender"/>. Throws <see cref="NoSessionException"/>,
    /// <see cref="InvalidSignatureException"/>, <see cref="DuplicatedMessageException"/> or
    /// <see cref="InvalidMessageException"/>; nothing is stored then.
    /// </summary>
    public static byte[] Decrypt(ISenderKeyStore store, ProtocolAddress sender, ReadOnlySpan<byte> ciphertext)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(sender);
        var message = SenderKeyMessage.Parse(ciphertext);
        var record = store.LoadSenderKey(sender, message.DistributionId) ?? throw new NoSessionException("no sender key for this sender");
        var state = record.FindState(message.ChainId) ?? throw new NoSessionException("no sender key state for this chain");
        if (!message.VerifySignature(state.SigningKey))
        {
            throw new InvalidSignatureException("sender key message signature verification failed");
        }

        var seed = new byte[32];
        if (message.Iteration < state.Iteration)
        {
            var stored = state.TakeSkipped(message.Iteration)
                ?? throw new DuplicatedMessageException($"sender key message {message.Iteration} already received");
            stored.CopyTo(seed, 0);
            CryptographicOperations.ZeroMemory(stored);
        }
        else
        {
            if (message.Iteration - state.Iteration > Constants.MaxForwardJumps)
            {
                throw new InvalidMessageException("sender key message from too far into the future");
            }
            // The state's chain key steps in place (the record is a copy), so no old chain key is left behind.
            var chainKey = state.ChainKey;
            for (var i = state.Iteration; i < message.Iteration; i++)
            {
                if (message.Iteration - i <= Constants.MaxMessageKeys)
                {
                    var skipped = new byte[32];
                    ChainKey.Step(chainKey, skipped, chainKey);
                    state.AddSkipped(i, skipped);
                }
                else
                {
                    ChainKey.Advance(chainKey);
                }
            }
            ChainKey.Step(chainKey, seed, chainKey);
            state.Iteration = message.Iteration + 1;
        }

        // The record is a copy: it is stored only once the body decrypts.
        var plaintext = SenderMessageKey.Decrypt(seed, message.Ciphertext);
        CryptographicOperations.ZeroMemory(seed);
        store.StoreSenderKey(sender, message.DistributionId, record);
        return plaintext;
    }
}

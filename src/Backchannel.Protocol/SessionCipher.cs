using System.Security.Cryptography;
using Backchannel.Protocol.Messages;
using Backchannel.Protocol.Primitives;
using Backchannel.Protocol.Ratchet;
using Backchannel.Protocol.State;

namespace Backchannel.Protocol;

/// <summary>
/// Encrypts to and decrypts from one remote device with the Double Ratchet (FACTS §4.5–4.8), and answers a
/// PreKeySignalMessage as the PQXDH responder. Every operation works on a freshly loaded copy of the record and
/// stores it only on success: a message that fails to decrypt leaves every store exactly as it was.
/// </summary>
public sealed class SessionCipher
{
    // A DH ratchet step's keys on the stack: intermediate root, new root, sending and receiving chain keys, our
    // new private key (32 bytes each) and our new serialized public key.
    private const int RatchetStepLength = 5 * 32 + ECPublicKey.SerializedLength;

    private readonly IProtocolStore _store;
    private readonly ProtocolAddress _remote;
    private readonly TimeProvider _time;

    /// <summary>Creates a cipher for the session with <paramref name="remote"/>.</summary>
    public SessionCipher(IProtocolStore store, ProtocolAddress remote, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _remote = remote;
        _time = time;
    }

    /// <summary>True when a current session state exists that can send.</summary>
    public bool HasSession()
    {
        using var record = _store.LoadSession(_remote);
        var state = record?.Current;
        return state is not null && !IsStale(state);
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/>: a PreKeySignalMessage until the peer has answered, then SignalMessages.
    /// Throws <see cref="NoSessionException"/> or <see cref="UntrustedIdentityException"/>.
    /// </summary>
    public CiphertextMessage Encrypt(ReadOnlySpan<byte> plaintext)
    {
        using var record = _store.LoadSession(_remote) ?? throw new NoSessionException($"no session with {_remote}");
        var state = record.Current ?? throw new NoSessionException($"no current session with {_remote}");
        if (IsStale(state))
        {
            throw new NoSessionException($"pending session with {_remote} is older than 30 days");
        }

        var index = state.SenderChainIndex;
        byte[] message;
        // This step's seed, message keys and next chain key, on the stack and wiped on every path out; the state's
        // chain key moves on only once the message is made and the identity trusted.
        Span<byte> seed = stackalloc byte[32];
        Span<byte> keys = stackalloc byte[MessageKeys.Length];
        Span<byte> nextChainKey = stackalloc byte[ChainKey.Length];
        try
        {
            ChainKey.Step(state.SenderChainKey, seed, nextChainKey);
            MessageKeys.Derive(seed, keys);
            message = SignalMessage.EncryptSerialized(MessageKeys.CipherKeyOf(keys), MessageKeys.IvOf(keys), MessageKeys.MacKeyOf(keys),
                state.SenderRatchetKey, index, state.PreviousCounter, plaintext, state.LocalIdentity, state.RemoteIdentity);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
            CryptographicOperations.ZeroMemory(keys);
        }

        CiphertextMessage result;
        if (state.PendingPreKey is { } pending)
        {
            var preKeyMessage = PreKeySignalMessage.Create(state.LocalRegistrationId, pending.PreKeyId, pending.SignedPreKeyId,
                pending.KyberPreKeyId, pending.KyberCiphertext, pending.BaseKey, state.LocalIdentity,
                SignalMessage.FromEncrypted(message, index, state.PreviousCounter));
            result = new CiphertextMessage(CiphertextMessage.PreKeyType, preKeyMessage.SerializedArray);
        }
        else
        {
            result = new CiphertextMessage(CiphertextMessage.WhisperType, message);
        }

        try
        {
            if (!_store.IsTrustedIdentity(_remote, state.RemoteIdentity, Direction.Sending))
            {
                throw new UntrustedIdentityException(_remote);
            }
            _store.SaveIdentity(_remote, state.RemoteIdentity);
            nextChainKey.CopyTo(state.SenderChainKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(nextChainKey);
        }
        state.SenderChainIndex = index + 1;
        _store.StoreSession(_remote, record);
        return result;
    }

    /// <summary>
    /// Decrypts a message of type 2 (SignalMessage) or 3 (PreKeySignalMessage). Throws only
    /// <see cref="ProtocolException"/>s, and then nothing stored has changed.
    /// </summary>
    public byte[] Decrypt(int type, ReadOnlySpan<byte> ciphertext)
    {
        var output = PlaintextOutput.ToArray();
        Decrypt(type, ciphertext, ref output);
        return output.Array!;
    }

    /// <summary>
    /// Decrypts a message of type 2 or 3 into <paramref name="plaintext"/>, which must be at least as long as
    /// <paramref name="ciphertext"/> (the plaintext is always shorter), and returns the plaintext's length; the
    /// rest of the buffer is left as it was. Throws only <see cref="ProtocolException"/>s (and
    /// <see cref="ArgumentException"/> for a short buffer), and then nothing stored has changed and nothing of the
    /// plaintext is left in the buffer. The caller should zero the plaintext when done with it.
    /// </summary>
    public int Decrypt(int type, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (plaintext.Length < ciphertext.Length)
        {
            throw new ArgumentException("The plaintext buffer must be at least as long as the ciphertext.", nameof(plaintext));
        }
        var output = PlaintextOutput.Into(plaintext);
        Decrypt(type, ciphertext, ref output);
        return output.Length;
    }

    private void Decrypt(int type, ReadOnlySpan<byte> ciphertext, ref PlaintextOutput output)
    {
        try
        {
            switch (type)
            {
                case CiphertextMessage.WhisperType: DecryptSignalMessage(ciphertext, ref output); break;
                case CiphertextMessage.PreKeyType: DecryptPreKeyMessage(ciphertext, ref output); break;
                default: throw new InvalidMessageException($"unknown message type {type}");
            }
        }
        catch
        {
            // Decrypted, then refused (untrusted identity, a replayed last-resort key, a store failure).
            output.Wipe();
            throw;
        }
    }

    private void DecryptSignalMessage(ReadOnlySpan<byte> bytes, ref PlaintextOutput output)
    {
        // Read in place: the caller's bytes are not copied.
        var message = SignalMessageView.Parse(bytes);
        using var record = _store.LoadSession(_remote) ?? throw new NoSessionException($"no session with {_remote}");
        DecryptWithRecord(record, message, ref output);
        var state = record.Current!;
        if (!_store.IsTrustedIdentity(_remote, state.RemoteIdentity, Direction.Receiving))
        {
            throw new UntrustedIdentityException(_remote);
        }
        _store.SaveIdentity(_remote, state.RemoteIdentity);
        _store.StoreSession(_remote, record);
    }

    private void DecryptPreKeyMessage(ReadOnlySpan<byte> bytes, ref PlaintextOutput output)
    {
        var message = PreKeySignalMessage.Parse(bytes);
        if (!_store.IsTrustedIdentity(_remote, message.IdentityKey, Direction.Receiving))
        {
            throw new UntrustedIdentityException(_remote);
        }
        using var record = _store.LoadSession(_remote) ?? new SessionRecord();

        // Repeated PreKey messages of one initiation map to the state they created (FACTS §4.8, pitfall P7).
        var newState = false;
        if (!PromoteMatchingState(record, message))
        {
            record.PromoteState(Respond(message));
            newState = true;
        }

        DecryptWithRecord(record, message.Message.View, ref output);
        if (newState)
        {
            // May refuse a replay on a last-resort Kyber key; nothing has been stored yet.
            _store.MarkKyberPreKeyUsed(message.KyberPreKeyId, message.SignedPreKeyId, message.BaseKey.Serialized);
        }
        _store.SaveIdentity(_remote, message.IdentityKey);
        _store.StoreSession(_remote, record);
        if (newState && message.PreKeyId is { } preKeyId)
        {
            _store.RemovePreKey(preKeyId);
        }
    }

    private static bool PromoteMatchingState(SessionRecord record, PreKeySignalMessage message)
    {
        var baseKey = message.BaseKey.Serialized;
        if (record.Current is { } current && current.Version == message.Version && baseKey.SequenceEqual(current.AliceBaseKey))
        {
            return true;
        }
        for (var i = 0; i < record.Previous.Count; i++)
        {
            if (record.Previous.Matches(i, message.Version, baseKey))
            {
                record.PromotePrevious(i, record.Previous[i]);
                return true;
            }
        }
        return false;
    }

    // PQXDH as the responder ("Bob"), FACTS §4.4.
    private SessionState Respond(PreKeySignalMessage message)
    {
        using var signedPreKey = _store.LoadSignedPreKey(message.SignedPreKeyId)
            ?? throw new InvalidKeyIdException($"no signed prekey {message.SignedPreKeyId}");
        using var kyberPreKey = _store.LoadKyberPreKey(message.KyberPreKeyId)
            ?? throw new InvalidKeyIdException($"no Kyber prekey {message.KyberPreKeyId}");
        PreKeyRecord? oneTimePreKey = null;
        if (message.PreKeyId is { } id)
        {
            oneTimePreKey = _store.LoadPreKey(id) ?? throw new InvalidKeyIdException($"no prekey {id}");
        }
        using (oneTimePreKey)
        {
            if (!message.BaseKey.IsCanonical())
            {
                throw new InvalidMessageException("non-canonical base key");
            }
            var sharedSecret = kyberPreKey.KeyPair.Decapsulate(message.KyberCiphertext);
            var state = Pqxdh.InitializeBob(_store.GetIdentityKeyPair(), signedPreKey.KeyPair, oneTimePreKey?.KeyPair, sharedSecret,
                message.IdentityKey, message.BaseKey);
            state.LocalRegistrationId = _store.GetLocalRegistrationId();
            state.RemoteRegistrationId = message.RegistrationId;
            return state;
        }
    }

    // Tries the current state, then each archived state; the first that decrypts becomes current (FACTS §4.8).
    private static void DecryptWithRecord(SessionRecord record, SignalMessageView message, ref PlaintextOutput output)
    {
        if (record.Current is { } current)
        {
            try
            {
                DecryptWithState(current, message, ref output);
                return;
            }
            catch (DuplicatedMessageException)
            {
                throw;
            }
            catch (ProtocolException)
            {
                // fall through to the archived states
            }
        }
        for (var i = 0; i < record.Previous.Count; i++)
        {
            var state = record.Previous[i];
            try
            {
                DecryptWithState(state, message, ref output);
            }
            catch (DuplicatedMessageException)
            {
                throw;
            }
            catch (ProtocolException)
            {
                continue;
            }
            record.PromotePrevious(i, state);
            return;
        }
        throw new InvalidMessageException("decryption failed");
    }

    /// <summary>
    /// Decrypts with one state. Everything is computed on locals and applied to the state only after the MAC
    /// and the body check out, so a failure leaves the state untouched.
    /// </summary>
    private static void DecryptWithState(SessionState state, SignalMessageView message, ref PlaintextOutput output)
    {
        if (message.Version != state.Version)
        {
            throw new InvalidMessageException("message version does not match the session");
        }

        var chain = state.FindReceiverChain(message.RatchetKey);
        var counter = message.Counter;
        // Key material of this message, and of a DH ratchet step, lives on the stack and is wiped on every path out.
        Span<byte> seed = stackalloc byte[32];
        Span<byte> nextChainKey = stackalloc byte[ChainKey.Length];
        Span<byte> keys = stackalloc byte[MessageKeys.Length];
        Span<byte> step = stackalloc byte[RatchetStepLength];
        var intermediateRoot = step[..32];
        var newRoot = step[32..64];
        var newSendChain = step[64..96];
        var newReceiveChain = step[96..128];
        var newSenderPrivate = step[128..160];
        var newSenderPublic = step[160..];
        List<(uint, byte[])>? skipped = null;
        var usedSkipped = false;
        var applied = false;
        try
        {
            scoped ReadOnlySpan<byte> chainKey;
            uint chainIndex;
            if (chain is null)
            {
                // DH ratchet step (Double Ratchet spec §3.5; FACTS §4.5). Parse checked the key's form.
                var theirRatchetKey = message.RatchetKey[1..];
                RootKey.Step(state.RootKey, state.SenderRatchetPrivateKey, theirRatchetKey, intermediateRoot, newReceiveChain);
                Curve25519.GeneratePrivateKey(newSenderPrivate);
                newSenderPublic[0] = ECPublicKey.DjbType;
                Curve25519.PublicFromPrivate(newSenderPrivate, newSenderPublic[1..]);
                RootKey.Step(intermediateRoot, newSenderPrivate, theirRatchetKey, newRoot, newSendChain);
                chainKey = newReceiveChain;
                chainIndex = 0;
            }
            else
            {
                chainKey = chain.ChainKey;
                chainIndex = chain.Index;
            }

            if (counter < chainIndex)
            {
                var stored = chain?.FindSkipped(counter)
                    ?? throw new DuplicatedMessageException($"message with counter {counter} already received");
                stored.CopyTo(seed);
                usedSkipped = true;
            }
            else
            {
                if (counter - chainIndex > Constants.MaxForwardJumps)
                {
                    throw new InvalidMessageException("message from too far into the future");
                }
                chainKey.CopyTo(nextChainKey);
                for (var i = chainIndex; i < counter; i++)
                {
                    // Only the newest MaxMessageKeys seeds can survive the cap, so older ones are not kept.
                    if (counter - i <= Constants.MaxMessageKeys)
                    {
                        var skippedSeed = new byte[32];
                        ChainKey.Step(nextChainKey, skippedSeed, nextChainKey);
                        (skipped ??= []).Add((i, skippedSeed));
                    }
                    else
                    {
                        ChainKey.Advance(nextChainKey);
                    }
                }
                ChainKey.Step(nextChainKey, seed, nextChainKey);
            }

            MessageKeys.Derive(seed, keys);
            if (!message.VerifyMac(state.RemoteIdentity, state.LocalIdentity, MessageKeys.MacKeyOf(keys)))
            {
                throw new InvalidMessageException("MAC verification failed");
            }
            output.Decrypt(MessageKeys.CipherKeyOf(keys), MessageKeys.IvOf(keys), message.Ciphertext);

            // Success: apply the changes.
            applied = true;
            if (chain is null)
            {
                // The state's arrays are overwritten in place; the stack copies are wiped in finally.
                newRoot.CopyTo(state.RootKey);
                chain = state.AddReceiverChain(message.RatchetKey, newReceiveChain);
                state.PreviousCounter = state.SenderChainIndex > 0 ? state.SenderChainIndex - 1 : 0;
                state.SetSenderRatchet(newSenderPublic, newSenderPrivate);
                newSendChain.CopyTo(state.SenderChainKey);
                state.SenderChainIndex = 0;
            }
            if (usedSkipped)
            {
                var taken = chain.TakeSkipped(counter);
                if (taken is not null)
                {
                    CryptographicOperations.ZeroMemory(taken);
                }
            }
            else
            {
                if (skipped is not null)
                {
                    foreach (var (index, skippedSeed) in skipped)
                    {
                        chain.AddSkipped(index, skippedSeed);
                    }
                }
                // Overwrites the old chain key in place.
                nextChainKey.CopyTo(chain.ChainKey);
                chain.Index = counter + 1;
            }
        }
        catch when (!applied)
        {
            // Nothing of this attempt is kept: wipe what it derived.
            WipeSkipped(skipped);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
            CryptographicOperations.ZeroMemory(nextChainKey);
            CryptographicOperations.ZeroMemory(keys);
            CryptographicOperations.ZeroMemory(step);
        }
        state.PendingPreKey = null;
    }

    // Seeds derived for a message that then failed are never stored: wipe them.
    private static void WipeSkipped(List<(uint, byte[])>? skipped)
    {
        if (skipped is not null)
        {
            foreach (var (_, seed) in skipped)
            {
                CryptographicOperations.ZeroMemory(seed);
            }
        }
    }

    private bool IsStale(SessionState state) =>
        state.PendingPreKey is { } pending &&
        _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(pending.TimestampMs) > Constants.MaxUnacknowledgedSessionAge;
}

using System.Security.Cryptography;
using System.Text;

namespace Backchannel.Client.Storage.AtRest;

/// <summary>
/// Encrypts the store's sensitive values (keys, protocol records, message text and topics) under the store's data key:
/// AES-256-GCM, a fresh random 96-bit nonce per value, and the value's place ("table.column") as associated data, so a
/// value copied into another column does not open. Sealed form: <c>0x01 ‖ nonce(12) ‖ ciphertext ‖ tag(16)</c>.
/// Random nonces under one key are safe for 2^32 values (NIST SP 800-38D §8.3); a device writes a few per message.
/// </summary>
internal sealed class ColumnSealer : IDisposable
{
    private const byte Version = 1;
    private const int NonceLength = 12;
    private const int TagLength = 16;
    private const int Overhead = 1 + NonceLength + TagLength;

    private readonly AesGcm _aes;

    /// <param name="dataKey">32 bytes; copied, so the caller may wipe its array.</param>
    public ColumnSealer(ReadOnlySpan<byte> dataKey)
    {
        _aes = new AesGcm(dataKey, TagLength);
    }

    public byte[] Seal(string place, ReadOnlySpan<byte> plaintext)
    {
        byte[] sealedValue = new byte[Overhead + plaintext.Length];
        sealedValue[0] = Version;
        Span<byte> nonce = sealedValue.AsSpan(1, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> ciphertext = sealedValue.AsSpan(1 + NonceLength, plaintext.Length);
        Span<byte> tag = sealedValue.AsSpan(1 + NonceLength + plaintext.Length, TagLength);
        _aes.Encrypt(nonce, plaintext, ciphertext, tag, Encoding.UTF8.GetBytes(place));
        return sealedValue;
    }

    public byte[] SealText(string place, string text)
    {
        byte[] plain = Encoding.UTF8.GetBytes(text);
        try
        {
            return Seal(place, plain);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>The plaintext; <c>StoreUnreadable</c> when the value was not sealed by this key at this place.</summary>
    public byte[] Open(string place, ReadOnlySpan<byte> sealedValue)
    {
        if (sealedValue.Length < Overhead || sealedValue[0] != Version)
        {
            throw Unreadable($"A stored value ({place}) is not in the sealed format.");
        }
        int length = sealedValue.Length - Overhead;
        byte[] plaintext = new byte[length];
        try
        {
            _aes.Decrypt(sealedValue.Slice(1, NonceLength), sealedValue.Slice(1 + NonceLength, length),
                sealedValue.Slice(1 + NonceLength + length, TagLength), plaintext, Encoding.UTF8.GetBytes(place));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw Unreadable($"A stored value ({place}) failed authentication: the store was altered, or its key file belongs to another store.", e);
        }
        return plaintext;
    }

    public string OpenText(string place, ReadOnlySpan<byte> sealedValue)
    {
        byte[] plain = Open(place, sealedValue);
        try
        {
            return Encoding.UTF8.GetString(plain);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    public void Dispose() => _aes.Dispose();

    private static BackchannelException Unreadable(string message, Exception? inner = null) =>
        new(ErrorKinds.StoreUnreadable, message, inner);
}

using System.Security.Cryptography;

namespace Backchannel.Protocol.Primitives;

/// <summary>
/// Where a decryption puts the plaintext: a new array (the <c>byte[]</c> APIs) or the caller's buffer (the span
/// APIs, which allocate nothing for it). Passed by reference down to the one place that decrypts.
/// </summary>
internal ref struct PlaintextOutput
{
    private readonly Span<byte> _destination;
    private readonly bool _toArray;

    private PlaintextOutput(Span<byte> destination, bool toArray)
    {
        _destination = destination;
        _toArray = toArray;
    }

    /// <summary>The plaintext as a new array, once decrypted (array mode only).</summary>
    internal byte[]? Array { get; private set; }

    /// <summary>The plaintext's length, once decrypted.</summary>
    internal int Length { get; private set; }

    internal static PlaintextOutput ToArray() => new(default, toArray: true);

    /// <summary>Into <paramref name="destination"/>, at least as long as the ciphertext.</summary>
    internal static PlaintextOutput Into(Span<byte> destination) => new(destination, toArray: false);

    /// <summary>AES-256-CBC decrypts into the output; throws <see cref="InvalidMessageException"/> on bad padding.</summary>
    internal void Decrypt(scoped ReadOnlySpan<byte> key, scoped ReadOnlySpan<byte> iv, scoped ReadOnlySpan<byte> ciphertext)
    {
        if (_toArray)
        {
            Array = AesCbc.Decrypt(key, iv, ciphertext);
            Length = Array.Length;
        }
        else
        {
            Length = AesCbc.Decrypt(key, iv, ciphertext, _destination);
        }
    }

    /// <summary>Zeroes a plaintext that must not be handed out after all.</summary>
    internal void Wipe()
    {
        if (Array is not null)
        {
            CryptographicOperations.ZeroMemory(Array);
        }
        else if (!_toArray)
        {
            CryptographicOperations.ZeroMemory(_destination[..Length]);
        }
    }
}

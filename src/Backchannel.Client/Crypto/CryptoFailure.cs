namespace Backchannel.Client.Crypto;

/// <summary>A protocol failure translated at the <see cref="SessionCrypto"/> boundary.</summary>
internal sealed class CryptoFailure : Exception
{
    public CryptoFailure(CryptoFailureKind kind, string message, Exception inner)
        : base(message, inner)
    {
        Kind = kind;
    }

    public CryptoFailureKind Kind { get; }

    /// <summary>For an untrusted identity inside a sealed message: the account whose key was refused.</summary>
    public string? Account { get; init; }
}

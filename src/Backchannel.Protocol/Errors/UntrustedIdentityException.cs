namespace Backchannel.Protocol;

/// <summary>
/// The peer's identity key differs from the one this store trusts; sending and receiving stay refused
/// until the new key is accepted.
/// </summary>
public sealed class UntrustedIdentityException : ProtocolException
{
    /// <summary>Creates the exception for the address whose identity changed.</summary>
    public UntrustedIdentityException(ProtocolAddress address)
        : base($"untrusted identity for {address.Name}.{address.DeviceId}")
    {
        Address = address;
    }

    /// <summary>The address whose identity key is not trusted.</summary>
    public ProtocolAddress Address { get; }
}

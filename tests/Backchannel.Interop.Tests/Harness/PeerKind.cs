namespace Backchannel.Interop.Tests.Harness;

/// <summary>The two implementations behind the interop peer contract (DESIGN.md §4.1).</summary>
public enum PeerKind
{
    /// <summary>Backchannel's C# implementation, <c>tests/interop/peer-dotnet/peer</c>.</summary>
    Dotnet,

    /// <summary>The libsignal oracle, <c>tests/interop/peer-libsignal/peer</c>.</summary>
    Libsignal,
}

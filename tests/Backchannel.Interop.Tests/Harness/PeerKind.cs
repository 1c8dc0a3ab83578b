namespace Backchannel.Interop.Tests.Harness;

/// <summary>The implementations behind the interop peer contract (DESIGN.md §4.1).</summary>
public enum PeerKind
{
    /// <summary>Backchannel's C# implementation, <c>tests/interop/peer-dotnet/peer</c>.</summary>
    Dotnet,

    /// <summary>The libsignal oracle, <c>tests/interop/peer-libsignal/peer</c>.</summary>
    Libsignal,

    /// <summary>
    /// The newest libsignal release, <c>tests/interop/peer-libsignal-latest/peer</c>: the oracle for everything SPQR
    /// does not touch (sender keys, sealed sender, safety numbers); it refuses 1:1 sessions with a peer without SPQR.
    /// </summary>
    LibsignalLatest,
}

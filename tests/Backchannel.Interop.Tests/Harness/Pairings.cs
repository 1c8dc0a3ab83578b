namespace Backchannel.Interop.Tests.Harness;

/// <summary>Theory data: which implementation initiates and which responds.</summary>
public static class Pairings
{
    /// <summary>Every (initiator, responder) pairing; libsignal→libsignal checks the harness itself.</summary>
    public static TheoryData<PeerKind, PeerKind> All => new()
    {
        { PeerKind.Libsignal, PeerKind.Libsignal },
        { PeerKind.Dotnet, PeerKind.Dotnet },
        { PeerKind.Dotnet, PeerKind.Libsignal },
        { PeerKind.Libsignal, PeerKind.Dotnet },
    };

    /// <summary>Each peer kind once, for checks of a single peer.</summary>
    public static TheoryData<PeerKind> Kinds => new() { PeerKind.Libsignal, PeerKind.Dotnet };
}

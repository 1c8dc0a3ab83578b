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

    /// <summary>
    /// Every (sender, receiver) pairing of the C# peer and both libsignal versions, for what SPQR does not touch
    /// (sender keys, safety numbers): 1:1 sessions between the newest libsignal and a peer without SPQR are refused.
    /// </summary>
    public static TheoryData<PeerKind, PeerKind> AllWithLatest => new()
    {
        { PeerKind.Dotnet, PeerKind.Libsignal },
        { PeerKind.Libsignal, PeerKind.Dotnet },
        { PeerKind.Dotnet, PeerKind.LibsignalLatest },
        { PeerKind.LibsignalLatest, PeerKind.Dotnet },
        { PeerKind.Dotnet, PeerKind.Dotnet },
        { PeerKind.Libsignal, PeerKind.Libsignal },
        { PeerKind.LibsignalLatest, PeerKind.LibsignalLatest },
        { PeerKind.Libsignal, PeerKind.LibsignalLatest },
        { PeerKind.LibsignalLatest, PeerKind.Libsignal },
    };

    /// <summary>Each peer kind once, for checks of a single peer.</summary>
    public static TheoryData<PeerKind> Kinds => new() { PeerKind.Libsignal, PeerKind.Dotnet };
}

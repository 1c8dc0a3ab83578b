namespace Backchannel.Interop.Tests.Harness;

/// <summary>Every interop test class shares one <see cref="PeerPool"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PeerCollection : ICollectionFixture<PeerPool>
{
    public const string Name = "Interop peers";
}

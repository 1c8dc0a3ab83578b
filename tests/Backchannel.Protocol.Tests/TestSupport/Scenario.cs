using Microsoft.Extensions.Time.Testing;

namespace Backchannel.Protocol.Tests.TestSupport;

/// <summary>Alice and Bob on one fake clock, with the common opening moves.</summary>
internal sealed class Scenario
{
    internal static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    internal Scenario()
    {
        Time = new FakeTimeProvider(Start);
        Alice = new Party("alice", Time);
        Bob = new Party("bob", Time);
    }

    internal FakeTimeProvider Time { get; }

    internal Party Alice { get; }

    internal Party Bob { get; }

    /// <summary>Alice starts with Bob's bundle, sends one PreKey message, Bob answers: an acknowledged session.</summary>
    internal static Scenario Established(bool withOneTimePreKey = true)
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob, withOneTimePreKey);
        Assert.Equal("hello", s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "hello")));
        Assert.Equal("hi", s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "hi")));
        return s;
    }
}

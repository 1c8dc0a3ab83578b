using System.Text.Json.Nodes;
using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>Malformed requests get <c>BadRequest</c> and leave the peer working (DESIGN.md §4.1 error KINDs).</summary>
public sealed class BadRequestTests(PeerPool pool) : InteropTest(pool)
{
    [Theory]
    [MemberData(nameof(Pairings.Kinds), MemberType = typeof(Pairings))]
    public async Task Malformed_requests_are_bad_requests_and_the_peer_keeps_working(PeerKind kind)
    {
        var peer = await Pool.GetAsync(kind, 0);
        var alice = await Party.CreateAsync(peer);
        var bob = await Party.CreateAsync(peer);
        await alice.StartSessionWithAsync(bob);

        await Expect.ErrorAsync(peer.SendRawAsync("nope", id => $"{{\"id\":{id},\"op\":\"nope\"}}"), "BadRequest", "an unknown op");
        await Expect.ErrorAsync(peer.SendAsync("create", new JsonObject { ["name"] = "alice" }), "BadRequest", "a name that is not a UUID");
        await Expect.ErrorAsync(
            peer.SendAsync("create", new JsonObject { ["name"] = Guid.NewGuid().ToString("D").ToUpperInvariant() }), "BadRequest", "an upper-case UUID name");
        await Expect.ErrorAsync(
            peer.SendAsync("create", new JsonObject { ["name"] = Guid.NewGuid().ToString("D"), ["device"] = 0 }), "BadRequest", "device 0");
        await Expect.ErrorAsync(
            peer.SendAsync("create", new JsonObject { ["name"] = Guid.NewGuid().ToString("D"), ["device"] = 128 }), "BadRequest", "device 128");
        await Expect.ErrorAsync(peer.SendAsync("create", new JsonObject()), "BadRequest", "create without a name");

        var badBase64 = alice.With(bob);
        badBase64["plaintext"] = "not base64!";
        await Expect.ErrorAsync(peer.SendAsync("encrypt", badBase64), "BadRequest", "a plaintext that is not base64");
        await Expect.ErrorAsync(peer.SendAsync("encrypt", alice.With(bob)), "BadRequest", "encrypt without a plaintext");

        var stranger = new JsonObject { ["name"] = Guid.NewGuid().ToString("D") };
        await Expect.ErrorAsync(peer.SendAsync("bundle", stranger), "BadRequest", "a party that was never created");

        var hello = Plaintexts.Text("still working");
        await Expect.RoundTripAsync(alice, bob, hello, "a round trip after the bad requests", Ciphertext.PreKey);
    }
}

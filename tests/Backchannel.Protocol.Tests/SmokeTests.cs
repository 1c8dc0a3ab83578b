namespace Backchannel.Protocol.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Two_parties_exchange_messages_both_ways()
    {
        using var aliceIdentity = IdentityKeyPair.Generate();
        using var bobIdentity = IdentityKeyPair.Generate();
        var alice = new InMemoryProtocolStore(aliceIdentity, 1);
        var bob = new InMemoryProtocolStore(bobIdentity, 2);
        var signed = KeyHelper.GenerateSignedPreKey(bobIdentity, 1, 0);
        var kyber = KeyHelper.GenerateKyberPreKey(bobIdentity, 2, 0);
        var oneTime = KeyHelper.GeneratePreKeys(3, 1)[0];
        bob.StoreSignedPreKey(1, signed);
        bob.StoreKyberPreKey(2, kyber);
        bob.StorePreKey(3, oneTime);
        var aliceAddress = new ProtocolAddress("alice", 1);
        var bobAddress = new ProtocolAddress("bob", 1);
        var bundle = new PreKeyBundle(2, 1, 3, oneTime.PublicKey, 1, signed.PublicKey, signed.Signature,
            bobIdentity.PublicKey.Serialize(), 2, kyber.PublicKey, kyber.Signature);
        SessionBuilder.ProcessPreKeyBundle(alice, bobAddress, bundle, TimeProvider.System);

        var toBob = new SessionCipher(alice, bobAddress, TimeProvider.System);
        var toAlice = new SessionCipher(bob, aliceAddress, TimeProvider.System);
        var first = toBob.Encrypt("hello"u8);
        Assert.Equal(CiphertextMessage.PreKeyType, first.Type);
        Assert.Equal("hello"u8.ToArray(), toAlice.Decrypt(first.Type, first.Serialize()));
        var reply = toAlice.Encrypt("hi"u8);
        Assert.Equal(CiphertextMessage.WhisperType, reply.Type);
        Assert.Equal("hi"u8.ToArray(), toBob.Decrypt(reply.Type, reply.Serialize()));
    }
}

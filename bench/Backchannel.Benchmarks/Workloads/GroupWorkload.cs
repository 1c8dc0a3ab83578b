namespace Backchannel.Benchmarks.Workloads;

/// <summary>Sender keys: Alice encrypts 1 KiB for a distribution, Bob decrypts it. Records stay serialized in the stores.</summary>
internal sealed class GroupWorkload : Workload
{
    private readonly Party _alice = new();
    private readonly Party _bob = new();
    private readonly Guid _distributionId = Guid.NewGuid();

    public GroupWorkload()
    {
        var distribution = GroupCipher.CreateDistributionMessage(_alice.SenderKeys, _alice.Address, _distributionId);
        GroupCipher.ProcessDistributionMessage(_bob.SenderKeys, _alice.Address, distribution);
    }

    public override string Name => "group";

    public override void Run() => Check(GroupCipher.Decrypt(_bob.SenderKeys, _alice.Address, Encrypt()));

    /// <summary>The sender's half alone.</summary>
    public byte[] Encrypt() => GroupCipher.Encrypt(_alice.SenderKeys, _alice.Address, _distributionId, Plaintext);
}

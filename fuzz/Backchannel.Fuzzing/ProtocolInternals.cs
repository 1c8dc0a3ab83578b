using System.Reflection;
using Backchannel.Protocol;

namespace Backchannel.Fuzzing;

/// <summary>
/// The protocol library's wire parsers are internal and its InternalsVisibleTo names only its own test project,
/// so the targets bind to them once by reflection. The delegates call the parsers directly: exceptions come out
/// as thrown, not wrapped in TargetInvocationException.
/// </summary>
internal static class ProtocolInternals
{
    internal delegate object SpanParser(ReadOnlySpan<byte> bytes);

    internal delegate object SealedOpener(IdentityKeyPair recipient, ReadOnlySpan<byte> bytes);

    private static readonly Assembly Protocol = typeof(SessionCipher).Assembly;

    internal static SpanParser SignalMessageParse { get; } = Parser("Backchannel.Protocol.Messages.SignalMessage");

    internal static SpanParser PreKeySignalMessageParse { get; } = Parser("Backchannel.Protocol.Messages.PreKeySignalMessage");

    internal static SpanParser SenderKeyMessageParse { get; } = Parser("Backchannel.Protocol.Groups.SenderKeyMessage");

    internal static SpanParser SenderKeyDistributionMessageParse { get; } = Parser("Backchannel.Protocol.Groups.SenderKeyDistributionMessage");

    internal static SpanParser UnidentifiedContentParse { get; } = Parser("Backchannel.Protocol.SealedSender.UnidentifiedSenderMessageContent");

    internal static SealedOpener SealedSenderOpen { get; } = StaticMethod("Backchannel.Protocol.SealedSender.SealedSenderV1", "Open",
        [typeof(IdentityKeyPair), typeof(ReadOnlySpan<byte>)]).CreateDelegate<SealedOpener>();

    /// <summary>Serializes an opened sealed-sender content again (seed generation only).</summary>
    internal static byte[] SerializeContent(object content) =>
        (byte[])content.GetType().GetMethod("Serialize", BindingFlags.Instance | BindingFlags.NonPublic)!.Invoke(content, null)!;

    private static SpanParser Parser(string typeName) =>
        StaticMethod(typeName, "Parse", [typeof(ReadOnlySpan<byte>)]).CreateDelegate<SpanParser>();

    private static MethodInfo StaticMethod(string typeName, string name, Type[] parameters)
    {
        var type = Protocol.GetType(typeName, throwOnError: true)!;
        return type.GetMethod(name, BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public, parameters)
            ?? throw new MissingMethodException(typeName, name);
    }
}

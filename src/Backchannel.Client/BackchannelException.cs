namespace Backchannel.Client;

/// <summary>
/// A failure the user can act on. <see cref="Kind"/> is a stable machine-readable word (the CLI prints it as
/// <c>{"error": KIND}</c>); the message says what went wrong and what to do, and never carries secrets.
/// </summary>
public sealed class BackchannelException : Exception
{
    public BackchannelException(string kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    /// <summary>One of the constants in <see cref="ErrorKinds"/>.</summary>
    public string Kind { get; }
}

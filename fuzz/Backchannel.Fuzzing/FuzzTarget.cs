namespace Backchannel.Fuzzing;

/// <summary>
/// One fuzz target: a parser of untrusted bytes and the typed errors its contract allows. Any other exception
/// escapes <see cref="Execute"/>, which is what the fuzzer reports as a crash and the replay tests fail on.
/// </summary>
public sealed class FuzzTarget
{
    private readonly Action<byte[]> _run;
    private readonly Type[] _expected;

    /// <summary>A target that runs <paramref name="run"/> and accepts the <paramref name="expected"/> exception types.</summary>
    public FuzzTarget(string name, string description, Action<byte[]> run, params Type[] expected)
    {
        Name = name;
        Description = description;
        _run = run;
        _expected = expected;
    }

    /// <summary>The name on the command line and of the corpus folder.</summary>
    public string Name { get; }

    /// <summary>What the target feeds the input to.</summary>
    public string Description { get; }

    /// <summary>The exception types (and their subclasses) that are an accepted outcome.</summary>
    public IReadOnlyList<Type> ExpectedErrors => _expected;

    /// <summary>
    /// Runs one input. Returns null when it was accepted, the typed error when it was refused; anything else is
    /// thrown to the caller.
    /// </summary>
    public Exception? Execute(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            _run(input);
            return null;
        }
        catch (Exception e) when (IsExpected(e))
        {
            return e;
        }
    }

    private bool IsExpected(Exception e) => Array.Exists(_expected, t => t.IsInstanceOfType(e));

    /// <inheritdoc />
    public override string ToString() => Name;
}

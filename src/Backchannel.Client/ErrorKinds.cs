namespace Backchannel.Client;

/// <summary>The error words scripts can rely on (<c>{"error": KIND}</c>).</summary>
public static class ErrorKinds
{
    public const string NotInitialised = "NotInitialised";
    public const string AlreadyInitialised = "AlreadyInitialised";
    public const string UnknownAlias = "UnknownAlias";
    public const string AliasTaken = "AliasTaken";
    public const string AlreadyContact = "AlreadyContact";
    public const string RelayUnreachable = "RelayUnreachable";
    public const string RelayError = "RelayError";
    public const string RelayMismatch = "RelayMismatch";

    /// <summary>The relay's TLS certificate failed validation, or does not match the pinned key.</summary>
    public const string RelayCertificateInvalid = "RelayCertificateInvalid";
    public const string MalformedInvite = "MalformedInvite";
    public const string OwnInvite = "OwnInvite";
    public const string IdentityMismatch = "IdentityMismatch";
    public const string IdentityChanged = "IdentityChanged";
    public const string NoSession = "NoSession";
    public const string TrustRootMismatch = "TrustRootMismatch";
    public const string UnknownChannel = "UnknownChannel";
    public const string ChannelTaken = "ChannelTaken";
    public const string NotMember = "NotMember";
    public const string BadRequest = "BadRequest";
    public const string LinkTimeout = "LinkTimeout";

    /// <summary>The store is protected by a passphrase and none was given (non-interactive).</summary>
    public const string PassphraseRequired = "PassphraseRequired";
    public const string WrongPassphrase = "WrongPassphrase";

    /// <summary>The store's key file is missing or foreign, or a sealed value in the store was altered.</summary>
    public const string StoreUnreadable = "StoreUnreadable";
}

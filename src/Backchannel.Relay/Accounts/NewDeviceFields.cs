using Backchannel.Relay.Auth;

namespace Backchannel.Relay.Accounts;

/// <summary>The checks every new device passes, whether it registers an account or links to one.</summary>
internal static class NewDeviceFields
{
    /// <summary>libsignal registration ids are 14 bits; anything in 16 bits is accepted as opaque.</summary>
    private const int MaxRegistrationId = 0xFFFF;

    /// <summary>Null when the credential and registration id are well formed, else the reason for a 400.</summary>
    internal static string? Check(string? credential, int? registrationId)
    {
        if (!Credentials.IsWellFormed(credential))
        {
            return $"credential must be {Credentials.MinLength} to {Credentials.MaxLength} base64url characters.";
        }
        if (registrationId is not int id || id is < 0 or > MaxRegistrationId)
        {
            return $"registrationId must be a number from 0 to {MaxRegistrationId}.";
        }
        return null;
    }
}

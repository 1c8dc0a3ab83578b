using Backchannel.Relay.Storage;

namespace Backchannel.Relay.Keys;

/// <summary>
/// Checks uploaded keys and turns them into store records. The relay never parses key bytes (they are opaque);
/// it only bounds their sizes and counts. Each method returns null on success or the problem detail text.
/// </summary>
internal static class KeyValidation
{
    public static string? TryConvert(KeysUploadRequest request, RelayLimits limits, out PreKeyUpdate update)
    {
        update = new PreKeyUpdate(null, null, [], []);
        SignedPreKey? signed = null;
        SignedPreKey? lastResort = null;
        string? error =
            (request.SignedPreKey is null ? null : TryConvert(request.SignedPreKey, "signedPreKey", limits, out signed))
            ?? (request.KyberLastResortPreKey is null ? null : TryConvert(request.KyberLastResortPreKey, "kyberLastResortPreKey", limits, out lastResort));
        if (error is not null)
        {
            return error;
        }

        List<PreKeyDto?> preKeyDtos = request.PreKeys ?? [];
        List<SignedPreKeyDto?> kyberDtos = request.KyberPreKeys ?? [];
        if (preKeyDtos.Count > limits.MaxPreKeysPerUpload || kyberDtos.Count > limits.MaxPreKeysPerUpload)
        {
            return $"At most {limits.MaxPreKeysPerUpload} one-time prekeys of each kind per upload.";
        }

        var preKeys = new List<PreKey>(preKeyDtos.Count);
        for (int i = 0; i < preKeyDtos.Count; i++)
        {
            PreKeyDto? dto = preKeyDtos[i];
            string where = $"preKeys[{i}]";
            if (dto?.Id is not uint id || dto.PublicKey is null)
            {
                return $"{where} needs id and publicKey.";
            }

            if (SizeError(dto.PublicKey, $"{where}.publicKey", limits.MaxKeyBytes) is string sizeError)
            {
                return sizeError;
            }

            preKeys.Add(new PreKey(id, dto.PublicKey));
        }

        var kyberPreKeys = new List<SignedPreKey>(kyberDtos.Count);
        for (int i = 0; i < kyberDtos.Count; i++)
        {
            if (kyberDtos[i] is not SignedPreKeyDto dto)
            {
                return $"kyberPreKeys[{i}] needs id, publicKey and signature.";
            }

            if (TryConvert(dto, $"kyberPreKeys[{i}]", limits, out SignedPreKey? key) is string keyError)
            {
                return keyError;
            }

            kyberPreKeys.Add(key!);
        }

        update = new PreKeyUpdate(signed, lastResort, preKeys, kyberPreKeys);
        return null;
    }

    public static string? CheckIdentityKey(byte[]? identityKey, RelayLimits limits) =>
        identityKey is null ? "identityKey is required." : SizeError(identityKey, "identityKey", limits.MaxKeyBytes);

    public static SignedPreKeyDto ToDto(SignedPreKey key) => new() { Id = key.Id, PublicKey = key.PublicKey, Signature = key.Signature };

    public static PreKeyDto ToDto(PreKey key) => new() { Id = key.Id, PublicKey = key.PublicKey };

    private static string? TryConvert(SignedPreKeyDto dto, string where, RelayLimits limits, out SignedPreKey? key)
    {
        key = null;
        if (dto.Id is not uint id || dto.PublicKey is null || dto.Signature is null)
        {
            return $"{where} needs id, publicKey and signature.";
        }

        string? error = SizeError(dto.PublicKey, $"{where}.publicKey", limits.MaxKeyBytes)
            ?? SizeError(dto.Signature, $"{where}.signature", limits.MaxSignatureBytes);
        if (error is null)
        {
            key = new SignedPreKey(id, dto.PublicKey, dto.Signature);
        }

        return error;
    }

    private static string? SizeError(byte[] bytes, string where, int max) =>
        bytes.Length is 0 || bytes.Length > max ? $"{where} must be 1 to {max} bytes." : null;
}

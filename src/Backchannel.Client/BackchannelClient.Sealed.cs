using Backchannel.Client.Crypto;
using Backchannel.Client.Relay;
using Backchannel.Client.Storage;

namespace Backchannel.Client;

// Sealed sender: the relay's trust root pinned on first use, our access key, contacts' access keys, and the cached
// sender certificate. Sending sealed needs the recipient's access key; without one we send as before.
public sealed partial class BackchannelClient
{
    /// <summary>The relay's access keys are 16 bytes (docs/relay-api.md, as Signal's unidentified-access keys).</summary>
    internal const int AccessKeyLength = 16;

    /// <summary>The relay type of a sealed-sender message (Signal's UNIDENTIFIED_SENDER envelope type).</summary>
    internal const int SealedMessageType = 6;

    /// <summary>A sender certificate is replaced this long before it expires (they last 24 hours).</summary>
    private static readonly TimeSpan CertificateRenewal = TimeSpan.FromHours(1);

    private void SaveAccessKeyLocked(string account, byte[] accessKey) =>
        _store.Execute("INSERT INTO contact_access(account, access_key) VALUES($a, $k) " +
            "ON CONFLICT(account) DO UPDATE SET access_key = excluded.access_key", ("$a", account),
            ("$k", _store.Seal(AccessKeyPlace, accessKey)));

    private byte[]? AccessKeyOfLocked(string account) =>
        _store.Unseal(AccessKeyPlace, _store.Scalar("SELECT access_key FROM contact_access WHERE account = $a", ("$a", account)));

    private const string AccessKeyPlace = "contact_access.access_key";

    /// <summary>The pinned trust root, fetched and pinned the first time; null when the relay cannot be asked now.</summary>
    private async Task<byte[]?> TrustRootAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_store.GetMeta(MetaKeys.TrustRoot) is { } pinned)
            {
                return pinned;
            }
        }
        try
        {
            TrustRootResponse answer = await Relay().GetTrustRootAsync(ct).ConfigureAwait(false);
            if (answer.TrustRoot is not { Length: 33 })
            {
                return null;
            }
            lock (_gate)
            {
                _store.SetMeta(MetaKeys.TrustRoot, answer.TrustRoot);
            }
            return answer.TrustRoot;
        }
        catch (Exception e) when (e is RelayUnreachableException or RelayProblemException)
        {
            return null;
        }
    }

    /// <summary>Our sender certificate, cached until shortly before it expires; null when none can be had now.</summary>
    private async Task<byte[]?> SenderCertificateAsync(RelayClient relay, CancellationToken ct)
    {
        long renewBy = Now() + (long)CertificateRenewal.TotalMilliseconds;
        lock (_gate)
        {
            if (_store.GetMeta(MetaKeys.SenderCertificate) is { } cached && SessionCrypto.CertificateExpiry(cached) > renewBy)
            {
                return cached;
            }
        }
        try
        {
            CertificateResponse answer = await relay.GetSenderCertificateAsync(ct).ConfigureAwait(false);
            if (!(SessionCrypto.CertificateExpiry(answer.Certificate) > Now()))
            {
                return null;
            }
            lock (_gate)
            {
                _store.SetMeta(MetaKeys.SenderCertificate, answer.Certificate);
            }
            return answer.Certificate;
        }
        catch (Exception e) when (e is RelayUnreachableException or RelayProblemException)
        {
            return null;
        }
    }

    /// <summary>
    /// Sends what of <paramref name="batch"/> can go sealed (recipients whose access key we hold), one request per
    /// recipient. Returns the rows left for normal sending, or null when the relay is unreachable or busy.
    /// </summary>
    private async Task<List<(long Seq, OutgoingMessageDto Message)>?> SendSealedAsync(
        RelayClient relay, List<(long Seq, OutgoingMessageDto Message)> batch, CancellationToken ct)
    {
        var rest = new List<(long Seq, OutgoingMessageDto Message)>();
        Dictionary<string, byte[]> keys;
        lock (_gate)
        {
            keys = batch.Select(b => b.Message.To).Distinct()
                .Select(to => (to, key: AccessKeyOfLocked(to)))
                .Where(k => k.key is not null)
                .ToDictionary(k => k.to, k => k.key!);
        }
        byte[]? certificate = keys.Count == 0 ? null : await SenderCertificateAsync(relay, ct).ConfigureAwait(false);
        if (certificate is null)
        {
            return batch;
        }
        foreach (IGrouping<string, (long Seq, OutgoingMessageDto Message)> group in batch.GroupBy(b => b.Message.To))
        {
            if (!keys.TryGetValue(group.Key, out byte[]? accessKey))
            {
                rest.AddRange(group);
                continue;
            }
            List<OutgoingMessageDto> sealedMessages;
            try
            {
                lock (_gate)
                {
                    sealedMessages = group.Select(b => b.Message with
                    {
                        Type = SealedMessageType,
                        Content = _crypto.Seal(b.Message.To, b.Message.Device, certificate, b.Message.Type, b.Message.Content),
                    }).ToList();
                }
            }
            catch (CryptoFailure)
            {
                rest.AddRange(group);
                continue;
            }
            try
            {
                await relay.SendSealedAsync(sealedMessages, accessKey, ct).ConfigureAwait(false);
                MarkDelivered(group.Select(b => b.Seq).ToList(), failed: false);
            }
            catch (RelayUnreachableException)
            {
                _lastFlushFailure = _time.GetUtcNow();
                return null;
            }
            catch (RelayProblemException e) when (e.Status == System.Net.HttpStatusCode.TooManyRequests)
            {
                OnNotice($"The relay is rate-limiting sends ({e.Message}); the outbox stays queued.");
                return null;
            }
            catch (RelayProblemException)
            {
                // A stale access key (401) or a refused message: send these the ordinary way, which sorts out failures.
                rest.AddRange(group);
            }
        }
        return rest.OrderBy(r => r.Seq).ToList();
    }
}

using System.Security.Claims;
using Backchannel.Relay.Auth;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Certificates;

/// <summary>Sender certificates for sealed sending (docs/relay-api.md, Sender certificates).</summary>
internal static class CertificateApi
{
    public static IEndpointRouteBuilder MapCertificates(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/certificate/trust-root", TrustRoot).AllowAnonymous();
        routes.MapGet("/v1/certificate", IssueAsync).RequireAuthorization();
        return routes;
    }

    private static Ok<TrustRootResponse> TrustRoot(SenderCertificateIssuer issuer) =>
        TypedResults.Ok(new TrustRootResponse(issuer.TrustRoot.Serialize()));

    private static async Task<Results<Ok<CertificateResponse>, ProblemHttpResult>> IssueAsync(
        ClaimsPrincipal user, IAccountStore accounts, SenderCertificateIssuer issuer, RelayLimits limits, TimeProvider time,
        ILogger<SenderCertificateIssuer> logger, CancellationToken cancellationToken)
    {
        DeviceAddress device = user.GetDevice();
        AccountRecord? account = await accounts.GetAccountAsync(device.Account, cancellationToken).ConfigureAwait(false);
        if (account is null)
        {
            // Removed between authentication and now.
            return Problems.Unauthorized(Problems.DefaultDetail(StatusCodes.Status401Unauthorized));
        }

        long expires = (time.GetUtcNow() + limits.SenderCertificateLifetime).ToUnixTimeMilliseconds();
        byte[]? certificate = issuer.Issue(device, account.IdentityKey, expires);
        if (certificate is null)
        {
            return Problems.Conflict(
                "The account's identity key is not a Curve25519 public key (0x05 and 32 bytes), so no sender certificate can name it.");
        }

        logger.SenderCertificateIssued();
        return TypedResults.Ok(new CertificateResponse(certificate));
    }
}

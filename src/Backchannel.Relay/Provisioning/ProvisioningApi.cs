using Backchannel.Relay.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Provisioning;

/// <summary>
/// Provisioning mailboxes (docs/relay-api.md, Devices): the new device opens one and shows its id (with its
/// ephemeral public key) to an existing device, which puts an encrypted message in; the new device polls for it.
/// The random id is the capability for reading, so reading needs no account; writing needs an existing device.
/// </summary>
internal static class ProvisioningApi
{
    public static IEndpointRouteBuilder MapProvisioning(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/provisioning", Open).AllowAnonymous().RequireRateLimiting(RateLimits.ProvisioningOpenPolicy);
        routes.MapPut("/v1/provisioning/{id}", PutAsync).RequireAuthorization();
        routes.MapGet("/v1/provisioning/{id}", Take).AllowAnonymous().RequireRateLimiting(RateLimits.ProvisioningPollPolicy);
        return routes;
    }

    private static Results<Ok<ProvisioningIdResponse>, ProblemHttpResult> Open(ProvisioningMailboxes mailboxes, RelayLimits limits, ILogger<ProvisioningMailboxes> logger)
    {
        if (mailboxes.Open() is not Guid id)
        {
            logger.RateLimited("open provisioning mailboxes");
            return Problems.TooManyRequests($"{limits.MaxOpenProvisioningMailboxes} provisioning mailboxes are open on this relay; retry later.");
        }

        logger.Provisioning("opened");
        return TypedResults.Ok(new ProvisioningIdResponse(Ids.Format(id)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> PutAsync(
        string id, HttpRequest request, ProvisioningMailboxes mailboxes, RelayLimits limits, ILogger<ProvisioningMailboxes> logger,
        CancellationToken cancellationToken)
    {
        if (!Ids.TryParse(id, out Guid mailbox))
        {
            return Problems.BadRequest("The provisioning id must be a lowercase UUID.");
        }

        (ProvisioningMessageDto? body, ProblemHttpResult? problem) = await JsonBody.ReadAsync<ProvisioningMessageDto>(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        if (body.Message is not { Length: > 0 } message || message.Length > limits.MaxProvisioningMessageBytes)
        {
            return Problems.BadRequest($"message must be base64 of 1 to {limits.MaxProvisioningMessageBytes} bytes.");
        }

        switch (mailboxes.Put(mailbox, message))
        {
            case ProvisioningMailboxes.PutResult.NotFound:
                return Problems.NotFound("No such provisioning mailbox (or it expired).");
            case ProvisioningMailboxes.PutResult.Taken:
                return Problems.Conflict("This provisioning mailbox has received its message already.");
        }

        logger.Provisioning("filled");
        return TypedResults.NoContent();
    }

    private static Results<Ok<ProvisioningMessageDto>, ProblemHttpResult> Take(string id, ProvisioningMailboxes mailboxes, ILogger<ProvisioningMailboxes> logger)
    {
        if (!Ids.TryParse(id, out Guid mailbox))
        {
            return Problems.BadRequest("The provisioning id must be a lowercase UUID.");
        }

        if (mailboxes.Take(mailbox) is not byte[] message)
        {
            return Problems.NotFound("No message in this provisioning mailbox yet (or it expired, or it was fetched).");
        }

        logger.Provisioning("emptied");
        return TypedResults.Ok(new ProvisioningMessageDto { Message = message });
    }
}

using System.Security.Claims;
using Backchannel.Relay.Auth;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Messages;
using Backchannel.Relay.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.WebSockets;

/// <summary><c>GET /v1/websocket</c>: push of the caller's mailbox, and sends from it (docs/relay-api.md, WebSocket push).</summary>
internal static class WebSocketApi
{
    public static IEndpointRouteBuilder MapWebSockets(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/websocket", ConnectAsync).RequireAuthorization();
        return routes;
    }

    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> ConnectAsync(
        HttpContext context, ClaimsPrincipal user, IAccountStore accounts, IMessageStore messages, MessageNotifier notifier, MessageSender sender, RelayLimits limits,
        IHostApplicationLifetime lifetime, ILogger<WebSocketSession> logger)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Problems.BadRequest("This endpoint needs a WebSocket upgrade.");
        }

        bool batched = false;
        if (context.Request.Query.TryGetValue("batched", out var values)
            && (values.Count != 1 || !bool.TryParse(values[0], out batched)))
        {
            return Problems.BadRequest("batched must be true or false.");
        }

        using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping, context.RequestAborted);
        var session = new WebSocketSession(socket, user.GetDevice(), accounts, messages, notifier, sender, limits, logger, batched);
        await session.RunAsync(stopping.Token).ConfigureAwait(false);
        return TypedResults.Empty;
    }
}

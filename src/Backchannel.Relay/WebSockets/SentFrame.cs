using System.Text.Json.Serialization;
using Backchannel.Relay.Messages;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Backchannel.Relay.WebSockets;

/// <summary>
/// The relay's answer to a <c>"send"</c> frame: the status <c>POST /v1/messages</c> would have answered, and its
/// body's fields: the <c>results</c> on 200, else the problem's <c>title</c> and <c>detail</c> (docs/relay-api.md).
/// </summary>
internal sealed record SentFrame(
    string Type,
    string RequestId,
    int Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<SendResultDto>? Results = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Title = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail = null)
{
    /// <summary>The same answer the HTTP endpoint gives, as a frame for <paramref name="requestId"/>.</summary>
    public static SentFrame From(string requestId, Results<Ok<SendResponse>, ProblemHttpResult> result) => result.Result switch
    {
        Ok<SendResponse> ok => new SentFrame(WebSocketFrame.SentType, requestId, ok.StatusCode, Results: ok.Value!.Results),
        ProblemHttpResult problem => new SentFrame(
            WebSocketFrame.SentType, requestId, problem.StatusCode, Title: problem.ProblemDetails.Title, Detail: problem.ProblemDetails.Detail),
        _ => throw new InvalidOperationException("A send answers 200 or a problem."),
    };
}

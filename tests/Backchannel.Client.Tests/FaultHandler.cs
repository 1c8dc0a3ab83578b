namespace Backchannel.Client.Tests;

/// <summary>
/// Sits between a client and the relay: <see cref="Before"/> may refuse a request (throwing as a dead network
/// does), <see cref="After"/> may drop an answer the relay already acted on.
/// </summary>
internal sealed class FaultHandler : DelegatingHandler
{
    public FaultHandler()
        : base(new SocketsHttpHandler())
    {
    }

    public Func<HttpRequestMessage, bool> Before { get; set; } = _ => false;

    public Func<HttpRequestMessage, bool> After { get; set; } = _ => false;

    /// <summary>Rewrites the body of an answer (e.g. tampers with a fetched ciphertext); null leaves it alone.</summary>
    public Func<HttpRequestMessage, string, string?> Rewrite { get; set; } = (_, _) => null;

    public static bool Is(HttpRequestMessage r, string method, string pathStart) =>
        r.Method.Method == method && r.RequestUri!.AbsolutePath.StartsWith(pathStart, StringComparison.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Before(request))
        {
            throw new HttpRequestException("injected: connection refused");
        }
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        if (After(request))
        {
            response.Dispose();
            throw new HttpRequestException("injected: connection reset after the relay answered");
        }
        if (response.Content is not null && response.IsSuccessStatusCode)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            string? rewritten = Rewrite(request, body);
            if (rewritten is not null)
            {
                var replaced = new StringContent(rewritten, System.Text.Encoding.UTF8, "application/json");
                response.Content = replaced;
            }
        }
        return response;
    }
}

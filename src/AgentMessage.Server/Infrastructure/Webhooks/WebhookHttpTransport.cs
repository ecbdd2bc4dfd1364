using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using AgentMessage.Core.Webhooks;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Infrastructure.Webhooks;

/// <summary>
/// POSTs deliveries through the destination policy's handler (no redirects, no proxy, every
/// connection's addresses checked). An attempt is bounded by <see cref="WebhookOptions.Timeout"/>
/// end to end, and at most <see cref="MaxResponseBytes"/> of an answer is read: only its status counts.
/// </summary>
public sealed class WebhookHttpTransport : IWebhookTransport, IDisposable
{
    public const int MaxResponseBytes = 64 * 1024;

    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly ProductInfoHeaderValue UserAgent = new("AgentMessage-Webhooks", "1.0");

    private readonly HttpClient client;
    private readonly TimeSpan timeout;

    public WebhookHttpTransport(WebhookDestinationPolicy policy, IOptions<WebhookOptions> options)
    {
        timeout = options.Value.Timeout;
        client = new HttpClient(policy.CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async ValueTask<WebhookResponse> PostAsync(string url, ReadOnlyMemory<byte> body, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ReadOnlyMemoryContent(body) };
            request.Content.Headers.ContentType = Json;
            request.Headers.UserAgent.Add(UserAgent);
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            await DrainAsync(response, deadline.Token);
            return new WebhookResponse((int)response.StatusCode, null, Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookResponse(0, "timeout", Stopwatch.GetElapsedTime(started));
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or InvalidOperationException or UriFormatException)
        {
            return new WebhookResponse(0, Describe(exception), Stopwatch.GetElapsedTime(started));
        }
    }

    public void Dispose() => client.Dispose();

    /// <summary>Reads (and discards) at most <see cref="MaxResponseBytes"/> of the answer, so the
    /// connection can be reused when the answer is short, and a huge one costs nothing.</summary>
    private static async Task DrainAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[4096];
        var total = 0;
        int read;
        while (total < MaxResponseBytes && (read = await stream.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, MaxResponseBytes - total)), cancellationToken)) > 0)
        {
            total += read;
        }
    }

    /// <summary>A short, stable description of a failure without an answer; never the URL or a secret.</summary>
    private static string Describe(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case WebhookDestinationRefusedException:
                    return "address not allowed";
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return "connection refused";
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain }:
                    return "host not found";
                case SocketException socket:
                    return "network error: " + socket.SocketErrorCode;
                case System.Security.Authentication.AuthenticationException:
                    return "tls handshake failed";
            }
        }

        return exception is HttpRequestException { HttpRequestError: var error } && error != HttpRequestError.Unknown
            ? "http error: " + error
            : "connection failed";
    }
}

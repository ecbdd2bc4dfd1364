using AgentMessage.Core.Webhooks;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Infrastructure.Webhooks;

// TEMPORARY until the destination policy lands.
public sealed class WebhookDestinationRefusedException(string message) : IOException(message);

public sealed class WebhookDestinationPolicy(IOptions<WebhookOptions> options)
{
    public ValueTask<string?> CheckAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "https" && (options.Value.RequireHttps || uri.Scheme != "http")))
        {
            return ValueTask.FromResult<string?>("must be an absolute https URL");
        }

        return ValueTask.FromResult<string?>(null);
    }

    public SocketsHttpHandler CreateHandler() => new() { AllowAutoRedirect = false, UseProxy = false, UseCookies = false };
}

using AgentMessage.Core.Webhooks;

namespace AgentMessage.Server.Infrastructure.Webhooks;

/// <summary>The domain's creation-time URL check, answered by the destination policy.</summary>
public sealed class WebhookDestinationCheck(WebhookDestinationPolicy policy) : IWebhookDestinationCheck
{
    public ValueTask<string?> CheckAsync(string url, CancellationToken cancellationToken) => policy.CheckAsync(url, cancellationToken);
}

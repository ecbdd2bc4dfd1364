using AgentMessage.Core.Delivery;

namespace AgentMessage.Core.Webhooks;

/// <summary>
/// Webhook endpoints and their pending deliveries (docs/API.md section 13). On Redis every pending
/// delivery is durable and any instance may deliver it; a taken delivery is leased, and returns to
/// the queue when its taker dies. An endpoint's deliveries in flight are capped across instances.
/// A store rings <see cref="WebhookSignals.Work"/> (on every instance it serves) when it queues a
/// delivery or enables an endpoint, so the deliverer looks at once.
/// </summary>
public interface IWebhookStore
{
    /// <summary>Adds the endpoint unless the organization already has <paramref name="maxPerOrganization"/>: false then.
    /// The endpoint receives the organization's events from now on.</summary>
    ValueTask<bool> CreateAsync(string organizationId, WebhookEndpoint endpoint, int maxPerOrganization, CancellationToken cancellationToken);

    ValueTask<WebhookEndpoint?> GetAsync(string organizationId, string endpointId, CancellationToken cancellationToken);

    /// <summary>Every endpoint of the organization in the order they were created (two created in
    /// one millisecond keep their order).</summary>
    ValueTask<IReadOnlyList<WebhookEndpoint>> ListAsync(string organizationId, CancellationToken cancellationToken);

    /// <summary>Replaces a stored endpoint (false when it is gone). Enabling a disabled endpoint
    /// makes its pending deliveries due now.</summary>
    ValueTask<bool> UpdateAsync(string organizationId, WebhookEndpoint endpoint, CancellationToken cancellationToken);

    /// <summary>Deletes the endpoint and its pending deliveries and attempt log; false when there was none.</summary>
    ValueTask<bool> DeleteAsync(string organizationId, string endpointId, CancellationToken cancellationToken);

    /// <summary>The organizations that have endpoints.</summary>
    ValueTask<IReadOnlyList<string>> OrganizationsAsync(CancellationToken cancellationToken);

    /// <summary>Status events of the organization not yet fanned out, oldest first (those a dead
    /// instance read but never fanned out included).</summary>
    ValueTask<IReadOnlyList<StatusEvent>> ReadEventsAsync(string organizationId, int max, CancellationToken cancellationToken);

    /// <summary>Queues each event, due now, for every enabled endpoint subscribed to its type, at
    /// most once per endpoint and event, and marks <paramref name="read"/> as fanned out.</summary>
    ValueTask FanOutAsync(string organizationId, IReadOnlyList<StatusEvent> read, IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken);

    /// <summary>Queues one event for one endpoint, due now, whatever it subscribes to (a test event).</summary>
    ValueTask EnqueueAsync(string organizationId, string endpointId, WebhookEvent webhookEvent, CancellationToken cancellationToken);

    /// <summary>Takes up to <paramref name="max"/> due deliveries of enabled endpoints, no endpoint
    /// past <paramref name="maxInFlightPerEndpoint"/>, each leased for <paramref name="lease"/>.</summary>
    ValueTask<WebhookClaim> ClaimAsync(string organizationId, int max, int maxInFlightPerEndpoint, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Records settled attempts: drops, reschedules or keeps each job, logs the attempt,
    /// and disables an endpoint that answered 410 or whose attempts have all failed since
    /// <paramref name="disableAfter"/> ago.</summary>
    ValueTask SettleAsync(string organizationId, IReadOnlyList<WebhookSettlement> settlements, TimeSpan disableAfter, int attemptLogLength, CancellationToken cancellationToken);

    /// <summary>The endpoint's attempts, newest first, from before <paramref name="before"/> (a
    /// position from an earlier page; null for the newest), and the position of the next page.</summary>
    ValueTask<(IReadOnlyList<WebhookAttempt> Attempts, long? Next)> AttemptsAsync(string organizationId, string endpointId, long? before, int count, CancellationToken cancellationToken);
}

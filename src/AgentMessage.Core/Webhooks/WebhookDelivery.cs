namespace AgentMessage.Core.Webhooks;

/// <summary>
/// One event bound for one endpoint, pending until delivered or given up. <see cref="EventId"/> is
/// the webhook-id header, the same on every attempt; <see cref="Body"/> is the exact bytes signed
/// and sent, fixed when the event was fanned out. <see cref="Attempt"/> is the number the next
/// attempt will have (1 for the first).
/// </summary>
public sealed record WebhookJob(string EndpointId, string EventId, string Type, int Attempt, ReadOnlyMemory<byte> Body)
{
    /// <summary>A job's id: one per endpoint and event, so fanning an event out twice queues it once.</summary>
    public string JobId => JobIdOf(EndpointId, EventId);

    public static string JobIdOf(string endpointId, string eventId) => $"{endpointId}|{eventId}";
}

/// <summary>An event ready to be fanned out to the organization's endpoints that subscribe to its type.</summary>
public sealed record WebhookEvent(string EventId, string Type, ReadOnlyMemory<byte> Body);

/// <summary>What became of one attempt (docs/API.md section 13).</summary>
public enum WebhookOutcome
{
    Succeeded = 1,
    Retrying = 2,
    Failed = 3,
}

/// <summary>One delivery attempt as ListWebhookDeliveries shows it.</summary>
public sealed record WebhookAttempt(
    string EventId,
    string Type,
    int Attempt,
    DateTimeOffset AttemptedAt,
    int ResponseStatus,
    string? Error,
    int DurationMs,
    WebhookOutcome Outcome,
    DateTimeOffset? NextRetryAt);

/// <summary>What a delivery attempt leads to, for the store to record in one step.</summary>
public enum WebhookDisposition
{
    /// <summary>Delivered: drop the job, the endpoint is healthy.</summary>
    Delivered,

    /// <summary>Failed: attempt again at <see cref="WebhookSettlement.RetryAt"/>.</summary>
    Retry,

    /// <summary>Failed for the last time: drop the job.</summary>
    GiveUp,

    /// <summary>The endpoint answered 410 Gone: disable it, keep the job for a re-enable.</summary>
    Gone,
}

/// <summary>The settled attempt of one job.</summary>
public sealed record WebhookSettlement(WebhookJob Job, WebhookDisposition Disposition, DateTimeOffset? RetryAt, WebhookAttempt Attempt);

/// <summary>Jobs taken for delivery, and when the organization next has one due (null: none pending).</summary>
public sealed record WebhookClaim(IReadOnlyList<WebhookJob> Jobs, DateTimeOffset? NextDueAt)
{
    public static WebhookClaim Empty { get; } = new([], null);
}

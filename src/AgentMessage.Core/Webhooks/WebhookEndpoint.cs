namespace AgentMessage.Core.Webhooks;

/// <summary>
/// An organization's webhook endpoint as stored. <see cref="Secret"/> signs every delivery;
/// <see cref="PreviousSecret"/> signs beside it until <see cref="PreviousSecretExpiresAt"/> after a
/// rotation. <see cref="DisabledReason"/> is null while enabled, else why: <see cref="WebhookDisabledReasons"/>.
/// </summary>
public sealed record WebhookEndpoint(
    string Id,
    string Url,
    IReadOnlyList<string> Events,
    string Description,
    string? DisabledReason,
    string Secret,
    string? PreviousSecret,
    DateTimeOffset? PreviousSecretExpiresAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Enabled => DisabledReason is null;

    /// <summary>The secrets that sign a delivery made at <paramref name="now"/>: the current one, and
    /// the previous one while it is still within its overlap.</summary>
    public IReadOnlyList<string> SigningSecrets(DateTimeOffset now) =>
        PreviousSecret is not null && PreviousSecretExpiresAt > now ? [Secret, PreviousSecret] : [Secret];
}

/// <summary>Why an endpoint is disabled (the API shows the first two; the third is the organization's own doing).</summary>
public static class WebhookDisabledReasons
{
    /// <summary>The endpoint answered 410 Gone.</summary>
    public const string Gone = "gone";

    /// <summary>Every attempt failed for <see cref="WebhookOptions.DisableAfter"/>.</summary>
    public const string Failing = "failing";

    /// <summary>Disabled through UpdateWebhook.</summary>
    public const string Manual = "manual";
}

/// <summary>The event types an endpoint can subscribe to, and the test event.</summary>
public static class WebhookEventTypes
{
    public const string MessageStatus = "message.status";
    public const string MessageReceived = "message.received";
    public const string Test = "webhook.test";

    /// <summary>The types a subscription may name.</summary>
    public static readonly IReadOnlyList<string> Subscribable = [MessageStatus, MessageReceived];
}

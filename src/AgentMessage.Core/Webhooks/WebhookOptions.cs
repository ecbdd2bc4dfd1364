namespace AgentMessage.Core.Webhooks;

/// <summary>Webhook endpoints and their deliveries (AgentMessage:Webhooks, docs/API.md section 13).
/// Every instance sharing a Redis must use the same values of <see cref="RequireHttps"/> and
/// <see cref="AllowPrivateNetworks"/>: any instance may deliver any endpoint's events.</summary>
public sealed class WebhookOptions
{
    public const string Section = "AgentMessage:Webhooks";

    /// <summary>The schedule shipped when none is configured: each entry is the wait after the
    /// previous attempt, about 27 hours in all, 8 attempts.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultRetrySchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>How long one attempt may take, connection included; an answer after it is a failure.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The waits between attempts. Null (the default) ships <see cref="DefaultRetrySchedule"/>; a
    /// configured list replaces it entirely. It is null rather than pre-filled because the
    /// configuration binder appends to a list that already has items.
    /// </summary>
    public List<TimeSpan>? RetrySchedule { get; set; }

    /// <summary>An endpoint whose every attempt has failed for this long is disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>Only https URLs are accepted (and delivered to).</summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>Allows destinations on loopback, private, link-local, CGNAT and unspecified
    /// addresses: for tests and private deployments only.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Endpoints one organization may have.</summary>
    public int MaxPerOrganization { get; set; } = 10;

    /// <summary>Deliveries one endpoint may have in flight at once, across every instance.</summary>
    public int MaxInFlightPerEndpoint { get; set; } = 10;

    /// <summary>Deliveries one instance may have in flight at once, all endpoints together.</summary>
    public int MaxInFlight { get; set; } = 256;

    /// <summary>How long the previous secret keeps signing after a rotation.</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Delivery attempts kept per endpoint for ListWebhookDeliveries.</summary>
    public int AttemptLogLength { get; set; } = 1000;

    /// <summary>Whether this instance fans events out and delivers them (it still serves the RPCs).</summary>
    public bool DeliveryEnabled { get; set; } = true;

    /// <summary>The schedule in force.</summary>
    public IReadOnlyList<TimeSpan> EffectiveRetrySchedule => RetrySchedule is { Count: > 0 } configured ? configured : DefaultRetrySchedule;

    /// <summary>Problems with the values, for start-up validation.</summary>
    public IEnumerable<string> Problems()
    {
        if (Timeout < TimeSpan.FromMilliseconds(10) || Timeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{Section}:Timeout must be between 10 ms and 5 minutes";
        }

        if (RetrySchedule is not null && RetrySchedule.Any(wait => wait <= TimeSpan.Zero))
        {
            yield return $"{Section}:RetrySchedule entries must be positive durations";
        }

        if (DisableAfter <= TimeSpan.Zero)
        {
            yield return $"{Section}:DisableAfter must be positive";
        }

        if (MaxPerOrganization < 1 || MaxInFlightPerEndpoint < 1 || MaxInFlight < 1 || AttemptLogLength < 1)
        {
            yield return $"{Section}:MaxPerOrganization, MaxInFlightPerEndpoint, MaxInFlight and AttemptLogLength must be at least 1";
        }

        if (SecretOverlap < TimeSpan.Zero)
        {
            yield return $"{Section}:SecretOverlap must not be negative";
        }
    }
}

namespace AgentMessage.Core.Telemetry;

/// <summary>AgentMessage:Telemetry (docs/OBSERVABILITY.md).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "AgentMessage:Telemetry";

    /// <summary>Traces, metrics and the /metrics endpoint; false turns every one of them off.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Whether spans are recorded (attributes, Redis commands) or only their ids kept, for
    /// the logs and for propagation. Unset: recorded when an OTLP endpoint is configured, the only
    /// place they would go.</summary>
    public bool? RecordTraces { get; set; }

    /// <summary>Whether the platform's meters (ASP.NET Core hosting, Kestrel, routing, HttpClient,
    /// the runtime) are exported beside the domain's.</summary>
    public bool PlatformMetrics { get; set; } = true;

    /// <summary>How old the dispatch queue gauges' reading may be before a collection refreshes it.</summary>
    public TimeSpan QueueGaugeRefresh { get; set; } = TimeSpan.FromSeconds(5);
}

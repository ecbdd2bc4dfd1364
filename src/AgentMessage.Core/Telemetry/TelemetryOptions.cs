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

    /// <summary>Whether the platform's per-request counters that the request-duration histogram
    /// already implies are exported too: requests in flight and queued, and route match attempts.
    /// Off by default: they are most of telemetry's cost per gRPC call (docs/OBSERVABILITY.md).</summary>
    public bool PlatformRequestCounters { get; set; }

    /// <summary>How old the dispatch queue gauges' reading may be before a collection refreshes it.</summary>
    public TimeSpan QueueGaugeRefresh { get; set; } = TimeSpan.FromSeconds(5);
}

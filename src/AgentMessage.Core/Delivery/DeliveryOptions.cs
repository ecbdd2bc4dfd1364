namespace AgentMessage.Core.Delivery;

/// <summary>Dispatch and the event log (AgentMessage:Delivery).</summary>
public sealed class DeliveryOptions
{
    public const string Section = "AgentMessage:Delivery";

    /// <summary>How many events each organization's log keeps (approximately, on Redis).</summary>
    public int EventLogLength { get; set; } = 10_000;

    /// <summary>Whether this instance dispatches messages to the carrier; false for an instance that
    /// only serves the API (others dispatch what it accepts).</summary>
    public bool Dispatch { get; set; } = true;

    /// <summary>Submissions this instance has outstanding with the carrier at most: its window.
    /// Throughput is this over the carrier's answer time, not a number of threads.</summary>
    public int MaxInFlight { get; set; } = 1000;

    /// <summary>The earlier switch for an instance without dispatch, still honoured: 0 turns dispatch
    /// off as <see cref="Dispatch"/> = false does; any other value changes nothing (dispatch no longer
    /// runs on a fixed number of workers; <see cref="MaxInFlight"/> bounds it).</summary>
    public int? Workers { get; set; }

    /// <summary>Messages per second from one sender number, unless the number has its own pace.</summary>
    public double DefaultPacePerSecond { get; set; } = 10;

    /// <summary>Paces of particular sender numbers, in messages per second.</summary>
    public Dictionary<string, double> NumberPace { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A taken message whose submission has not been settled this long (its instance died,
    /// or lost the carrier's answer) is put back in the schedule and submitted again.</summary>
    public TimeSpan ReclaimAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether this instance dispatches, from both switches.</summary>
    public bool DispatchEnabled => Dispatch && Workers is not 0;
}

namespace AgentMessage.Core.Delivery;

public sealed class DeliveryOptions
{
    public const string Section = "AgentMessage:Delivery";

    /// <summary>How many events each organization's log keeps (approximately, on Redis).</summary>
    public int EventLogLength { get; set; } = 10_000;

    /// <summary>Dispatch workers per instance; 0 for an instance that only serves the API.</summary>
    public int Workers { get; set; } = 4;

    /// <summary>Messages per second from one sender number, unless the number has its own pace.</summary>
    public double DefaultPacePerSecond { get; set; } = 10;

    /// <summary>Paces of particular sender numbers, in messages per second.</summary>
    public Dictionary<string, double> NumberPace { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A dispatch entry held this long by an instance that stopped acknowledging is taken over.</summary>
    public TimeSpan ReclaimAfter { get; set; } = TimeSpan.FromSeconds(30);
}

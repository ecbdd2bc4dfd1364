namespace AgentMessage.LoadTest;

/// <summary>The dispatch scenarios' part of the command line (<see cref="LoadOptions.Usage"/>).</summary>
/// <param name="DrainMessages">The drain scenario's backlog.</param>
/// <param name="BaselineAssembly">Another AgentMessage.Server.dll the drain also runs on, for a side-by-side row.</param>
/// <param name="SustainedDuration">How long the sustained scenario sends.</param>
/// <param name="SustainedRate">Its sends per second when the drain's 50 ms rate is not measured in the same run.</param>
public sealed record DispatchOptions(int DrainMessages, string? BaselineAssembly, TimeSpan SustainedDuration, double SustainedRate)
{
    /// <summary>The webhooks scenario's sends per second (four status events, so four deliveries, each).</summary>
    public double WebhookRate { get; init; } = 600;
}

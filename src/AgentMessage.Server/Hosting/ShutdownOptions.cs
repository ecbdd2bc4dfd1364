namespace AgentMessage.Server.Hosting;

/// <summary>How the server stops (AgentMessage:Shutdown).</summary>
public sealed class ShutdownOptions
{
    public const string Section = "AgentMessage:Shutdown";

    /// <summary>How long the server keeps serving, with readiness failing and streams ended, before
    /// its listeners stop: time for a load balancer to stop sending it requests. Bounded by the
    /// host's shutdown timeout.</summary>
    public TimeSpan DrainDelay { get; set; } = TimeSpan.Zero;
}

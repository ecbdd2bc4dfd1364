namespace AgentMessage.Core.RateLimiting;

/// <summary>A token bucket's shape: how many calls may come at once, and how fast it refills.</summary>
public sealed record RateLimitPolicy(int Burst, double PerSecond)
{
    public static string? Problem(int burst, double perSecond) =>
        burst < 1 ? "burst must be at least 1" : perSecond <= 0 ? "per-second rate must be positive" : null;
}

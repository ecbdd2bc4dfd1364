namespace AgentMessage.Server.Infrastructure.Redis;

/// <summary>AgentMessage:Redis. With <see cref="Configuration"/> set, all state lives in Redis.</summary>
public sealed class RedisOptions
{
    public const string Section = "AgentMessage:Redis";

    /// <summary>A StackExchange.Redis configuration string, e.g. "localhost:6379,password=...".</summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// How long an instance may serve API keys, organizations, owned numbers, consent and lookups from
    /// its own memory. This is the staleness bound: a revoked key or withdrawn consent stops sends on
    /// every instance within it.
    /// </summary>
    public TimeSpan LocalCacheTtl { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The delay announced (Retry-After) while Redis is unreachable.</summary>
    public TimeSpan UnavailableRetryAfter { get; set; } = TimeSpan.FromSeconds(2);
}

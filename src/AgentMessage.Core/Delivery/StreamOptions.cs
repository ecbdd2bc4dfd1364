namespace AgentMessage.Core.Delivery;

/// <summary>Open StreamStatus streams (AgentMessage:Streams, docs/API.md section 9).</summary>
public sealed class StreamOptions
{
    public const string Section = "AgentMessage:Streams";

    /// <summary>Streams one API key may hold open at once, counted across every instance.</summary>
    public int MaxPerKey { get; set; } = 100;

    /// <summary>Streams one organization's keys may hold open at once, counted across every instance.</summary>
    public int MaxPerOrganization { get; set; } = 1000;

    /// <summary>How often a REST stream sends a heartbeat line, so idle streams are not cut by proxies.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often each instance checks the keys of its open streams against the key store
    /// itself (never a cache): a revoked key's streams end within this.</summary>
    public TimeSpan CredentialCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Problems with the values, for start-up validation.</summary>
    public IEnumerable<string> Problems()
    {
        if (MaxPerKey < 1)
        {
            yield return $"{Section}:MaxPerKey must be at least 1";
        }

        if (MaxPerOrganization < 1)
        {
            yield return $"{Section}:MaxPerOrganization must be at least 1";
        }

        if (HeartbeatInterval < TimeSpan.FromMilliseconds(10))
        {
            yield return $"{Section}:HeartbeatInterval must be at least 10 ms";
        }

        if (CredentialCheckInterval < TimeSpan.FromMilliseconds(10))
        {
            yield return $"{Section}:CredentialCheckInterval must be at least 10 ms";
        }
    }
}

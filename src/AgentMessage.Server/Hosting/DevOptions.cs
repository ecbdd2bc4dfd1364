namespace AgentMessage.Server.Hosting;

/// <summary>The development organization (docs/API.md section 10) and its key (AgentMessage:Dev).</summary>
public sealed class DevOptions
{
    public const string Section = "AgentMessage:Dev";

    /// <summary>Create the development organization at start-up. Always on for the embedded default.</summary>
    public bool Seed { get; set; }

    /// <summary>A fixed development key (am_live_...); absent, a new one is generated and printed.</summary>
    public string? ApiKey { get; set; }
}

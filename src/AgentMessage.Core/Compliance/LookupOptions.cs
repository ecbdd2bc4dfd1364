namespace AgentMessage.Core.Compliance;

/// <summary>Number lookups (AgentMessage:Lookups).</summary>
public sealed class LookupOptions
{
    public const string Section = "AgentMessage:Lookups";

    /// <summary>Whether the simulator's fixed table (the lookup simulator) answers
    /// for its test numbers before any other provider. On by default, like the carrier simulator.</summary>
    public bool SimulatorTable { get; set; } = true;
}

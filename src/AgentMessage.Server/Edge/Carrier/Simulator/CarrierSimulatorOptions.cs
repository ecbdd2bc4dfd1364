namespace AgentMessage.Server.Edge.Carrier.Simulator;

/// <summary>The built-in carrier simulator (AgentMessage:Carrier:Simulator).</summary>
public sealed class CarrierSimulatorOptions
{
    public const string Section = "AgentMessage:Carrier:Simulator";

    /// <summary>How long a submission takes to be answered.</summary>
    public TimeSpan SubmitLatency { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long after an accepted submission its receipt is posted.</summary>
    public TimeSpan ReceiptLatency { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Where receipts are posted; by default this server's own receipt endpoint,
    /// <c>{Kestrel:Endpoints:Rest:Url}/v1/carrier/receipts</c>.</summary>
    public string? ReceiptUrl { get; set; }

    /// <summary>How many accepted references the simulator remembers to recognise a resubmission.</summary>
    public int RememberedReferences { get; set; } = 100_000;
}

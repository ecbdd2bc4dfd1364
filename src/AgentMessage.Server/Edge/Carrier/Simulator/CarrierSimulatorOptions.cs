namespace AgentMessage.Server.Edge.Carrier.Simulator;

/// <summary>The built-in carrier simulator (AgentMessage:Carrier:Simulator). Every key here is part
/// of the public configuration (docs/API.md section 10).</summary>
public sealed class CarrierSimulatorOptions
{
    public const string Section = "AgentMessage:Carrier:Simulator";

    /// <summary>How long a submission takes to be answered.</summary>
    public TimeSpan SubmitLatency { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long after an accepted submission its receipt is reported.</summary>
    public TimeSpan ReceiptLatency { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Where receipts go. Absent (the default): in-process, straight to the receipt port every
    /// carrier link reports through, with no HTTP request and no signature. Set (an absolute URL):
    /// each receipt is posted, signed with <c>AgentMessage:Carrier:ReceiptSecret</c>, to that URL, so
    /// the simulator plays an external HTTP carrier (this server's own
    /// <c>{Rest URL}/v1/carrier/receipts</c>, or another instance's).
    /// </summary>
    public string? ReceiptUrl { get; set; }

    /// <summary>How many accepted references the simulator remembers to recognise a resubmission.</summary>
    public int RememberedReferences { get; set; } = 100_000;
}

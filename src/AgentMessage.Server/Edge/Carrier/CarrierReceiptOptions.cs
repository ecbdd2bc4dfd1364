namespace AgentMessage.Server.Edge.Carrier;

/// <summary>
/// How carriers authenticate the delivery receipts they post (AgentMessage:Carrier).
/// </summary>
public sealed class CarrierReceiptOptions
{
    public const string Section = "AgentMessage:Carrier";

    /// <summary>
    /// The secret shared with the carrier, which signs every receipt. Operators must set it (at
    /// least 16 characters) for any carrier outside this process. Unset, each process makes up a
    /// random one that only the built-in simulator knows, so only the receipts it posts itself
    /// (with <c>Simulator:ReceiptUrl</c> set to this server) are accepted; its default in-process
    /// receipts need no signature.
    /// </summary>
    public string? ReceiptSecret { get; set; }

    /// <summary>How far a receipt's timestamp may be from our clock, either way, before it is refused as a replay.</summary>
    public TimeSpan ReplayWindow { get; set; } = TimeSpan.FromSeconds(300);

    public const int MinimumSecretLength = 16;
}

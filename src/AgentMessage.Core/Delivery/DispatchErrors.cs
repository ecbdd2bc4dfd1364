namespace AgentMessage.Core.Delivery;

/// <summary>The <c>error_code</c>s dispatch itself gives a message (the carrier's own are passed through).</summary>
public static class DispatchErrors
{
    /// <summary>Not handed to the carrier before its validity period ran out.</summary>
    public const string ExpiredInQueue = "expired_in_queue";
}

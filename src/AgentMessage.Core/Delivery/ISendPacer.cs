namespace AgentMessage.Core.Delivery;

/// <summary>
/// The send pace of each sender number (messages per second): a token bucket of one token per
/// number, shared by every instance. A message over the pace waits in the queue; it is never refused.
/// </summary>
public interface ISendPacer
{
    /// <summary>Zero when the message may go now; otherwise how long to wait before asking again.</summary>
    ValueTask<TimeSpan> TryPassAsync(string organizationId, string fromNumber, CancellationToken cancellationToken);
}

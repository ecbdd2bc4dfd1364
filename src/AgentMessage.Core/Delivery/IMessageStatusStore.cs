using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Delivery;

/// <summary>Moves messages through the lifecycle and records each move as an event, atomically.</summary>
public interface IMessageStatusStore
{
    /// <summary>
    /// Moves the message to <paramref name="status"/> when the lifecycle allows it, updating the
    /// message and appending the event to the organization's log in one step. Returns the event, or
    /// null when the move was ignored (unknown message, terminal, or not forward).
    /// </summary>
    ValueTask<StatusEvent?> TransitionAsync(string organizationId, string messageId, DeliveryStatus status, string? errorCode, CancellationToken cancellationToken);
}

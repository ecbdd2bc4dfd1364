namespace AgentMessage.Core.Delivery;

/// <summary>An organization's bounded, ordered log of status events.</summary>
public interface IStatusEventLog
{
    /// <summary>Events after <paramref name="after"/> (exclusive; null for the oldest retained), oldest first.</summary>
    ValueTask<IReadOnlyList<StatusEvent>> ReadAsync(string organizationId, string? after, int count, CancellationToken cancellationToken);

    /// <summary>The id of the newest event, or null when the log is empty.</summary>
    ValueTask<string?> LastEventIdAsync(string organizationId, CancellationToken cancellationToken);

    /// <summary>The newest event no longer retained (trimmed from the log), or null when nothing was
    /// trimmed: a resume from an <c>after</c> older than it would have a gap.</summary>
    ValueTask<string?> TrimmedThroughAsync(string organizationId, CancellationToken cancellationToken);
}

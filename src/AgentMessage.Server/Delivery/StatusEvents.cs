using System.Globalization;
using AgentMessage.Server.Messaging;

namespace AgentMessage.Server.Delivery;

/// <summary>
/// A change of a message's status (CONTRACT.md section 9). <see cref="EventId"/> orders an
/// organization's events: "milliseconds-sequence", the format of Redis stream ids, on every store.
/// </summary>
public sealed record StatusEvent(
    string EventId,
    string OrganizationId,
    string MessageId,
    DeliveryStatus Status,
    string? ErrorCode,
    DateTimeOffset OccurredAt,
    string? Tag);

/// <summary>The delivery lifecycle: which moves are allowed. Terminal states never change again.</summary>
public static class DeliveryLifecycle
{
    public static bool IsTerminal(DeliveryStatus status) => status is DeliveryStatus.Delivered or DeliveryStatus.Undelivered or DeliveryStatus.Failed;

    /// <summary>
    /// queued -> sending -> sent -> delivered | undelivered, and failed from any non-terminal state.
    /// A receipt may skip ahead (a "delivered" can arrive before our "sent" is recorded) but nothing
    /// moves backwards, so late and duplicate receipts change nothing.
    /// </summary>
    public static bool CanMove(DeliveryStatus from, DeliveryStatus to) =>
        !IsTerminal(from) && Rank(to) > Rank(from);

    private static int Rank(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Queued => 0,
        DeliveryStatus.Sending => 1,
        DeliveryStatus.Sent => 2,
        _ => 3,
    };
}

/// <summary>Compares and parses event ids ("ms-seq").</summary>
public static class EventIds
{
    public static bool TryParse(string? id, out (long Ms, long Seq) parsed)
    {
        parsed = default;
        if (id is null)
        {
            return false;
        }

        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 &&
            long.TryParse(id.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out parsed.Ms) &&
            long.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out parsed.Seq);
    }

    /// <summary>Negative when a is older than b. Both must parse.</summary>
    public static int Compare(string a, string b)
    {
        TryParse(a, out var x);
        TryParse(b, out var y);
        return Compare(x, y);
    }

    /// <summary>Negative when a is older than b.</summary>
    public static int Compare((long Ms, long Seq) a, (long Ms, long Seq) b) =>
        a.Ms != b.Ms ? a.Ms.CompareTo(b.Ms) : a.Seq.CompareTo(b.Seq);
}

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

public sealed class DeliveryOptions
{
    public const string Section = "AgentMessage:Delivery";

    /// <summary>How many events each organization's log keeps (approximately, on Redis).</summary>
    public int EventLogLength { get; set; } = 10_000;

    /// <summary>Dispatch workers per instance; 0 for an instance that only serves the API.</summary>
    public int Workers { get; set; } = 4;

    /// <summary>Messages per second from one sender number, unless the number has its own pace.</summary>
    public double DefaultPacePerSecond { get; set; } = 10;

    /// <summary>Paces of particular sender numbers, in messages per second.</summary>
    public Dictionary<string, double> NumberPace { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A dispatch entry held this long by an instance that stopped acknowledging is taken over.</summary>
    public TimeSpan ReclaimAfter { get; set; } = TimeSpan.FromSeconds(30);
}

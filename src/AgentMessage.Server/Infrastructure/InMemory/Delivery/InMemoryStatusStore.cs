using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Infrastructure.InMemory.Messaging;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Infrastructure.InMemory.Delivery;

/// <summary>
/// Status changes and the event log held in this process, for the embedded default. Each change
/// is published to the <see cref="StatusEventHub"/> as it is appended to the log.
/// </summary>
public sealed class InMemoryStatusStore(InMemoryMessageStore messages, StatusEventHub hub, IOptions<DeliveryOptions> options, TimeProvider time)
    : IMessageStatusStore, IStatusEventLog
{
    private readonly Dictionary<string, List<StatusEvent>> logs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> trimmedThrough = new(StringComparer.Ordinal);
    private long lastMs;
    private long lastSeq;

    /// <summary>Stores a newly stored message with its first event: "queued" or "scheduled" for an
    /// accepted send (the admission step calls it), "received" for an inbound message.</summary>
    public void AddAccepted(Message message)
    {
        lock (logs)
        {
            var accepted = new StatusEvent(NextId(message.CreatedAt), message.OrganizationId, message.Id, message.Status, null, message.CreatedAt, message.Tag, message.Direction);
            messages.Add(message with { EventId = accepted.EventId });
            Append(accepted);
        }
    }

    public ValueTask<StatusEvent?> TransitionAsync(string organizationId, string messageId, DeliveryStatus status, string? errorCode, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Transition(organizationId, messageId, status, errorCode));

    /// <summary><see cref="TransitionAsync"/>, for callers in this process that hold their own lock.</summary>
    public StatusEvent? Transition(string organizationId, string messageId, DeliveryStatus status, string? errorCode)
    {
        StatusEvent? appended = null;
        lock (logs)
        {
            var now = time.GetUtcNow();
            var changed = messages.Update(organizationId, messageId, message =>
                DeliveryLifecycle.CanMove(message.Status, status) ? message with { Status = status, ErrorCode = errorCode ?? message.ErrorCode, UpdatedAt = now, EventId = NextId(now) } : null);
            if (changed is not null)
            {
                appended = new StatusEvent(changed.EventId!, organizationId, messageId, status, changed.ErrorCode, now, changed.Tag);
                Append(appended);
            }
        }

        return appended;
    }

    public ValueTask<IReadOnlyList<StatusEvent>> ReadAsync(string organizationId, string? after, int count, CancellationToken cancellationToken)
    {
        lock (logs)
        {
            IReadOnlyList<StatusEvent> events = logs.TryGetValue(organizationId, out var log)
                ? log.Where(e => after is null || EventIds.Compare(e.EventId, after) > 0).Take(count).ToList()
                : [];
            return ValueTask.FromResult(events);
        }
    }

    public ValueTask<string?> LastEventIdAsync(string organizationId, CancellationToken cancellationToken)
    {
        lock (logs)
        {
            return ValueTask.FromResult(logs.TryGetValue(organizationId, out var log) && log.Count > 0 ? log[^1].EventId : null);
        }
    }

    public ValueTask<string?> TrimmedThroughAsync(string organizationId, CancellationToken cancellationToken)
    {
        lock (logs)
        {
            return ValueTask.FromResult(trimmedThrough.GetValueOrDefault(organizationId));
        }
    }

    private void Append(StatusEvent statusEvent)
    {
        if (!logs.TryGetValue(statusEvent.OrganizationId, out var log))
        {
            logs[statusEvent.OrganizationId] = log = [];
        }

        log.Add(statusEvent);

        // Under the log's lock, so that the live feed has the log's order (publishing only appends
        // to the hub's ring; the streams are woken elsewhere).
        hub.Publish(statusEvent.OrganizationId, [statusEvent]);
        if (log.Count > options.Value.EventLogLength)
        {
            var excess = log.Count - options.Value.EventLogLength;
            trimmedThrough[statusEvent.OrganizationId] = log[excess - 1].EventId;
            log.RemoveRange(0, excess);
        }
    }

    /// <summary>Ids in the Redis stream format, increasing even when the clock does not.</summary>
    private string NextId(DateTimeOffset now)
    {
        var ms = now.ToUnixTimeMilliseconds();
        if (ms > lastMs)
        {
            lastMs = ms;
            lastSeq = 0;
        }
        else
        {
            lastSeq++;
        }

        return $"{lastMs}-{lastSeq}";
    }
}

using System.Runtime.CompilerServices;
using AgentMessage.Server.Access;
using AgentMessage.Server.Errors;
using AgentMessage.Server.Messaging;

namespace AgentMessage.Server.Delivery;

/// <summary>What a StreamStatus call asks for.</summary>
public sealed record StatusStreamQuery(IReadOnlyList<string> MessageIds, string? Tag, string? After);

/// <summary>
/// StreamStatus (CONTRACT.md section 9). A stream subscribes to this process's
/// <see cref="StatusEventHub"/> before it reads anything, then: sends the current state of each
/// named message; catches up from the event log after its cursor (<c>after</c>, else the newest
/// event); and goes live, skipping every event at or before its cursor. So no event falls between
/// catch-up and live (no gap) and none is sent twice (no duplicate). A stream for named messages
/// ends once all of them are terminal. Problems with the request surface before the first event.
/// </summary>
public sealed class StatusStreamService(IStatusEventLog log, IMessageStore messages, StatusEventHub hub)
{
    public const int MaxMessageIds = 100;
    private const int Page = 500;

    /// <param name="ready">Called once the stream is subscribed and the request has passed its
    /// checks, before any event: the caller announces the stream (response headers), so a client
    /// knows from then on that nothing will be missed.</param>
    public async IAsyncEnumerable<StatusEvent> StreamAsync(Caller caller, StatusStreamQuery query, Func<Task> ready, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Validate(query);
        var org = caller.OrganizationId;
        using var subscription = hub.Subscribe(org);

        if (query.After is { } after && await log.TrimmedThroughAsync(org, cancellationToken) is { } trimmed && EventIds.Compare(after, trimmed) < 0)
        {
            throw ApiException.Validation("after", "is older than the oldest retained event; start again without it");
        }

        var cursor = query.After ?? await log.LastEventIdAsync(org, cancellationToken) ?? "0-0";
        var named = query.MessageIds.Distinct(StringComparer.Ordinal).ToList();
        var open = new HashSet<string>(StringComparer.Ordinal);
        var snapshots = new List<StatusEvent>(named.Count);
        foreach (var id in named)
        {
            var message = await messages.GetAsync(org, id, cancellationToken)
                ?? throw new ApiException(ErrorCode.NotFound, $"message {id} not found");
            snapshots.Add(new StatusEvent(cursor, org, id, message.Status, message.ErrorCode, message.UpdatedAt, message.Tag));
            if (!DeliveryLifecycle.IsTerminal(message.Status))
            {
                open.Add(id);
            }
        }

        await ready();
        foreach (var snapshot in snapshots)
        {
            yield return snapshot;
        }

        if (named.Count > 0 && open.Count == 0)
        {
            yield break;
        }

        var filter = new Filter(named.ToHashSet(StringComparer.Ordinal), query.Tag);
        while (true)
        {
            // Catch up from the log (at start, and whenever this stream fell behind the live feed).
            IReadOnlyList<StatusEvent> page;
            do
            {
                page = await log.ReadAsync(org, cursor, Page, cancellationToken);
                foreach (var statusEvent in page)
                {
                    cursor = statusEvent.EventId;
                    if (filter.Matches(statusEvent))
                    {
                        yield return statusEvent;
                        if (Settles(statusEvent, named.Count, open))
                        {
                            yield break;
                        }
                    }
                }
            }
            while (page.Count == Page);

            // Live, until this stream lags (then back to the log) or the client goes away.
            while (!subscription.Lagged && await subscription.Reader.WaitToReadAsync(cancellationToken))
            {
                while (!subscription.Lagged && subscription.Reader.TryRead(out var statusEvent))
                {
                    if (EventIds.Compare(statusEvent.EventId, cursor) <= 0)
                    {
                        continue;
                    }

                    cursor = statusEvent.EventId;
                    if (filter.Matches(statusEvent))
                    {
                        yield return statusEvent;
                        if (Settles(statusEvent, named.Count, open))
                        {
                            yield break;
                        }
                    }
                }
            }

            subscription.Lagged = false;
            while (subscription.Reader.TryRead(out _))
            {
            }
        }
    }

    private static bool Settles(StatusEvent statusEvent, int namedCount, HashSet<string> open)
    {
        if (namedCount > 0 && DeliveryLifecycle.IsTerminal(statusEvent.Status))
        {
            open.Remove(statusEvent.MessageId);
            return open.Count == 0;
        }

        return false;
    }

    private static void Validate(StatusStreamQuery query)
    {
        var problems = new Dictionary<string, string>();
        if (query.MessageIds.Count > MaxMessageIds)
        {
            problems["message_ids"] = $"must have at most {MaxMessageIds} items";
        }
        else
        {
            for (var i = 0; i < query.MessageIds.Count; i++)
            {
                if (!Guid.TryParseExact(query.MessageIds[i], "D", out _))
                {
                    problems[$"message_ids[{i}]"] = "must be a message id";
                }
            }
        }

        if (query.Tag is not null && SendRules.TagProblem(query.Tag) is { } tagProblem)
        {
            problems["tag"] = tagProblem;
        }

        if (query.After is not null && !EventIds.TryParse(query.After, out _))
        {
            problems["after"] = "must be an event_id from this stream";
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }
    }

    private sealed record Filter(HashSet<string> MessageIds, string? Tag)
    {
        public bool Matches(StatusEvent statusEvent) =>
            (MessageIds.Count == 0 || MessageIds.Contains(statusEvent.MessageId)) &&
            (Tag is null || string.Equals(statusEvent.Tag, Tag, StringComparison.Ordinal));
    }
}

using System.Runtime.CompilerServices;
using AgentMessage.Core.Access;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Refusals;

namespace AgentMessage.Core.Delivery;

/// <summary>What a StreamStatus call asks for. <see cref="Direction"/>: only events of messages of
/// that direction (null: both).</summary>
public sealed record StatusStreamQuery(IReadOnlyList<string> MessageIds, string? Tag, string? After, MessageDirection? Direction = null);

/// <summary>
/// One event for a stream to send. <paramref name="Shared"/> is set when it came from the live feed,
/// where every stream gets the same instance (encode it once). <paramref name="MoreReady"/> says the
/// next event is already known: a transport may buffer this one and flush with the last.
/// </summary>
public readonly record struct StreamedEvent(StatusEvent Event, PublishedEvent? Shared, bool MoreReady);

/// <summary>
/// StreamStatus (docs/API.md section 9). A stream subscribes to this process's
/// <see cref="StatusEventHub"/> before it reads anything, then: sends the current state of each
/// named message, as the event that set it (unless that event is after the cursor, when the
/// catch-up sends it); catches up from the event log after its cursor (<c>after</c>, else the newest
/// event); and goes live, skipping every event at or before its cursor. So no event falls between
/// catch-up and live (no gap) and none is sent twice (no duplicate). A stream that falls behind the
/// live feed catches up from the log again the same way. A stream for named messages ends once all
/// of them are terminal. Problems with the request surface before the first event.
/// </summary>
public sealed class StatusStreamService(IStatusEventLog log, IMessageStore messages, StatusEventHub hub, OpenStreams streams)
{
    public const int MaxMessageIds = 100;
    private const int Page = 500;

    /// <summary>At most this many live events are taken at once (and written with one flush).</summary>
    private const int Batch = 64;

    /// <param name="ready">Called once the stream is subscribed and the request has passed its
    /// checks, before any event: the caller announces the stream (response headers), so a client
    /// knows from then on that nothing will be missed.</param>
    /// <remarks>The stream counts against its key's and organization's caps (<see cref="OpenStreams"/>)
    /// from before its first event, and a stream ended from outside (its key revoked, the server
    /// closing) ends with that refusal, thrown as <see cref="RefusalException"/>.</remarks>
    public async IAsyncEnumerable<StreamedEvent> StreamAsync(Caller caller, StatusStreamQuery query, Func<Task> ready, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Validate(query);
        await using var stream = await streams.OpenAsync(caller, cancellationToken);
        await using var events = StreamOpenAsync(caller, query, ready, stream.Token).GetAsyncEnumerator(stream.Token);
        while (true)
        {
            bool more;
            try
            {
                more = await events.MoveNextAsync();
            }
            catch (OperationCanceledException) when (stream.EndReason is { } reason && !cancellationToken.IsCancellationRequested)
            {
                throw new RefusalException(reason);
            }

            if (!more)
            {
                yield break;
            }

            yield return events.Current;
        }
    }

    private async IAsyncEnumerable<StreamedEvent> StreamOpenAsync(Caller caller, StatusStreamQuery query, Func<Task> ready, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var org = caller.OrganizationId;
        var named = query.MessageIds.Distinct(StringComparer.Ordinal).ToList();
        using var subscription = hub.Subscribe(org, new FeedFilter(named, query.Tag), cancellationToken);

        if (query.After is { } after && await log.TrimmedThroughAsync(org, cancellationToken) is { } trimmed && EventIds.Compare(after, trimmed) < 0)
        {
            throw RefusalException.Validation("after", "is older than the oldest retained event; start again without it");
        }

        var newest = await log.LastEventIdAsync(org, cancellationToken) ?? "0-0";
        if (query.After is { } resume && EventIds.Compare(resume, newest) > 0)
        {
            // No event of this organization has that id yet: a stream from it would wait in silence
            // for events it could never recognise as new.
            throw RefusalException.Validation("after", "is ahead of the newest event; use an event_id this stream gave you");
        }

        var cursor = query.After ?? newest;
        EventIds.TryParse(cursor, out var position);
        var open = new HashSet<string>(StringComparer.Ordinal);
        var snapshots = new List<StatusEvent>(named.Count);
        foreach (var id in named)
        {
            var message = await messages.GetAsync(org, id, cancellationToken)
                ?? throw new RefusalException(RefusalKind.NotFound, $"message {id} not found");
            if (message.EventId is { } produced && EventIds.Compare(produced, cursor) > 0)
            {
                // The event that set this state comes after the cursor: the catch-up sends it, in
                // the log's order, after whatever came before it. A line for it here would repeat
                // its id ahead of its turn, and move a resuming client's position past events it
                // has not yet been sent.
                open.Add(id);
                continue;
            }

            // The line carries the id of the event that set this state, so a client that drops
            // ids it has seen drops it only when it has already seen that very change. Messages
            // stored before the store kept that id carry the cursor instead.
            snapshots.Add(new StatusEvent(message.EventId ?? cursor, org, id, message.Status, message.ErrorCode, message.UpdatedAt, message.Tag, message.Direction));
            if (!DeliveryLifecycle.IsTerminal(message.Status))
            {
                open.Add(id);
            }
        }

        await ready();
        for (var i = 0; i < snapshots.Count; i++)
        {
            yield return new StreamedEvent(snapshots[i], null, i < snapshots.Count - 1);
        }

        if (named.Count > 0 && open.Count == 0)
        {
            yield break;
        }

        var filter = new Filter(named.ToHashSet(StringComparer.Ordinal), query.Tag, query.Direction);
        var batch = new List<(StatusEvent Event, PublishedEvent? Shared)>();
        while (true)
        {
            // Catch up from the log (at start, and whenever this stream fell behind the live feed).
            IReadOnlyList<StatusEvent> page;
            do
            {
                page = await log.ReadAsync(org, cursor, Page, cancellationToken);
                batch.Clear();
                foreach (var statusEvent in page)
                {
                    cursor = statusEvent.EventId;
                    if (filter.Matches(statusEvent))
                    {
                        batch.Add((statusEvent, null));
                    }
                }

                if (page.Count > 0)
                {
                    EventIds.TryParse(cursor, out position);
                }

                for (var i = 0; i < batch.Count; i++)
                {
                    yield return new StreamedEvent(batch[i].Event, null, i < batch.Count - 1);
                    if (Settles(batch[i].Event, named.Count, open))
                    {
                        yield break;
                    }
                }
            }
            while (page.Count == Page);

            // Live, until this stream lags (then back to the log) or the client goes away. Take what
            // is there (up to a batch), keep what this stream wants, send it, and wait when there is
            // nothing more.
            var lagged = false;
            while (!lagged)
            {
                batch.Clear();
                while (batch.Count < Batch)
                {
                    var read = subscription.TryRead(out var published);
                    if (read == FeedRead.Lagged)
                    {
                        lagged = true;
                        break;
                    }

                    if (read == FeedRead.Nothing)
                    {
                        break;
                    }

                    if (EventIds.Compare(published!.Position, position) <= 0)
                    {
                        continue;
                    }

                    cursor = published.Event.EventId;
                    position = published.Position;
                    if (filter.Matches(published.Event))
                    {
                        batch.Add((published.Event, published));
                    }
                }

                for (var i = 0; i < batch.Count; i++)
                {
                    yield return new StreamedEvent(batch[i].Event, batch[i].Shared, i < batch.Count - 1);
                    if (Settles(batch[i].Event, named.Count, open))
                    {
                        yield break;
                    }
                }

                if (!lagged && !subscription.HasUnread)
                {
                    await subscription.WaitAsync();
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }

            // Whatever was dropped is in the log after the cursor; anything published from now on
            // is read live again (and skipped when the log already gave it).
            subscription.Resume();
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

        if (query.Direction is { } direction && !Enum.IsDefined(direction))
        {
            problems["direction"] = "must be one of: outbound, inbound";
        }

        if (problems.Count > 0)
        {
            throw RefusalException.Validation(problems);
        }
    }

    private sealed record Filter(HashSet<string> MessageIds, string? Tag, MessageDirection? Direction)
    {
        public bool Matches(StatusEvent statusEvent) =>
            (MessageIds.Count == 0 || MessageIds.Contains(statusEvent.MessageId)) &&
            (Tag is null || string.Equals(statusEvent.Tag, Tag, StringComparison.Ordinal)) &&
            (Direction is null || statusEvent.Direction == Direction);
    }
}

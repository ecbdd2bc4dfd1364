using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Infrastructure.InMemory.Messaging;

namespace AgentMessage.Server.Infrastructure.InMemory.Delivery;

/// <summary>
/// The embedded default's dispatch schedule, with the same rules as the Redis one: per
/// organization, scheduled messages by send_at, and one lane per sender number with a high and a
/// default queue and the number's next pace slot (<see cref="SenderPace"/>). A take serves lanes in
/// turn, high before default, and skips a lane whose slot has not come rather than waiting on it.
/// </summary>
public sealed class InMemoryDispatchQueue(InMemoryMessageStore messages, InMemoryStatusStore statuses, TimeProvider time) : IDispatchQueue
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, OrganizationSchedule> organizations = new(StringComparer.Ordinal);
    private readonly Doorbell doorbell = new();
    private long sequence;

    /// <summary>Puts an accepted message on the schedule (the admission step calls it, under its lock).</summary>
    public void Enqueue(Message message, TimeSpan paceInterval)
    {
        lock (gate)
        {
            var schedule = For(message.OrganizationId);
            var entry = new Entry(message.Id, message.From, message.Priority, paceInterval);
            if (message.Status == DeliveryStatus.Scheduled && message.SendAt is { } sendAt)
            {
                schedule.Scheduled.Add((sendAt.UtcTicks, ++sequence), entry);
            }
            else
            {
                schedule.Lane(message.From).Queue(message.Priority).AddLast(entry);
            }
        }

        doorbell.Ring();
    }

    public ValueTask<IReadOnlyList<string>> OrganizationsAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            IReadOnlyList<string> busy = [.. organizations.Where(o => o.Value.HasWork).Select(o => o.Key).Order(StringComparer.Ordinal)];
            return ValueTask.FromResult(busy);
        }
    }

    public ValueTask<DispatchBatch> TakeAsync(string organizationId, int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (!organizations.TryGetValue(organizationId, out var schedule))
            {
                return ValueTask.FromResult(DispatchBatch.Empty);
            }

            var now = time.GetUtcNow();
            schedule.Release(now);
            var taken = new List<Message>();
            var expired = 0;
            foreach (var priority in (MessagePriority[])[MessagePriority.High, MessagePriority.Default])
            {
                foreach (var lane in schedule.LanesInTurn())
                {
                    var queue = lane.Queue(priority);
                    while (taken.Count < max && queue.First is { } head && SenderPace.MaySend(lane.NextSlot, now, head.Value.PaceInterval))
                    {
                        queue.RemoveFirst();
                        var entry = head.Value;
                        var message = messages.Find(organizationId, entry.MessageId);
                        if (message is null || !(DeliveryLifecycle.IsWaiting(message.Status) || message.Status == DeliveryStatus.Sending))
                        {
                            // Canceled, gone, or already submitted (a duplicate reclaim): leaves the schedule.
                            continue;
                        }

                        if (message.ValidUntil is { } validUntil && now > validUntil && DeliveryLifecycle.IsWaiting(message.Status))
                        {
                            statuses.Transition(organizationId, message.Id, DeliveryStatus.Failed, DispatchErrors.ExpiredInQueue);
                            expired++;
                            continue;
                        }

                        lane.NextSlot = SenderPace.Advance(lane.NextSlot, now, entry.PaceInterval);
                        if (message.Status != DeliveryStatus.Sending)
                        {
                            statuses.Transition(organizationId, message.Id, DeliveryStatus.Sending, null);
                            message = messages.Find(organizationId, message.Id) ?? message;
                        }

                        schedule.Leases[message.Id] = (now + lease, entry);
                        taken.Add(message);
                    }
                }
            }

            schedule.Turn++;
            return ValueTask.FromResult(new DispatchBatch(taken, expired, schedule.NextDueAt()));
        }
    }

    public ValueTask CompleteAsync(string organizationId, IReadOnlyList<DispatchOutcome> outcomes, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var schedule = For(organizationId);
            foreach (var outcome in outcomes)
            {
                if (!schedule.Leases.Remove(outcome.MessageId, out var lease))
                {
                    lease = default;
                }

                if (outcome.RetryAt is { } retryAt)
                {
                    // Refused for now: still sending, due again at the retry time.
                    if (lease.Entry is { } entry && messages.Find(organizationId, outcome.MessageId) is { Status: DeliveryStatus.Sending })
                    {
                        schedule.Scheduled.Add((retryAt.UtcTicks, ++sequence), entry);
                    }

                    continue;
                }

                statuses.Transition(organizationId, outcome.MessageId, outcome.Status, outcome.ErrorCode);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<int> ReclaimAsync(CancellationToken cancellationToken)
    {
        var reclaimed = 0;
        lock (gate)
        {
            var now = time.GetUtcNow();
            foreach (var schedule in organizations.Values)
            {
                foreach (var (id, (deadline, entry)) in schedule.Leases.Where(l => l.Value.Deadline <= now).ToList())
                {
                    schedule.Leases.Remove(id);
                    schedule.Lane(entry.From).Queue(entry.Priority).AddFirst(entry);
                    reclaimed++;
                }
            }
        }

        if (reclaimed > 0)
        {
            doorbell.Ring();
        }

        return ValueTask.FromResult(reclaimed);
    }

    public ValueTask<CancelOutcome> CancelAsync(string organizationId, string messageId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var message = messages.Find(organizationId, messageId);
            if (message is null)
            {
                return ValueTask.FromResult(new CancelOutcome(false, null));
            }

            if (!DeliveryLifecycle.IsWaiting(message.Status))
            {
                return ValueTask.FromResult(new CancelOutcome(false, message.Status));
            }

            // A canceled message left in its lane is dropped when a take reaches it.
            statuses.Transition(organizationId, messageId, DeliveryStatus.Canceled, null);
            if (organizations.TryGetValue(organizationId, out var schedule))
            {
                foreach (var key in schedule.Scheduled.Where(s => s.Value.MessageId == messageId).Select(s => s.Key).ToList())
                {
                    schedule.Scheduled.Remove(key);
                }
            }

            return ValueTask.FromResult(new CancelOutcome(true, DeliveryStatus.Canceled));
        }
    }

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        doorbell.WaitAsync(timeout, time, cancellationToken);

    public ValueTask<QueueSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        long depth = 0;
        DateTimeOffset? oldest = null;
        lock (gate)
        {
            foreach (var (organizationId, schedule) in organizations)
            {
                foreach (var ((dueTicks, _), _) in schedule.Scheduled)
                {
                    if (dueTicks > now.UtcTicks)
                    {
                        break;
                    }

                    depth++;
                    oldest = Earlier(oldest, new DateTimeOffset(dueTicks, TimeSpan.Zero));
                }

                foreach (var lane in schedule.Lanes)
                {
                    depth += lane.High.Count + lane.Default.Count;
                    foreach (var head in (LinkedListNode<Entry>?[])[lane.High.First, lane.Default.First])
                    {
                        if (head is not null && messages.Find(organizationId, head.Value.MessageId) is { } message)
                        {
                            oldest = Earlier(oldest, message.SendAt ?? message.CreatedAt);
                        }
                    }
                }
            }
        }

        return ValueTask.FromResult(new QueueSnapshot(depth, oldest));
    }

    private static DateTimeOffset Earlier(DateTimeOffset? current, DateTimeOffset candidate) =>
        current is { } at && at <= candidate ? at : candidate;

    private OrganizationSchedule For(string organizationId)
    {
        if (!organizations.TryGetValue(organizationId, out var schedule))
        {
            organizations[organizationId] = schedule = new OrganizationSchedule();
        }

        return schedule;
    }

    private sealed record Entry(string MessageId, string From, MessagePriority Priority, TimeSpan PaceInterval);

    private sealed class Lane
    {
        public LinkedList<Entry> High { get; } = new();

        public LinkedList<Entry> Default { get; } = new();

        public DateTimeOffset NextSlot { get; set; } = DateTimeOffset.MinValue;

        public bool IsEmpty => High.Count == 0 && Default.Count == 0;

        public LinkedList<Entry> Queue(MessagePriority priority) => priority == MessagePriority.High ? High : Default;
    }

    private sealed class OrganizationSchedule
    {
        private readonly Dictionary<string, Lane> lanes = new(StringComparer.Ordinal);

        /// <summary>Messages with a future send_at, by (due ticks, arrival).</summary>
        public SortedList<(long DueTicks, long Sequence), Entry> Scheduled { get; } = [];

        public Dictionary<string, (DateTimeOffset Deadline, Entry Entry)> Leases { get; } = new(StringComparer.Ordinal);

        public int Turn { get; set; }

        public bool HasWork => Scheduled.Count > 0 || lanes.Values.Any(l => !l.IsEmpty);

        public IEnumerable<Lane> Lanes => lanes.Values;

        public Lane Lane(string number)
        {
            if (!lanes.TryGetValue(number, out var lane))
            {
                lanes[number] = lane = new Lane();
            }

            return lane;
        }

        /// <summary>Moves scheduled messages that have fallen due into their lanes.</summary>
        public void Release(DateTimeOffset now)
        {
            while (Scheduled.Count > 0 && Scheduled.Keys[0].DueTicks <= now.UtcTicks)
            {
                var entry = Scheduled.Values[0];
                Scheduled.RemoveAt(0);
                Lane(entry.From).Queue(entry.Priority).AddLast(entry);
            }
        }

        /// <summary>The lanes with messages, starting one further on each take, so numbers take turns.</summary>
        public IEnumerable<Lane> LanesInTurn()
        {
            var busy = lanes.Values.Where(l => !l.IsEmpty).ToList();
            for (var i = 0; i < busy.Count; i++)
            {
                yield return busy[(Turn + i) % busy.Count];
            }
        }

        public DateTimeOffset? NextDueAt()
        {
            DateTimeOffset? next = Scheduled.Count > 0 ? new DateTimeOffset(Scheduled.Keys[0].DueTicks, TimeSpan.Zero) : null;
            foreach (var lane in lanes.Values.Where(l => !l.IsEmpty))
            {
                var head = (lane.High.First ?? lane.Default.First)!.Value;
                var at = lane.NextSlot == DateTimeOffset.MinValue ? DateTimeOffset.MinValue : SenderPace.EligibleAt(lane.NextSlot, head.PaceInterval);
                if (next is null || at < next)
                {
                    next = at;
                }
            }

            return next;
        }
    }
}

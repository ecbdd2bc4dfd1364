using AgentMessage.Core.Delivery;

namespace AgentMessage.Server.Infrastructure.InMemory.Delivery;

/// <summary>
/// The carrier link's state held in this process, for the embedded default, with the Redis store's
/// expiry on the injected clock: a multipart message's progress and receipts live for the keep of
/// their latest write, an inbound assembly for the keep of its first part. An expired entry is
/// dropped when a call meets it, and every 1,024 writes a sweep drops the rest, so entries nobody
/// asks for again do not pile up.
/// </summary>
public sealed class InMemoryCarrierLinkStore(TimeProvider time) : ICarrierLinkStore
{
    private const int SweepEvery = 1024;

    private readonly Lock gate = new();
    private readonly Dictionary<string, IdEntry> ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Progress> progress = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Receipts> receipts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Assembly> assemblies = new(StringComparer.Ordinal);
    private int writes;

    public ValueTask<MultipartProgress> BeginMultipartAsync(string reference, int proposedConcatReference, TimeSpan keep, CancellationToken cancellationToken)
    {
        CarrierLinkChecks.Keep(keep);
        var now = time.GetUtcNow();
        lock (gate)
        {
            var entry = LiveOrNew(progress, reference, now, () => new Progress());
            entry.ConcatReference ??= proposedConcatReference;
            entry.ExpiresAt = now + keep;
            Wrote(now);
            return ValueTask.FromResult(new MultipartProgress(entry.ConcatReference.Value, new Dictionary<int, string>(entry.Accepted)));
        }
    }

    public ValueTask RecordAcceptedAsync(string carrierId, CarrierPart part, TimeSpan keep, CancellationToken cancellationToken)
    {
        CarrierLinkChecks.Part(part);
        CarrierLinkChecks.Keep(keep);
        var now = time.GetUtcNow();
        lock (gate)
        {
            ids[carrierId] = new IdEntry(part) { ExpiresAt = now + keep };
            if (part.Parts > 1)
            {
                var entry = LiveOrNew(progress, part.Reference, now, () => new Progress());
                entry.Accepted[part.Part] = carrierId;
                entry.ExpiresAt = now + keep;
            }

            Wrote(now);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<CarrierPart?> FindAsync(string carrierId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return ValueTask.FromResult(Live(ids, carrierId, time.GetUtcNow())?.Part);
        }
    }

    public ValueTask<string?> RecordPartStatusAsync(CarrierPart part, string status, TimeSpan keep, CancellationToken cancellationToken)
    {
        CarrierLinkChecks.Part(part);
        CarrierLinkChecks.Status(status);
        CarrierLinkChecks.Keep(keep);
        var now = time.GetUtcNow();
        lock (gate)
        {
            var entry = LiveOrNew(receipts, part.Reference, now, () => new Receipts());
            if (entry.Statuses.TryAdd(part.Part, status) && status != CarrierReceiptStatus.Delivered)
            {
                entry.Decided ??= status;
            }

            entry.ExpiresAt = now + keep;
            Wrote(now);
            if (entry.Decided is null && Enumerable.Range(1, part.Parts).All(p => entry.Statuses.GetValueOrDefault(p) == CarrierReceiptStatus.Delivered))
            {
                entry.Decided = CarrierReceiptStatus.Delivered;
            }

            return ValueTask.FromResult(entry.Decided);
        }
    }

    public ValueTask<IReadOnlyList<string>?> AddInboundPartAsync(string key, int partNumber, int parts, string text, TimeSpan keep, CancellationToken cancellationToken)
    {
        CarrierLinkChecks.Part(partNumber, parts);
        CarrierLinkChecks.Keep(keep);
        if (parts == 1)
        {
            return ValueTask.FromResult<IReadOnlyList<string>?>([text]);
        }

        var now = time.GetUtcNow();
        lock (gate)
        {
            var entry = LiveOrNew(assemblies, key, now, () => new Assembly { ExpiresAt = now + keep });
            entry.Texts[partNumber] = text;
            Wrote(now);
            if (!Enumerable.Range(1, parts).All(entry.Texts.ContainsKey))
            {
                return ValueTask.FromResult<IReadOnlyList<string>?>(null);
            }

            assemblies.Remove(key);
            return ValueTask.FromResult<IReadOnlyList<string>?>([.. Enumerable.Range(1, parts).Select(p => entry.Texts[p])]);
        }
    }

    private static T? Live<T>(Dictionary<string, T> entries, string key, DateTimeOffset now)
        where T : Expiring
    {
        if (!entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.ExpiresAt > now)
        {
            return entry;
        }

        entries.Remove(key);
        return null;
    }

    private static T LiveOrNew<T>(Dictionary<string, T> entries, string key, DateTimeOffset now, Func<T> create)
        where T : Expiring
    {
        if (Live(entries, key, now) is { } entry)
        {
            return entry;
        }

        return entries[key] = create();
    }

    private void Wrote(DateTimeOffset now)
    {
        if (++writes % SweepEvery == 0)
        {
            Sweep(ids, now);
            Sweep(progress, now);
            Sweep(receipts, now);
            Sweep(assemblies, now);
        }
    }

    private static void Sweep<T>(Dictionary<string, T> entries, DateTimeOffset now)
        where T : Expiring
    {
        foreach (var key in entries.Where(e => e.Value.ExpiresAt <= now).Select(e => e.Key).ToList())
        {
            entries.Remove(key);
        }
    }

    private abstract class Expiring
    {
        public DateTimeOffset ExpiresAt { get; set; }
    }

    private sealed class IdEntry(CarrierPart part) : Expiring
    {
        public CarrierPart Part { get; } = part;
    }

    private sealed class Progress : Expiring
    {
        /// <summary>Null when a part was recorded before any <see cref="BeginMultipartAsync"/> (or after
        /// it expired), as on Redis, where the hash then has no reference field.</summary>
        public int? ConcatReference { get; set; }

        public Dictionary<int, string> Accepted { get; } = [];
    }

    private sealed class Receipts : Expiring
    {
        public Dictionary<int, string> Statuses { get; } = [];

        public string? Decided { get; set; }
    }

    private sealed class Assembly : Expiring
    {
        public Dictionary<int, string> Texts { get; } = [];
    }
}

using System.Collections.Concurrent;

namespace AgentMessage.Server.Compliance;

/// <summary>The numbers each organization owns and may send from.</summary>
public interface INumberRegistry
{
    ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken);

    ValueTask AddAsync(string organizationId, string number, CancellationToken cancellationToken);
}

/// <summary>Which recipients have opted in to messages from which organization.</summary>
public interface IConsentRegistry
{
    ValueTask<bool> HasConsentAsync(string organizationId, string number, CancellationToken cancellationToken);

    ValueTask RecordAsync(string organizationId, ConsentRecord consent, CancellationToken cancellationToken);
}

/// <summary>An opt-in (or, once <see cref="OptedOutAt"/> is set, an opt-out) of one recipient.</summary>
public sealed record ConsentRecord(string Number, string Source, DateTimeOffset OptedInAt, DateTimeOffset? OptedOutAt = null)
{
    public bool IsGranted => OptedOutAt is null;
}

public enum LineType
{
    Unknown,
    Mobile,
    Landline,
    Voip,
    TollFree,
}

/// <summary>A line-type classification of a number, made at a point in time.</summary>
public sealed record LineTypeLookup(string Number, LineType LineType, DateTimeOffset LookedUpAt);

/// <summary>The organization's recent number lookups, which SendMessage consults.</summary>
public interface ILineTypeRegistry
{
    ValueTask<LineTypeLookup?> GetAsync(string organizationId, string number, CancellationToken cancellationToken);

    ValueTask RecordAsync(string organizationId, LineTypeLookup lookup, CancellationToken cancellationToken);
}

public sealed class InMemoryNumberRegistry : INumberRegistry
{
    private readonly ConcurrentDictionary<(string, string), bool> owned = new();

    public ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(owned.ContainsKey((organizationId, number)));

    public ValueTask AddAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        owned[(organizationId, number)] = true;
        return ValueTask.CompletedTask;
    }
}

public sealed class InMemoryConsentRegistry : IConsentRegistry
{
    private readonly ConcurrentDictionary<(string, string), ConsentRecord> consents = new();

    public ValueTask<bool> HasConsentAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(consents.TryGetValue((organizationId, number), out var consent) && consent.IsGranted);

    public ValueTask RecordAsync(string organizationId, ConsentRecord consent, CancellationToken cancellationToken)
    {
        consents[(organizationId, consent.Number)] = consent;
        return ValueTask.CompletedTask;
    }
}

public sealed class InMemoryLineTypeRegistry : ILineTypeRegistry
{
    private readonly ConcurrentDictionary<(string, string), LineTypeLookup> lookups = new();

    public ValueTask<LineTypeLookup?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(lookups.GetValueOrDefault((organizationId, number)));

    public ValueTask RecordAsync(string organizationId, LineTypeLookup lookup, CancellationToken cancellationToken)
    {
        lookups[(organizationId, lookup.Number)] = lookup;
        return ValueTask.CompletedTask;
    }
}

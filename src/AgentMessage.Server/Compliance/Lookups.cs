using System.Collections.Concurrent;

namespace AgentMessage.Server.Compliance;

public enum LineType
{
    Unknown,
    Mobile,
    Landline,
    Voip,
    TollFree,
}

/// <summary>A line-type classification of a number, made at a point in time by <paramref name="Source"/>
/// (a provider's name; null for records written before sources were kept, such as older seeds).</summary>
public sealed record LineTypeLookup(string Number, LineType LineType, DateTimeOffset LookedUpAt, string? Source = null);

/// <summary>The organization's recent number lookups, which SendMessage consults.</summary>
public interface ILineTypeRegistry
{
    ValueTask<LineTypeLookup?> GetAsync(string organizationId, string number, CancellationToken cancellationToken);

    ValueTask RecordAsync(string organizationId, LineTypeLookup lookup, CancellationToken cancellationToken);
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

using System.Collections.Concurrent;

namespace AgentMessage.Server.Compliance;

/// <summary>A sender number an organization owns, with its own dispatch pace when it has one.</summary>
public sealed record OwnedNumberRecord(string Number, double? PacePerSecond = null);

/// <summary>The numbers each organization owns and may send from, and each one's send pace.</summary>
public interface INumberRegistry
{
    ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Makes the number owned, leaving a pace it already has as it is.</summary>
    ValueTask AddAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Makes the number owned with exactly this pace (null: the configured pace).</summary>
    ValueTask PutAsync(string organizationId, OwnedNumberRecord number, CancellationToken cancellationToken);

    /// <summary>False when the organization did not own the number.</summary>
    ValueTask<bool> RemoveAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>The owned number with its pace, or null when not owned.</summary>
    ValueTask<OwnedNumberRecord?> GetAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Every number of the organization, in ordinal order.</summary>
    ValueTask<IReadOnlyList<OwnedNumberRecord>> ListAsync(string organizationId, CancellationToken cancellationToken);
}

public sealed class InMemoryNumberRegistry : INumberRegistry
{
    private readonly ConcurrentDictionary<(string, string), OwnedNumberRecord> owned = new();

    public ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(owned.ContainsKey((organizationId, number)));

    public ValueTask AddAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        owned.TryAdd((organizationId, number), new OwnedNumberRecord(number));
        return ValueTask.CompletedTask;
    }

    public ValueTask PutAsync(string organizationId, OwnedNumberRecord number, CancellationToken cancellationToken)
    {
        owned[(organizationId, number.Number)] = number;
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RemoveAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(owned.TryRemove((organizationId, number), out _));

    public ValueTask<OwnedNumberRecord?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(owned.GetValueOrDefault((organizationId, number)));

    public ValueTask<IReadOnlyList<OwnedNumberRecord>> ListAsync(string organizationId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<OwnedNumberRecord>>(
            [.. owned.Where(e => e.Key.Item1 == organizationId).Select(e => e.Value).OrderBy(n => n.Number, StringComparer.Ordinal)]);
}

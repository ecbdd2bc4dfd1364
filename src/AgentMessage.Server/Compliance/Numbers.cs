using System.Collections.Concurrent;

namespace AgentMessage.Server.Compliance;

/// <summary>A sender number an organization owns, with its own dispatch pace when it has one.</summary>
public sealed record OwnedNumberRecord(string Number, double? PacePerSecond = null);

/// <summary>The numbers each organization owns and may send from, and each one's send pace.</summary>
public interface INumberRegistry
{
    ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Makes the number owned, leaving a pace it already has as it is. A number has one owner:
    /// false, and nothing changed, when another organization owns it.</summary>
    ValueTask<bool> AddAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Makes the number owned with exactly this pace (null: the configured pace). False, and
    /// nothing changed, when another organization owns it.</summary>
    ValueTask<bool> PutAsync(string organizationId, OwnedNumberRecord number, CancellationToken cancellationToken);

    /// <summary>False when the organization did not own the number. Frees the number for others.</summary>
    ValueTask<bool> RemoveAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>The owned number with its pace, or null when not owned.</summary>
    ValueTask<OwnedNumberRecord?> GetAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Every number of the organization, in ordinal order.</summary>
    ValueTask<IReadOnlyList<OwnedNumberRecord>> ListAsync(string organizationId, CancellationToken cancellationToken);

    /// <summary>The organization that owns the number (inbound messages find theirs this way); null when none does.</summary>
    ValueTask<string?> FindOwnerAsync(string number, CancellationToken cancellationToken);
}

public sealed class InMemoryNumberRegistry : INumberRegistry
{
    private readonly ConcurrentDictionary<(string, string), OwnedNumberRecord> owned = new();
    private readonly ConcurrentDictionary<string, string> ownerByNumber = new(StringComparer.Ordinal);

    public ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(owned.ContainsKey((organizationId, number)));

    public ValueTask<bool> AddAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        if (!Claim(organizationId, number))
        {
            return ValueTask.FromResult(false);
        }

        owned.TryAdd((organizationId, number), new OwnedNumberRecord(number));
        return ValueTask.FromResult(true);
    }

    public ValueTask<string?> FindOwnerAsync(string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ownerByNumber.GetValueOrDefault(number));

    public ValueTask<bool> PutAsync(string organizationId, OwnedNumberRecord number, CancellationToken cancellationToken)
    {
        if (!Claim(organizationId, number.Number))
        {
            return ValueTask.FromResult(false);
        }

        owned[(organizationId, number.Number)] = number;
        return ValueTask.FromResult(true);
    }

    private bool Claim(string organizationId, string number) =>
        string.Equals(ownerByNumber.GetOrAdd(number, organizationId), organizationId, StringComparison.Ordinal);

    public ValueTask<bool> RemoveAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        var removed = owned.TryRemove((organizationId, number), out _);
        ownerByNumber.TryRemove(new KeyValuePair<string, string>(number, organizationId));
        return ValueTask.FromResult(removed);
    }

    public ValueTask<OwnedNumberRecord?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(owned.GetValueOrDefault((organizationId, number)));

    public ValueTask<IReadOnlyList<OwnedNumberRecord>> ListAsync(string organizationId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<OwnedNumberRecord>>(
            [.. owned.Where(e => e.Key.Item1 == organizationId).Select(e => e.Value).OrderBy(n => n.Number, StringComparer.Ordinal)]);
}

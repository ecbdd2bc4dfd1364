using System.Collections.Concurrent;
using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Infrastructure.InMemory.Compliance;

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

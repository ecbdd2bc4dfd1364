using System.Collections.Concurrent;
using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Infrastructure.InMemory.Compliance;

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

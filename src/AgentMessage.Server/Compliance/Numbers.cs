using System.Collections.Concurrent;

namespace AgentMessage.Server.Compliance;

/// <summary>The numbers each organization owns and may send from.</summary>
public interface INumberRegistry
{
    ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken);

    ValueTask AddAsync(string organizationId, string number, CancellationToken cancellationToken);
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

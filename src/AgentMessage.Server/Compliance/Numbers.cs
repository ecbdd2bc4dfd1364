using System.Collections.Concurrent;

namespace AgentMessage.Server.Compliance;

/// <summary>The numbers each organization owns and may send from.</summary>
public interface INumberRegistry
{
    ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Adds the number to the organization, which also becomes its owner in <see cref="FindOwnerAsync"/>.</summary>
    ValueTask AddAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>The organization that last added the number (inbound messages find theirs this way); null when none did.</summary>
    ValueTask<string?> FindOwnerAsync(string number, CancellationToken cancellationToken);
}

public sealed class InMemoryNumberRegistry : INumberRegistry
{
    private readonly ConcurrentDictionary<(string, string), bool> owned = new();
    private readonly ConcurrentDictionary<string, string> ownerByNumber = new(StringComparer.Ordinal);

    public ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(owned.ContainsKey((organizationId, number)));

    public ValueTask AddAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        owned[(organizationId, number)] = true;
        ownerByNumber[number] = organizationId;
        return ValueTask.CompletedTask;
    }

    public ValueTask<string?> FindOwnerAsync(string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ownerByNumber.GetValueOrDefault(number));
}

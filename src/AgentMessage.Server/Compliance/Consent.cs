using System.Collections.Concurrent;

namespace AgentMessage.Server.Compliance;

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

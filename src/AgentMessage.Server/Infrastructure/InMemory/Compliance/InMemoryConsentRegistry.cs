using System.Collections.Concurrent;
using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Infrastructure.InMemory.Compliance;

public sealed class InMemoryConsentRegistry : IConsentRegistry
{
    private readonly ConcurrentDictionary<(string Org, string Number), ConsentRecord> consents = new();

    public ValueTask<bool> HasConsentAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(consents.TryGetValue((organizationId, number), out var consent) && consent.IsGranted);

    public ValueTask RecordAsync(string organizationId, ConsentRecord consent, CancellationToken cancellationToken)
    {
        consents[(organizationId, consent.Number)] = consent;
        return ValueTask.CompletedTask;
    }

    public ValueTask<ConsentRecord?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(consents.GetValueOrDefault((organizationId, number)));

    public ValueTask<ConsentPage> ListAsync(string organizationId, string? afterNumber, int limit, CancellationToken cancellationToken)
    {
        var page = consents
            .Where(pair => pair.Key.Org == organizationId && (afterNumber is null || string.CompareOrdinal(pair.Key.Number, afterNumber) > 0))
            .Select(pair => pair.Value)
            .OrderBy(record => record.Number, StringComparer.Ordinal)
            .Take(limit + 1)
            .ToList();
        return ValueTask.FromResult(new ConsentPage(page.Take(limit).ToList(), page.Count > limit));
    }

    public ValueTask<ConsentRecord?> RevokeAsync(string organizationId, string number, DateTimeOffset at, CancellationToken cancellationToken)
    {
        while (consents.TryGetValue((organizationId, number), out var current))
        {
            var revoked = current.OptedOut(at);
            if (ReferenceEquals(revoked, current) || consents.TryUpdate((organizationId, number), revoked, current))
            {
                return ValueTask.FromResult<ConsentRecord?>(revoked);
            }
        }

        return ValueTask.FromResult<ConsentRecord?>(null);
    }
}

using AgentMessage.Core.Delivery;

namespace AgentMessage.Server.Infrastructure.InMemory.Delivery;

/// <summary>Stream leases of this process, for the embedded default: every stream is here.</summary>
public sealed class InMemoryStreamLeaseStore : IStreamLeaseStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Dictionary<string, (string KeyId, DateTimeOffset ExpiresAt)>> byOrganization = new(StringComparer.Ordinal);

    public ValueTask<StreamCap?> TryAcquireAsync(StreamLease lease, int maxPerKey, int maxPerOrganization, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (!byOrganization.TryGetValue(lease.OrganizationId, out var held))
            {
                byOrganization[lease.OrganizationId] = held = new(StringComparer.Ordinal);
            }

            foreach (var expired in held.Where(h => h.Value.ExpiresAt <= now).Select(h => h.Key).ToList())
            {
                held.Remove(expired);
            }

            if (held.Values.Count(h => string.Equals(h.KeyId, lease.KeyId, StringComparison.Ordinal)) >= maxPerKey)
            {
                return ValueTask.FromResult<StreamCap?>(StreamCap.Key);
            }

            if (held.Count >= maxPerOrganization)
            {
                return ValueTask.FromResult<StreamCap?>(StreamCap.Organization);
            }

            held[lease.Id] = (lease.KeyId, expiresAt);
            return ValueTask.FromResult<StreamCap?>(null);
        }
    }

    public ValueTask RenewAsync(IReadOnlyCollection<StreamLease> leases, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            foreach (var lease in leases)
            {
                if (byOrganization.TryGetValue(lease.OrganizationId, out var held) && held.TryGetValue(lease.Id, out var entry))
                {
                    held[lease.Id] = entry with { ExpiresAt = expiresAt };
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseAsync(StreamLease lease, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (byOrganization.TryGetValue(lease.OrganizationId, out var held) && held.Remove(lease.Id) && held.Count == 0)
            {
                byOrganization.Remove(lease.OrganizationId);
            }
        }

        return ValueTask.CompletedTask;
    }
}

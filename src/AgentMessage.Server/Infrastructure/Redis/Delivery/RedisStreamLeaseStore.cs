using AgentMessage.Core.Delivery;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Delivery;

/// <summary>
/// Stream leases as two sorted sets per organization's slot (the organization's and each key's),
/// lease id scored by its expiry in unix ms on the instances' clocks. Taking a lease is one script:
/// drop expired leases, compare both counts with their caps, add to both. Renewal only moves the
/// expiry of leases still present, so a release or an expiry is never undone. Each set expires
/// twice a lease's lifetime after its last change, so the sets of a quiet organization go away.
/// </summary>
public sealed class RedisStreamLeaseStore(RedisGate redis) : IStreamLeaseStore
{
    /// <summary>KEYS: key's set, organization's set. ARGV: lease id, now (ms), expiry (ms), max per
    /// key, max per organization, set lifetime (ms). Returns 0 (taken), 1 (key cap) or 2 (organization cap).</summary>
    private const string Acquire = """
        local now = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 1 end
        if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return 2 end
        redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        redis.call('PEXPIRE', KEYS[2], ARGV[6])
        return 0
        """;

    private static readonly long SetLifetimeMs = (long)(OpenStreams.LeaseLifetime * 2).TotalMilliseconds;

    public async ValueTask<StreamCap?> TryAcquireAsync(StreamLease lease, int maxPerKey, int maxPerOrganization, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var reply = await redis.RunAsync(db => db.ScriptEvaluateAsync(
            Acquire,
            [RedisKeys.StreamLeasesOfKey(lease.OrganizationId, lease.KeyId), RedisKeys.StreamLeases(lease.OrganizationId)],
            [lease.Id, now.ToUnixTimeMilliseconds(), expiresAt.ToUnixTimeMilliseconds(), maxPerKey, maxPerOrganization, SetLifetimeMs]));
        return (int)reply switch
        {
            0 => null,
            1 => StreamCap.Key,
            _ => StreamCap.Organization,
        };
    }

    public async ValueTask RenewAsync(IReadOnlyCollection<StreamLease> leases, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var score = expiresAt.ToUnixTimeMilliseconds();
        await redis.RunAsync(async db =>
        {
            var batch = db.CreateBatch();
            var sent = new List<Task>();
            foreach (var organization in leases.GroupBy(l => l.OrganizationId, StringComparer.Ordinal))
            {
                Renew(RedisKeys.StreamLeases(organization.Key), organization);
                foreach (var key in organization.GroupBy(l => l.KeyId, StringComparer.Ordinal))
                {
                    Renew(RedisKeys.StreamLeasesOfKey(organization.Key, key.Key), key);
                }
            }

            batch.Execute();
            await Task.WhenAll(sent);

            void Renew(RedisKey set, IEnumerable<StreamLease> held)
            {
                sent.Add(batch.SortedSetAddAsync(set, [.. held.Select(l => new SortedSetEntry(l.Id, score))], SortedSetWhen.Exists));
                sent.Add(batch.KeyExpireAsync(set, TimeSpan.FromMilliseconds(SetLifetimeMs)));
            }
        });
    }

    public async ValueTask ReleaseAsync(StreamLease lease, CancellationToken cancellationToken) =>
        await redis.RunAsync(async db =>
        {
            var batch = db.CreateBatch();
            var removed = new[]
            {
                batch.SortedSetRemoveAsync(RedisKeys.StreamLeasesOfKey(lease.OrganizationId, lease.KeyId), lease.Id),
                batch.SortedSetRemoveAsync(RedisKeys.StreamLeases(lease.OrganizationId), lease.Id),
            };
            batch.Execute();
            await Task.WhenAll(removed);
        });
}

using AgentMessage.Core.Idempotency;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Idempotency;

public sealed class RedisIdempotencyStore(RedisGate redis, IOptions<IdempotencyOptions> options) : IIdempotencyStore
{
    public async ValueTask<IdempotencyStart> BeginAsync(IdempotencyScope scope, string fingerprint, CancellationToken cancellationToken)
    {
        var owner = IdempotencyOptions.NewOwner();
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.BeginIdempotent, [RedisKeys.Idempotency(scope)], [fingerprint, owner, (long)options.Value.Lease.TotalMilliseconds])))!;
        return (string)reply[0]! switch
        {
            "began" => new IdempotencyStart.Began(new IdempotencyClaim(scope, fingerprint, owner)),
            "replay" => new IdempotencyStart.Replay((string)reply[1]!),
            "mismatch" => new IdempotencyStart.Mismatch(),
            _ => new IdempotencyStart.InProgress(),
        };
    }

    public async ValueTask<bool> CommitAsync(IdempotencyClaim claim, string payload, CancellationToken cancellationToken) =>
        (int)await redis.RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.CommitIdempotent, [RedisKeys.Idempotency(claim.Scope)], [claim.Owner, payload, (long)options.Value.Retention.TotalMilliseconds])) == 1;

    public async ValueTask ReleaseAsync(IdempotencyClaim claim, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.ReleaseIdempotent, [RedisKeys.Idempotency(claim.Scope)], [claim.Owner]));
}

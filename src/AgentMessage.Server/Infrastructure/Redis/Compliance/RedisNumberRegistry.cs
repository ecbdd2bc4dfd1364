using System.Globalization;
using AgentMessage.Core.Compliance;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Compliance;

/// <summary>
/// Owned numbers: the set <c>am:{o:ORG}:numbers</c> (what a send checks) and, beside it in the same
/// slot, the hash <c>am:{o:ORG}:number-paces</c> of the numbers that have their own pace. Both
/// change together in one MULTI. A number has one owner, <c>am:number:{NUMBER}</c>, claimed before the
/// organization's own keys are written and released after they are cleared, so an interrupted add
/// leaves at worst a claim its organization can complete or remove.
/// </summary>
public sealed class RedisNumberRegistry(RedisGate redis) : INumberRegistry
{
    private const string ClaimScript = """
        local owner = redis.call('GET', KEYS[1])
        if owner and owner ~= ARGV[1] then return 0 end
        if not owner then redis.call('SET', KEYS[1], ARGV[1]) end
        return 1
        """;

    private const string ReleaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

    public async ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.SetContainsAsync(RedisKeys.Numbers(organizationId), number));

    public async ValueTask<bool> AddAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        await redis.RunAsync(async db =>
        {
            if (!await ClaimAsync(db, organizationId, number))
            {
                return false;
            }

            await db.SetAddAsync(RedisKeys.Numbers(organizationId), number);
            return true;
        });

    public async ValueTask<string?> FindOwnerAsync(string number, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.StringGetAsync(RedisKeys.NumberOwner(number))) is { HasValue: true } owner ? owner.ToString() : null;

    public async ValueTask<bool> PutAsync(string organizationId, OwnedNumberRecord number, CancellationToken cancellationToken) =>
        await redis.RunAsync(async db =>
        {
            if (!await ClaimAsync(db, organizationId, number.Number))
            {
                return false;
            }

            var transaction = db.CreateTransaction();
            _ = transaction.SetAddAsync(RedisKeys.Numbers(organizationId), number.Number);
            _ = number.PacePerSecond is { } pace
                ? transaction.HashSetAsync(RedisKeys.NumberPaces(organizationId), number.Number, pace.ToString("R", CultureInfo.InvariantCulture))
                : transaction.HashDeleteAsync(RedisKeys.NumberPaces(organizationId), number.Number);
            await transaction.ExecuteAsync();
            return true;
        });

    public async ValueTask<bool> RemoveAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        await redis.RunAsync(async db =>
        {
            var transaction = db.CreateTransaction();
            var removed = transaction.SetRemoveAsync(RedisKeys.Numbers(organizationId), number);
            _ = transaction.HashDeleteAsync(RedisKeys.NumberPaces(organizationId), number);
            await transaction.ExecuteAsync();

            // The claim lives outside the organization's slot; drop it only if it is still ours. A claim
            // without the set member (an add interrupted between the two) counts as owned, so it can be removed.
            var released = (long)await db.ScriptEvaluateAsync(ReleaseScript, [RedisKeys.NumberOwner(number)], [organizationId]);
            return await removed || released == 1;
        });

    private static async Task<bool> ClaimAsync(IDatabase db, string organizationId, string number) =>
        (long)await db.ScriptEvaluateAsync(ClaimScript, [RedisKeys.NumberOwner(number)], [organizationId]) == 1;

    public async ValueTask<OwnedNumberRecord?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        await redis.RunAsync(async db =>
        {
            var owned = db.SetContainsAsync(RedisKeys.Numbers(organizationId), number);
            var pace = db.HashGetAsync(RedisKeys.NumberPaces(organizationId), number);
            return await owned ? new OwnedNumberRecord(number, ParsePace(await pace)) : null;
        });

    public async ValueTask<IReadOnlyList<OwnedNumberRecord>> ListAsync(string organizationId, CancellationToken cancellationToken) =>
        await redis.RunAsync<IReadOnlyList<OwnedNumberRecord>>(async db =>
        {
            var members = db.SetMembersAsync(RedisKeys.Numbers(organizationId));
            var paces = db.HashGetAllAsync(RedisKeys.NumberPaces(organizationId));
            var byNumber = (await paces).ToDictionary(e => (string)e.Name!, e => ParsePace(e.Value), StringComparer.Ordinal);
            return [.. (await members).Select(m => (string)m!).Order(StringComparer.Ordinal).Select(n => new OwnedNumberRecord(n, byNumber.GetValueOrDefault(n)))];
        });

    private static double? ParsePace(RedisValue value) =>
        value.HasValue && double.TryParse((string?)value, NumberStyles.Float, CultureInfo.InvariantCulture, out var pace) ? pace : null;
}

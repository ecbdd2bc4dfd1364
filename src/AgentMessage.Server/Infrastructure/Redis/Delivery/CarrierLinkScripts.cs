using AgentMessage.Core.Delivery;

namespace AgentMessage.Server.Infrastructure.Redis.Delivery;

/// <summary>
/// The carrier link's scripts (<see cref="RedisCarrierLinkStore"/>), each on one key. Hash fields
/// are part numbers ("1", "2", ...) beside the named fields of <see cref="RedisFields"/>, which
/// are not numbers. Expiry is Redis' own clock (PEXPIRE), in ms.
/// </summary>
public static class CarrierLinkScripts
{
    private const string Delivered = CarrierReceiptStatus.Delivered;

    /// <summary>
    /// KEYS: progress. ARGV: proposed concatenation reference, keep (ms). Records the reference
    /// unless one is recorded, restarts the keep, and returns the whole hash (HGETALL: the reference
    /// and part number to carrier id of each accepted part).
    /// </summary>
    public static readonly string BeginMultipart = $$"""
        redis.call('HSETNX', KEYS[1], '{{RedisFields.CarrierConcatReference}}', ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return redis.call('HGETALL', KEYS[1])
        """;

    /// <summary>KEYS: progress. ARGV: part number, carrier id, keep (ms). Records the accepted part
    /// and restarts the keep, together, so the hash never outlives its expiry.</summary>
    public const string RecordAcceptedPart = """
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 0
        """;

    /// <summary>
    /// KEYS: receipts. ARGV: part number, status, number of parts, keep (ms). Records the part's
    /// status unless it has one and restarts the keep. The first status recorded that is not
    /// delivered decides the message; otherwise it is decided delivered once every part 1..parts is.
    /// Returns the decided status, or nil while undecided.
    /// </summary>
    public static readonly string RecordPartStatus = $$"""
        local key = KEYS[1]
        local status = ARGV[2]
        local fresh = redis.call('HSETNX', key, ARGV[1], status)
        redis.call('PEXPIRE', key, ARGV[4])
        if fresh == 1 and status ~= '{{Delivered}}' then
          redis.call('HSETNX', key, '{{RedisFields.CarrierDecidedStatus}}', status)
        end
        local decided = redis.call('HGET', key, '{{RedisFields.CarrierDecidedStatus}}')
        if decided then return decided end
        local parts = tonumber(ARGV[3])
        if redis.call('HLEN', key) < parts then return false end
        for i = 1, parts do
          if redis.call('HGET', key, tostring(i)) ~= '{{Delivered}}' then return false end
        end
        redis.call('HSET', key, '{{RedisFields.CarrierDecidedStatus}}', '{{Delivered}}')
        return '{{Delivered}}'
        """;

    /// <summary>
    /// KEYS: inbound parts. ARGV: part number, number of parts, text, keep (ms). Records the part
    /// (a repeat replaces it). The keep starts with the assembly's first part and is not restarted
    /// by later ones, so repeats cannot hold an incomplete assembly forever. Once every part
    /// 1..parts is in, deletes the hash and returns the texts in part order; nil until then.
    /// </summary>
    public const string AddInboundPart = """
        local key = KEYS[1]
        local fresh = redis.call('EXISTS', key) == 0
        redis.call('HSET', key, ARGV[1], ARGV[3])
        if fresh then redis.call('PEXPIRE', key, ARGV[4]) end
        local parts = tonumber(ARGV[2])
        if redis.call('HLEN', key) < parts then return false end
        local fields = {}
        for i = 1, parts do fields[i] = tostring(i) end
        local texts = redis.call('HMGET', key, unpack(fields))
        for i = 1, parts do
          if not texts[i] then return false end
        end
        redis.call('DEL', key)
        return texts
        """;
}

namespace AgentMessage.Server.Infrastructure.Redis.Webhooks;

/// <summary>
/// The webhook store's scripts (<see cref="RedisWebhookStore"/>), each within one organization's
/// slot. Per organization: a hash of endpoints (JSON), a sorted set of their ids by creation, a hash
/// of each one's subscribed types (" message.status message.received "), a hash of disabled ones
/// and why, a hash of pending jobs (<c>endpoint|event</c> to "attempt\ntype\nevent id\nbody"), and
/// per endpoint a sorted set of due jobs (by due time), of jobs in flight (by lease end) and its
/// attempt log (by position). Scripts derive the per-endpoint keys from the organization's key
/// prefix (ARGV[1]); they all carry its hash tag. Times are the instances' clocks (unix ms).
/// </summary>
public static class WebhookScripts
{
    private const string Derive = """
        local prefix = ARGV[1]
        local function due(ep) return prefix .. 'wh:due:' .. ep end
        local function fly(ep) return prefix .. 'wh:fly:' .. ep end
        local function alog(ep) return prefix .. 'wh:log:' .. ep end
        """;

    /// <summary>KEYS: endpoints, order, subscriptions, disabled. ARGV: prefix, id, json, created (ms),
    /// subscriptions, max, disabled reason ('' = enabled). Returns 1, or 0 at the limit. The order's
    /// score is the creation time, raised past the newest endpoint's so that two endpoints created in
    /// one millisecond still list in the order they were created.</summary>
    public const string Create = Derive + """

        if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then return 0 end
        local score = tonumber(ARGV[4])
        local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
        if newest[2] and tonumber(newest[2]) >= score then score = tonumber(newest[2]) + 1 end
        redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
        redis.call('ZADD', KEYS[2], score, ARGV[2])
        redis.call('HSET', KEYS[3], ARGV[2], ARGV[5])
        if ARGV[7] ~= '' then redis.call('HSET', KEYS[4], ARGV[2], ARGV[7]) end
        return 1
        """;

    /// <summary>KEYS: endpoints, subscriptions, disabled, failing. ARGV: prefix, id, json,
    /// subscriptions, disabled reason ('' = enabled), now (ms). Enabling makes every pending job of
    /// the endpoint due now. Returns 1, or 0 when the endpoint is gone.</summary>
    public const string Update = Derive + """

        local id = ARGV[2]
        if redis.call('HEXISTS', KEYS[1], id) == 0 then return 0 end
        redis.call('HSET', KEYS[1], id, ARGV[3])
        redis.call('HSET', KEYS[2], id, ARGV[4])
        if ARGV[5] == '' then
          if redis.call('HDEL', KEYS[3], id) == 1 then
            redis.call('HDEL', KEYS[4], id)
            local pending = redis.call('ZRANGE', due(id), 0, -1)
            for _, job in ipairs(pending) do redis.call('ZADD', due(id), ARGV[6], job) end
          end
        else
          redis.call('HSET', KEYS[3], id, ARGV[5])
        end
        return 1
        """;

    /// <summary>KEYS: endpoints, order, subscriptions, disabled, failing, jobs, log positions.
    /// ARGV: prefix, id. Returns 1, or 0 when there was no such endpoint.</summary>
    public const string Delete = Derive + """

        local id = ARGV[2]
        if redis.call('HDEL', KEYS[1], id) == 0 then return 0 end
        redis.call('ZREM', KEYS[2], id)
        redis.call('HDEL', KEYS[3], id)
        redis.call('HDEL', KEYS[4], id)
        redis.call('HDEL', KEYS[5], id)
        redis.call('HDEL', KEYS[7], id)
        for _, set in ipairs({due(id), fly(id)}) do
          local jobs = redis.call('ZRANGE', set, 0, -1)
          for _, job in ipairs(jobs) do redis.call('HDEL', KEYS[6], job) end
          redis.call('DEL', set)
        end
        redis.call('DEL', alog(id))
        return 1
        """;

    /// <summary>
    /// KEYS: subscriptions, disabled, jobs, events stream. ARGV: prefix, now (ms), consumer group,
    /// number of read entries n, their n ids, then per event: event id, type, body. Queues each
    /// event for every enabled endpoint subscribed to its type (once per endpoint and event), then
    /// acknowledges the read entries. Returns the number of jobs queued.
    /// </summary>
    public const string FanOut = Derive + """

        local now = ARGV[2]
        local n = tonumber(ARGV[4])
        local queued = 0
        local subs = redis.call('HGETALL', KEYS[1])
        for i = 1, #subs, 2 do
          local ep = subs[i]
          local types = subs[i + 1]
          if redis.call('HEXISTS', KEYS[2], ep) == 0 then
            for e = 5 + n, #ARGV, 3 do
              local event, kind, body = ARGV[e], ARGV[e + 1], ARGV[e + 2]
              if string.find(types, ' ' .. kind .. ' ', 1, true) then
                local job = ep .. '|' .. event
                if redis.call('HSETNX', KEYS[3], job, '1\n' .. kind .. '\n' .. event .. '\n' .. body) == 1 then
                  redis.call('ZADD', due(ep), now, job)
                  queued = queued + 1
                end
              end
            end
          end
        end
        if n > 0 then
          redis.call('XACK', KEYS[4], ARGV[3], unpack(ARGV, 5, 4 + n))
        end
        return queued
        """;

    /// <summary>KEYS: endpoints, jobs. ARGV: prefix, now (ms), endpoint, event id, type, body.
    /// Queues one event for one endpoint, due now. Returns 1, or 0 when the endpoint is gone.</summary>
    public const string Enqueue = Derive + """

        local ep = ARGV[3]
        if redis.call('HEXISTS', KEYS[1], ep) == 0 then return 0 end
        local job = ep .. '|' .. ARGV[4]
        if redis.call('HSETNX', KEYS[2], job, '1\n' .. ARGV[5] .. '\n' .. ARGV[4] .. '\n' .. ARGV[6]) == 1 then
          redis.call('ZADD', due(ep), ARGV[2], job)
        end
        return 1
        """;

    /// <summary>
    /// KEYS: order, disabled, jobs. ARGV: prefix, now (ms), max, max in flight per endpoint, lease (ms).
    /// For each enabled endpoint, oldest first: returns the jobs of expired leases to the due set,
    /// then takes due jobs while the endpoint has room, leasing each. Returns {next due (ms, or -1
    /// when nothing is pending), job id, record, job id, record, ...}; the next due time counts the
    /// leases too, since one that runs out makes its job due, and leaves out the due jobs of an
    /// endpoint at its cap.
    /// </summary>
    public const string Claim = Derive + """

        local now = tonumber(ARGV[2])
        local max = tonumber(ARGV[3])
        local cap = tonumber(ARGV[4])
        local lease = tonumber(ARGV[5])
        local out = {-1}
        local next = nil
        local taken = 0
        local eps = redis.call('ZRANGE', KEYS[1], 0, -1)
        for _, ep in ipairs(eps) do
          if redis.call('HEXISTS', KEYS[2], ep) == 0 then
            local expired = redis.call('ZRANGEBYSCORE', fly(ep), '-inf', now)
            for _, job in ipairs(expired) do
              redis.call('ZREM', fly(ep), job)
              redis.call('ZADD', due(ep), now, job)
            end
            local room = cap - redis.call('ZCARD', fly(ep))
            if room > max - taken then room = max - taken end
            if room > 0 then
              local jobs = redis.call('ZRANGEBYSCORE', due(ep), '-inf', now, 'LIMIT', 0, room)
              for _, job in ipairs(jobs) do
                redis.call('ZREM', due(ep), job)
                local record = redis.call('HGET', KEYS[3], job)
                if record then
                  redis.call('ZADD', fly(ep), now + lease, job)
                  out[#out + 1] = job
                  out[#out + 1] = record
                  taken = taken + 1
                end
              end
            end
            -- An endpoint at its cap has nothing due before one of its attempts settles (the
            -- settling instance looks again at once) or a lease runs out.
            local sets = {fly(ep)}
            if redis.call('ZCARD', fly(ep)) < cap then sets[2] = due(ep) end
            for _, set in ipairs(sets) do
              local first = redis.call('ZRANGE', set, 0, 0, 'WITHSCORES')
              if first[2] then
                local at = tonumber(first[2])
                if next == nil or at < next then next = at end
              end
            end
          end
        end
        if next ~= nil then out[1] = next end
        return out
        """;

    /// <summary>
    /// KEYS: endpoints, disabled, failing, jobs, log positions. ARGV: prefix, now (ms), disable after
    /// (ms), attempt log length, then per settlement: job id, endpoint, disposition (D delivered, R
    /// retry, X give up, G gone), retry at (ms), attempted at (ms), attempt JSON. Records each
    /// attempt in the endpoint's log and drops, reschedules or keeps the job; a failure starts or
    /// continues the endpoint's failing period, and disables it once that is DisableAfter long.
    /// </summary>
    public const string Settle = Derive + """

        local now = tonumber(ARGV[2])
        local disableAfter = tonumber(ARGV[3])
        local keep = tonumber(ARGV[4])
        local function bump(record)
          local first = string.find(record, '\n', 1, true)
          return tostring(tonumber(string.sub(record, 1, first - 1)) + 1) .. string.sub(record, first)
        end
        for i = 5, #ARGV, 6 do
          local job, ep, disposition, retryAt, attemptedAt, attempt = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
          redis.call('ZREM', fly(ep), job)
          local record = redis.call('HGET', KEYS[4], job)
          if redis.call('HEXISTS', KEYS[1], ep) == 1 and record then
            local position = redis.call('HINCRBY', KEYS[5], ep, 1)
            redis.call('ZADD', alog(ep), position, position .. '\n' .. attempt)
            redis.call('ZREMRANGEBYRANK', alog(ep), 0, -(keep + 1))
            if disposition == 'D' then
              redis.call('HDEL', KEYS[4], job)
              redis.call('HDEL', KEYS[3], ep)
            else
              if disposition == 'X' then
                redis.call('HDEL', KEYS[4], job)
              elseif disposition == 'R' then
                redis.call('HSET', KEYS[4], job, bump(record))
                redis.call('ZADD', due(ep), retryAt, job)
              else
                redis.call('HSET', KEYS[4], job, bump(record))
                redis.call('ZADD', due(ep), now, job)
                redis.call('HSETNX', KEYS[2], ep, 'gone')
              end
              redis.call('HSETNX', KEYS[3], ep, attemptedAt)
              local since = tonumber(redis.call('HGET', KEYS[3], ep))
              if now - since >= disableAfter then
                redis.call('HSETNX', KEYS[2], ep, 'failing')
              end
            end
          end
        end
        return 1
        """;
}

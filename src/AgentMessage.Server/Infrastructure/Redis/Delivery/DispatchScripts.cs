using AgentMessage.Core.Messaging;
using AgentMessage.Core.Storage;

namespace AgentMessage.Server.Infrastructure.Redis.Delivery;

/// <summary>
/// The dispatch schedule's scripts (<see cref="RedisDispatchQueue"/>), each within one
/// organization's slot. Statuses, priorities, fields and the lifecycle's allowed moves are built
/// into the text from their one definition at start-up. Scripts derive the keys of a message's
/// hash and a sender number's lane from the organization's key prefix (ARGV) and what they read:
/// every such key carries the organization's hash tag, so it is in the slot of the declared keys.
/// Times are the instances' clocks (unix ms), as for every other recorded time.
/// </summary>
public static class DispatchScripts
{
    private static readonly string Queued = Stored(DeliveryStatus.Queued);
    private static readonly string Scheduled = Stored(DeliveryStatus.Scheduled);
    private static readonly string Sending = Stored(DeliveryStatus.Sending);
    private static readonly string Failed = Stored(DeliveryStatus.Failed);
    private static readonly string Canceled = Stored(DeliveryStatus.Canceled);
    private static readonly string High = StoredNames.MessagePriority.ToStored(MessagePriority.High);
    private static readonly string Default = StoredNames.MessagePriority.ToStored(MessagePriority.Default);

    /// <summary>
    /// Takes due messages. KEYS: scheduled, ready high, ready default, slots, leases, events.
    /// ARGV: key prefix, now (ms), occurred_at, max, lease (ms), event log length, retention (ms),
    /// events doorbell channel, organization id, burst window (ms), expired error code.
    /// First moves scheduled messages that have fallen due into their lanes; then serves the ready
    /// sender numbers, high before default, each while its pace slot allows
    /// (Delivery.SenderPace), leasing each message it takes and moving it to sending. Returns
    /// {expired count, next due ms or '', then per taken message: json, status, updated_at, error}.
    /// </summary>
    public static readonly string Take = RedisScripts.MoveFunction + $$"""
        local ctx = {events = KEYS[6], loglen = ARGV[6], retention = ARGV[7], at = ARGV[3]}
        local moved = false
        local prefix = ARGV[1]
        local now = tonumber(ARGV[2])
        local max = tonumber(ARGV[4])
        local lease = tonumber(ARGV[5])
        local burst = tonumber(ARGV[10])
        local function ready_key(priority) if priority == '{{High}}' then return KEYS[2] end return KEYS[3] end
        local function lane_key(number, priority) return prefix .. '{{RedisKeys.DispatchLaneInfix}}' .. number .. ':' .. priority end

        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1000)
        for _, id in ipairs(due) do
          redis.call('ZREM', KEYS[1], id)
          local m = redis.call('HMGET', prefix .. '{{RedisKeys.MessageInfix}}' .. id, '{{RedisFields.MessageFrom}}', '{{RedisFields.MessagePriority}}')
          if m[1] then
            redis.call('RPUSH', lane_key(m[1], m[2]), id)
            redis.call('ZADD', ready_key(m[2]), 'NX', now, m[1])
          end
        end

        local taken = {}
        local count = 0
        local expired = 0
        for _, priority in ipairs({'{{High}}', '{{Default}}'}) do
          local ready = ready_key(priority)
          if count < max then
            local numbers = redis.call('ZRANGEBYSCORE', ready, '-inf', now, 'LIMIT', 0, max - count)
            for _, number in ipairs(numbers) do
              local lane = lane_key(number, priority)
              local slot = tonumber(redis.call('HGET', KEYS[4], number) or '0')
              local waiting_interval = nil
              while count < max do
                local id = redis.call('LINDEX', lane, 0)
                if not id then break end
                local key = prefix .. '{{RedisKeys.MessageInfix}}' .. id
                local h = redis.call('HMGET', key, '{{RedisFields.MessageStatus}}', '{{RedisFields.MessageValidUntil}}', '{{RedisFields.MessagePaceInterval}}')
                local status = h[1]
                if not status or (status ~= '{{Queued}}' and status ~= '{{Scheduled}}' and status ~= '{{Sending}}') then
                  redis.call('LPOP', lane)
                else
                  local interval = tonumber(h[3]) or 0
                  local tolerance = burst - interval
                  if tolerance < 0 then tolerance = 0 end
                  if slot - now > tolerance then
                    waiting_interval = interval
                    break
                  end
                  redis.call('LPOP', lane)
                  local valid_until = tonumber(h[2])
                  if valid_until and now > valid_until and status ~= '{{Sending}}' then
                    if move(key, id, '{{Failed}}', ARGV[11], ctx) then moved = true end
                    expired = expired + 1
                  else
                    if slot < now then slot = now end
                    slot = slot + interval
                    if status ~= '{{Sending}}' and move(key, id, '{{Sending}}', '', ctx) then moved = true end
                    redis.call('ZADD', KEYS[5], now + lease, id)
                    local fields = redis.call('HMGET', key, '{{RedisFields.MessageJson}}', '{{RedisFields.MessageStatus}}', '{{RedisFields.MessageUpdatedAt}}', '{{RedisFields.MessageErrorCode}}')
                    count = count + 1
                    taken[#taken + 1] = fields[1]
                    taken[#taken + 1] = fields[2]
                    taken[#taken + 1] = fields[3]
                    taken[#taken + 1] = fields[4] or ''
                  end
                end
              end
              if slot > 0 then redis.call('HSET', KEYS[4], number, string.format('%.17g', slot)) end
              if redis.call('LLEN', lane) == 0 then
                redis.call('ZREM', ready, number)
              else
                local eligible = now
                if waiting_interval then
                  local tolerance = burst - waiting_interval
                  if tolerance < 0 then tolerance = 0 end
                  eligible = slot - tolerance
                end
                redis.call('ZADD', ready, eligible, number)
              end
            end
          end
        end

        local next_due = nil
        for _, key in ipairs({KEYS[1], KEYS[2], KEYS[3]}) do
          local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
          if first[2] then
            local at = tonumber(first[2])
            if next_due == nil or at < next_due then next_due = at end
          end
        end
        if moved then redis.call('PUBLISH', ARGV[8], ARGV[9]) end
        local reply = {expired, next_due and string.format('%.17g', next_due) or ''}
        for _, value in ipairs(taken) do reply[#reply + 1] = value end
        return reply
        """;

    /// <summary>
    /// Records the carrier's answers. KEYS: leases, events, scheduled. ARGV: key prefix, occurred_at,
    /// event log length, retention (ms), events doorbell channel, organization id, then per answer:
    /// message id, status, error code ('' none) or, for a transient refusal, status '' and the retry
    /// time (ms). Ends each lease; moves each answered message, and puts each refused-for-now one
    /// (still sending) on the scheduled set, due at its retry time. Returns how many moved.
    /// </summary>
    public static readonly string Complete = RedisScripts.MoveFunction + $$"""
        local ctx = {events = KEYS[2], loglen = ARGV[3], retention = ARGV[4], at = ARGV[2]}
        local moved = false
        local count = 0
        for i = 7, #ARGV, 3 do
          local id = ARGV[i]
          redis.call('ZREM', KEYS[1], id)
          if ARGV[i + 1] == '' then
            local status = redis.call('HGET', ARGV[1] .. '{{RedisKeys.MessageInfix}}' .. id, '{{RedisFields.MessageStatus}}')
            if status == '{{Sending}}' then redis.call('ZADD', KEYS[3], tonumber(ARGV[i + 2]), id) end
          elseif move(ARGV[1] .. '{{RedisKeys.MessageInfix}}' .. id, id, ARGV[i + 1], ARGV[i + 2], ctx) then
            count = count + 1
            moved = true
          end
        end
        if moved then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
        return count
        """;

    /// <summary>
    /// Puts messages whose lease ran out back at the front of their lanes, due now. KEYS: leases,
    /// ready high, ready default. ARGV: key prefix, now (ms), dispatch doorbell channel,
    /// organization id. Messages no longer in sending (their answer was recorded) just lose the
    /// lease. Returns how many went back.
    /// </summary>
    public static readonly string Reclaim = $$"""
        local prefix = ARGV[1]
        local now = tonumber(ARGV[2])
        local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
        local count = 0
        for _, id in ipairs(lapsed) do
          redis.call('ZREM', KEYS[1], id)
          local m = redis.call('HMGET', prefix .. '{{RedisKeys.MessageInfix}}' .. id, '{{RedisFields.MessageStatus}}', '{{RedisFields.MessageFrom}}', '{{RedisFields.MessagePriority}}')
          if m[1] == '{{Sending}}' and m[2] then
            redis.call('LPUSH', prefix .. '{{RedisKeys.DispatchLaneInfix}}' .. m[2] .. ':' .. m[3], id)
            local ready = KEYS[3]
            if m[3] == '{{High}}' then ready = KEYS[2] end
            redis.call('ZADD', ready, now, m[2])
            count = count + 1
          end
        end
        if count > 0 then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
        return count
        """;

    /// <summary>
    /// Cancels a waiting message. KEYS: message, scheduled, events. ARGV: message id, occurred_at,
    /// event log length, retention (ms), events doorbell channel, organization id. A canceled
    /// message left in its lane is dropped when a take reaches it. Returns {1, status} when
    /// canceled, {0, status} when the message is past waiting, {0, ''} when there is none.
    /// </summary>
    public static readonly string Cancel = RedisScripts.MoveFunction + $$"""
        local ctx = {events = KEYS[3], loglen = ARGV[3], retention = ARGV[4], at = ARGV[2]}
        local status = redis.call('HGET', KEYS[1], '{{RedisFields.MessageStatus}}')
        if not status then return {0, ''} end
        if status ~= '{{Queued}}' and status ~= '{{Scheduled}}' then return {0, status} end
        move(KEYS[1], ARGV[1], '{{Canceled}}', '', ctx)
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('PUBLISH', ARGV[5], ARGV[6])
        return {1, '{{Canceled}}'}
        """;

    /// <summary>
    /// Moves up to 500 entries of a stream messages were queued on before the dispatch schedule onto
    /// the schedule. KEYS: the old stream, the ready set of its priority. ARGV: key prefix, now (ms),
    /// the stream's priority (stored name), the default pace interval (ms). Each entry is deleted
    /// first and moved only if this call deleted it, so instances migrating at once move it once;
    /// only queued and sending messages go onto the schedule. Returns {moved, entries left}.
    /// </summary>
    public static readonly string MigrateLegacyStream = $$"""
        local prefix = ARGV[1]
        local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 500)
        local moved = 0
        for _, entry in ipairs(entries) do
          if redis.call('XDEL', KEYS[1], entry[1]) == 1 then
            local id = nil
            for i = 1, #entry[2], 2 do
              if entry[2][i] == '{{RedisFields.EntryMessageId}}' then id = entry[2][i + 1] end
            end
            if id then
              local key = prefix .. '{{RedisKeys.MessageInfix}}' .. id
              local h = redis.call('HMGET', key, '{{RedisFields.MessageStatus}}', '{{RedisFields.MessageJson}}')
              if h[1] == '{{Queued}}' or h[1] == '{{Sending}}' then
                local from = cjson.decode(h[2])['from']
                redis.call('HSET', key, '{{RedisFields.MessageFrom}}', from, '{{RedisFields.MessagePriority}}', ARGV[3])
                redis.call('HSETNX', key, '{{RedisFields.MessagePaceInterval}}', ARGV[4])
                redis.call('RPUSH', prefix .. '{{RedisKeys.DispatchLaneInfix}}' .. from .. ':' .. ARGV[3], id)
                redis.call('ZADD', KEYS[2], 'NX', ARGV[2], from)
                moved = moved + 1
              end
            end
          end
        end
        return {moved, redis.call('XLEN', KEYS[1])}
        """;

    /// <summary>
    /// Reads one organization's waiting messages for the queue gauges, changing nothing. KEYS:
    /// scheduled, ready high, ready default. ARGV: key prefix, now (ms). Counts the scheduled
    /// messages already due and every lane of a ready number; the oldest is the earliest due score,
    /// or a lane head's send_at (else created_at) as stored, in the stored JSON's UTC format, which
    /// orders as text. Returns {depth, oldest due ms or '', oldest lane head time or ''}.
    /// </summary>
    public static readonly string Snapshot = $$"""
        local prefix = ARGV[1]
        local now = tonumber(ARGV[2])
        local depth = redis.call('ZCOUNT', KEYS[1], '-inf', now)
        local first = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1)
        local due = first[2] or ''
        local oldest = ''
        for i, priority in ipairs({'{{High}}', '{{Default}}'}) do
          for _, number in ipairs(redis.call('ZRANGE', KEYS[i + 1], 0, -1)) do
            local lane = prefix .. '{{RedisKeys.DispatchLaneInfix}}' .. number .. ':' .. priority
            depth = depth + redis.call('LLEN', lane)
            local head = redis.call('LINDEX', lane, 0)
            if head then
              local json = redis.call('HGET', prefix .. '{{RedisKeys.MessageInfix}}' .. head, '{{RedisFields.MessageJson}}')
              if json then
                local m = cjson.decode(json)
                local at = m['send_at']
                if type(at) ~= 'string' then at = m['created_at'] end
                if type(at) == 'string' and (oldest == '' or at < oldest) then oldest = at end
              end
            end
          end
        end
        return {depth, due, oldest}
        """;

    private static string Stored(DeliveryStatus status) => StoredNames.DeliveryStatus.ToStored(status);
}

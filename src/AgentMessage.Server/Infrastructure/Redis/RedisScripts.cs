using AgentMessage.Core.Delivery;
using AgentMessage.Core.Storage;

namespace AgentMessage.Server.Infrastructure.Redis;

/// <summary>
/// The Lua scripts. Each runs atomically on the server, on Redis server time, so every instance
/// shares one bucket per organization and operation and one truth per idempotency key.
/// StackExchange.Redis sends each as EVALSHA once loaded.
/// </summary>
public static class RedisScripts
{
    /// <summary>
    /// The token bucket's arithmetic (RateLimiting.TokenBucket), in Lua: a bucket holding
    /// <c>tokens</c> as of <c>at</c> refills at <c>rate</c> per second up to <c>burst</c> until
    /// <c>now</c>, then gives one token if it has one. Returns the tokens left and 1, or the tokens
    /// and 0.
    /// </summary>
    private const string SpendToken = """
        local function spend(tokens, at, now, burst, rate)
          local elapsed = now - at
          if elapsed < 0 then elapsed = 0 end
          tokens = math.min(burst, tokens + elapsed * rate)
          if tokens >= 1 then return tokens - 1, 1 end
          return tokens, 0
        end

        """;

    /// <summary>
    /// The token bucket of RateLimiting.TokenBucket on Redis: take one token if there is one.
    /// Returns {allowed (0/1), tokens left as text}. Time is microsecond server time; the state
    /// expires once the bucket would be full anyway.
    /// </summary>
    private const string TakeToken = SpendToken + """
        local function take(key, burst, rate)
          local clock = redis.call('TIME')
          local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
          local state = redis.call('HMGET', key, 'tokens', 'at')
          local tokens = tonumber(state[1])
          local at = tonumber(state[2])
          if tokens == nil or at == nil then
            tokens = burst
            at = now
          end
          local allowed
          tokens, allowed = spend(tokens, at, now, burst, rate)
          redis.call('HSET', key, 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', now))
          redis.call('PEXPIRE', key, math.ceil((burst / rate) * 1000) + 60000)
          return {allowed, string.format('%.17g', tokens)}
        end
        """;

    /// <summary>KEYS: bucket. ARGV: burst, rate. Returns {allowed, tokens}.</summary>
    public const string RateLimit = TakeToken + """

        return take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
        """;

    /// <summary>Shared keys and arguments of <see cref="AdmitSends"/>, and how many of each one send adds.</summary>
    public const int AdmitSharedKeys = 6, AdmitSharedArgs = 7, AdmitKeysPerSend = 5, AdmitArgsPerSend = 14;

    /// <summary>
    /// The last step of a batch of one organization's sends (Messaging.ISendAdmission), each as if
    /// it ran alone in the batch's order at one instant: it takes a token from the shared bucket and,
    /// when admitted with a message, stores the message, indexes it, puts it on the dispatch
    /// schedule, appends its first event and commits its idempotency claim.
    /// KEYS: bucket, sequence, message index, event stream, events doorbell marker, dispatch doorbell
    /// marker; then per send: idempotency key, message, tag index, dispatch lane (or the scheduled
    /// set, for a message with a send_at), ready set of the lane's priority (an unused key of the
    /// organization where a send has none).
    /// ARGV: retention of a committed idempotency key (ms), event log length, organization id,
    /// lifetime of a tag index (ms, renewed by each send with the tag), the dispatch doorbell channel,
    /// the events doorbell channel, how long a ring of either doorbell keeps later sends from ringing
    /// it (ms: Delivery.RingEcho); then per send: burst, rate, claim owner ('' without a key),
    /// message JSON ('' when a business rule refused it), message id, tag ('' without one),
    /// created_at, the message's stored status, send_at (unix ms, '' to be due now), now (unix ms),
    /// sender number, priority (stored name), valid until (unix ms, '' never), the sender's pace
    /// interval (ms).
    /// Returns three values per send: {-1, '', 0} when its claim's lease was lost (nothing done for
    /// it), else {allowed, tokens left, stored (0/1)}.
    /// The message is a hash (<see cref="RedisFields"/>): its JSON as accepted and the fields that
    /// change (status, updated_at, error code), so a status change never rewrites the JSON.
    /// </summary>
    public static readonly string AdmitSends = SpendToken + $$"""
        local shared = {{AdmitSharedArgs}}
        local sends = (#ARGV - shared) / {{AdmitArgsPerSend}}
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1])
        local at = tonumber(state[2])
        if at == nil then tokens = nil end
        local burst, rate
        local out = {}
        -- What the stored sends add to keys several of them share, written once after the loop in
        -- the order of the batch: index entries (numbered then), lanes, ready entries.
        local stored, tagged, tags, lanes, laneOrder, ready, readyOrder = {}, {}, {}, {}, {}, {}, {}
        for i = 0, sends - 1 do
          local k = {{AdmitSharedKeys}} + i * {{AdmitKeysPerSend}}
          local a = shared + i * {{AdmitArgsPerSend}}
          local owner = ARGV[a + 3]
          if owner ~= '' and redis.call('HGET', KEYS[k + 1], 'owner') ~= owner then
            out[#out + 1] = -1; out[#out + 1] = ''; out[#out + 1] = 0
          else
            burst = tonumber(ARGV[a + 1])
            rate = tonumber(ARGV[a + 2])
            if tokens == nil then
              tokens = burst
              at = now
            end
            local allowed
            tokens, allowed = spend(tokens, at, now, burst, rate)
            at = now
            local left = string.format('%.17g', tokens)
            local json = ARGV[a + 4]
            if allowed == 0 or json == '' then
              if owner ~= '' then redis.call('DEL', KEYS[k + 1]) end
              out[#out + 1] = allowed; out[#out + 1] = left; out[#out + 1] = 0
            else
              local id, tag, created, status, from = ARGV[a + 5], ARGV[a + 6], ARGV[a + 7], ARGV[a + 8], ARGV[a + 11]
              local event = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*', '{{RedisFields.EntryMessageId}}', id, '{{RedisFields.EventStatus}}', status, '{{RedisFields.EventErrorCode}}', '', '{{RedisFields.EventOccurredAt}}', created, '{{RedisFields.EventTag}}', tag)
              local fields = {'{{RedisFields.MessageJson}}', json, '{{RedisFields.MessageStatus}}', status, '{{RedisFields.MessageUpdatedAt}}', created, '{{RedisFields.MessageTag}}', tag,
                '{{RedisFields.MessageFrom}}', from, '{{RedisFields.MessagePriority}}', ARGV[a + 12], '{{RedisFields.MessagePaceInterval}}', ARGV[a + 14], '{{RedisFields.MessageEventId}}', event}
              if ARGV[a + 13] ~= '' then
                fields[#fields + 1] = '{{RedisFields.MessageValidUntil}}'; fields[#fields + 1] = ARGV[a + 13]
              end
              redis.call('HSET', KEYS[k + 2], unpack(fields))
              stored[#stored + 1] = id
              if tag ~= '' then
                local key = KEYS[k + 3]
                if tags[key] == nil then tags[key] = {}; tagged[#tagged + 1] = key end
                tags[key][#tags[key] + 1] = #stored
              end
              if ARGV[a + 9] ~= '' then
                redis.call('ZADD', KEYS[k + 4], ARGV[a + 9], id)
              else
                local lane = KEYS[k + 4]
                if lanes[lane] == nil then lanes[lane] = {}; laneOrder[#laneOrder + 1] = lane end
                lanes[lane][#lanes[lane] + 1] = id
                local entry = KEYS[k + 5] .. '\n' .. from
                if ready[entry] == nil then ready[entry] = {KEYS[k + 5], ARGV[a + 10], from}; readyOrder[#readyOrder + 1] = entry end
              end
              if owner ~= '' then
                redis.call('HSET', KEYS[k + 1], 'state', 'done', 'payload', json)
                redis.call('HDEL', KEYS[k + 1], 'owner')
                redis.call('PEXPIRE', KEYS[k + 1], ARGV[1])
              end
              out[#out + 1] = 1; out[#out + 1] = left; out[#out + 1] = 1
            end
          end
        end
        if burst ~= nil then
          redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', now))
          redis.call('PEXPIRE', KEYS[1], math.ceil((burst / rate) * 1000) + 60000)
        end
        if #stored > 0 then
          local first = redis.call('INCRBY', KEYS[2], #stored) - #stored
          local entries = {}
          for n, id in ipairs(stored) do
            entries[#entries + 1] = first + n; entries[#entries + 1] = id
          end
          redis.call('ZADD', KEYS[3], unpack(entries))
          for _, key in ipairs(tagged) do
            local members = {}
            for _, n in ipairs(tags[key]) do
              members[#members + 1] = first + n; members[#members + 1] = stored[n]
            end
            redis.call('ZADD', key, unpack(members))
            redis.call('PEXPIRE', key, ARGV[4])
          end
          for _, lane in ipairs(laneOrder) do redis.call('RPUSH', lane, unpack(lanes[lane])) end
          for _, entry in ipairs(readyOrder) do
            local r = ready[entry]
            redis.call('ZADD', r[1], 'NX', r[2], r[3])
          end
          if redis.call('SET', KEYS[6], '1', 'PX', ARGV[7], 'NX') then
            redis.call('PUBLISH', ARGV[5], ARGV[3])
          end
          if redis.call('SET', KEYS[5], '1', 'PX', ARGV[7], 'NX') then
            redis.call('PUBLISH', ARGV[6], ARGV[3])
          end
        end
        return out
        """;

    /// <summary>
    /// An inbound message's storing (Messaging.IInboundMessageStore). KEYS: message, message index,
    /// inbound index, sequence, event stream, delivery key (an unused key without one). ARGV: message
    /// JSON, message id, status (stored name: received), created_at, event log length, organization
    /// id, events doorbell channel, retention ms, keep of the delivery key in ms ('' without one),
    /// keyword applied (0/1), direction (stored name: inbound).
    /// Returns {0, stored delivery} when the delivery key was already stored (nothing done), else
    /// {1, event id}. The message is final at once, so its retention starts now.
    /// </summary>
    public static readonly string StoreInbound = $$"""
        if ARGV[9] ~= '' then
          local seen = redis.call('GET', KEYS[6])
          if seen then return {0, seen} end
        end
        local seq = redis.call('INCR', KEYS[4])
        redis.call('HSET', KEYS[1], '{{RedisFields.MessageJson}}', ARGV[1], '{{RedisFields.MessageStatus}}', ARGV[3], '{{RedisFields.MessageUpdatedAt}}', ARGV[4], '{{RedisFields.MessageTag}}', '')
        redis.call('PEXPIRE', KEYS[1], ARGV[8])
        redis.call('ZADD', KEYS[2], seq, ARGV[2])
        redis.call('ZADD', KEYS[3], seq, ARGV[2])
        local event = redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[5], '*', '{{RedisFields.EntryMessageId}}', ARGV[2], '{{RedisFields.EventStatus}}', ARGV[3], '{{RedisFields.EventErrorCode}}', '', '{{RedisFields.EventOccurredAt}}', ARGV[4], '{{RedisFields.EventTag}}', '', '{{RedisFields.EventDirection}}', ARGV[11])
        redis.call('HSET', KEYS[1], '{{RedisFields.MessageEventId}}', event)
        if ARGV[9] ~= '' then
          redis.call('SET', KEYS[6], ARGV[2] .. '\n' .. ARGV[10], 'PX', ARGV[9])
        end
        redis.call('PUBLISH', ARGV[7], ARGV[6])
        return {1, event}
        """;

    /// <summary>
    /// The one status move in Lua, shared by every script that moves a message: a Lua function
    /// <c>move(key, id, to, err, ctx)</c> that applies the move if the lifecycle allows it (a table
    /// generated from Delivery.DeliveryLifecycle, see <see cref="AllowedMovesTable"/>), starts the
    /// message's retention when the new status does, keeps an error code once set, and appends the
    /// event to the log, recording its id on the message; <c>ctx</c> holds <c>events</c> (the stream), <c>loglen</c>,
    /// <c>retention</c> (ms) and <c>at</c> (occurred_at). Returns {event id, error code, tag}, or
    /// false when the move was ignored (unknown message, or a move the lifecycle does not allow).
    /// </summary>
    public static readonly string MoveFunction = "local allowed = " + AllowedMovesTable() + "\n" +
        "local retains = " + RetentionTable() + "\n" + $$"""
        local function move(key, id, to, err, ctx)
          local current = redis.call('HGET', key, '{{RedisFields.MessageStatus}}')
          if not current then return false end
          local moves = allowed[current]
          if moves == nil or not moves[to] then return false end
          local kept = redis.call('HMGET', key, '{{RedisFields.MessageErrorCode}}', '{{RedisFields.MessageTag}}')
          if err == '' then err = kept[1] or '' end
          local tag = kept[2] or ''
          local event = redis.call('XADD', ctx.events, 'MAXLEN', '~', ctx.loglen, '*', '{{RedisFields.EntryMessageId}}', id, '{{RedisFields.EventStatus}}', to, '{{RedisFields.EventErrorCode}}', err, '{{RedisFields.EventOccurredAt}}', ctx.at, '{{RedisFields.EventTag}}', tag)
          if err ~= '' then
            redis.call('HSET', key, '{{RedisFields.MessageStatus}}', to, '{{RedisFields.MessageUpdatedAt}}', ctx.at, '{{RedisFields.MessageEventId}}', event, '{{RedisFields.MessageErrorCode}}', err)
          else
            redis.call('HSET', key, '{{RedisFields.MessageStatus}}', to, '{{RedisFields.MessageUpdatedAt}}', ctx.at, '{{RedisFields.MessageEventId}}', event)
          end
          if retains[to] then redis.call('PEXPIRE', key, ctx.retention) end
          return {event, err, tag}
        end

        """;

    /// <summary>
    /// A status change (Delivery.IMessageStatusStore), through <see cref="MoveFunction"/>. KEYS:
    /// message, event stream. ARGV: new status (stored name), error code ('' none), occurred_at,
    /// event log length, organization id, message id, retention ms, events doorbell channel.
    /// Returns {event id, error code, tag} of the new event, or false when the change was ignored.
    /// </summary>
    public static readonly string TransitionStatus = MoveFunction + """
        local moved = move(KEYS[1], ARGV[6], ARGV[1], ARGV[2], {events = KEYS[2], loglen = ARGV[4], retention = ARGV[7], at = ARGV[3]})
        if not moved then return false end
        redis.call('PUBLISH', ARGV[8], ARGV[5])
        return moved
        """;

    /// <summary>
    /// The lifecycle's allowed moves as a Lua table literal: each status's stored name to the set of
    /// stored names it may move to (empty for terminal statuses), from DeliveryLifecycle.CanMove.
    /// </summary>
    public static string AllowedMovesTable()
    {
        var rows = DeliveryLifecycle.Statuses.Select(from =>
        {
            var targets = DeliveryLifecycle.Statuses
                .Where(to => DeliveryLifecycle.CanMove(from, to))
                .Select(to => $"[{LuaString(StoredNames.DeliveryStatus.ToStored(to))}] = true");
            return $"[{LuaString(StoredNames.DeliveryStatus.ToStored(from))}] = {{{string.Join(", ", targets)}}}";
        });
        return "{" + string.Join(", ", rows) + "}";
    }

    /// <summary>The statuses that start a message's retention (DeliveryLifecycle.StartsRetention), as a Lua set.</summary>
    private static string RetentionTable() =>
        "{" + string.Join(", ", DeliveryLifecycle.Statuses.Where(DeliveryLifecycle.StartsRetention).Select(s => $"[{LuaString(StoredNames.DeliveryStatus.ToStored(s))}] = true")) + "}";

    /// <summary>A Lua string literal; stored names are plain ASCII, anything else is refused.</summary>
    private static string LuaString(string value) =>
        value.All(char.IsAsciiLetterOrDigit) ? $"'{value}'" : throw new ArgumentException($"\"{value}\" is not a plain stored name", nameof(value));

    /// <summary>
    /// KEYS: idempotency key. ARGV: fingerprint, owner, lease ms.
    /// Returns {'began'}, {'replay', payload}, {'pending'} or {'mismatch'}.
    /// </summary>
    public const string BeginIdempotent = """
        local entry = redis.call('HMGET', KEYS[1], 'state', 'fingerprint', 'payload')
        if not entry[1] then
          redis.call('HSET', KEYS[1], 'state', 'pending', 'fingerprint', ARGV[1], 'owner', ARGV[2])
          redis.call('PEXPIRE', KEYS[1], ARGV[3])
          return {'began'}
        end
        if entry[2] ~= ARGV[1] then return {'mismatch'} end
        if entry[1] == 'done' then return {'replay', entry[3]} end
        return {'pending'}
        """;

    /// <summary>KEYS: idempotency key. ARGV: owner, payload, retention ms. Returns 1 if committed, 0 if the lease was lost.</summary>
    public const string CommitIdempotent = """
        if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'state', 'done', 'payload', ARGV[2])
        redis.call('HDEL', KEYS[1], 'owner')
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;

    /// <summary>KEYS: idempotency key. ARGV: owner. Deletes the reservation if this owner still holds it.</summary>
    public const string ReleaseIdempotent = """
        if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then redis.call('DEL', KEYS[1]) end
        return 0
        """;
}

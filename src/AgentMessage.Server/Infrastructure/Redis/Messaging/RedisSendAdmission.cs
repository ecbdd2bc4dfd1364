using System.Collections.Concurrent;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Core.Refusals;
using AgentMessage.Core.Storage;
using AgentMessage.Server.Infrastructure.Redis.Delivery;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Messaging;

/// <summary>
/// Admits sends with <see cref="RedisScripts.AdmitSends"/>: token, message, index entries, its place
/// on the dispatch schedule, its first event and the idempotency commit, atomically per send.
/// <para>
/// Sends of one organization are admitted in batches: while a script run of the organization's
/// sends is at Redis, the sends that arrive wait and go together in the next run, up to
/// <see cref="MaxBatch"/>. A send that finds no run under way goes at once, so a lone send pays
/// nothing for this. Under load a run carries many sends and Redis does the script's fixed work
/// once for all of them: the call, the clock and the token bucket's read and write (measured in
/// docs/BENCHMARKS.md, "From outside: h2load"). Each send keeps its own outcome. A run that fails
/// fails each of its sends with the same error; when Redis is unavailable, the sends waiting behind
/// the run fail with it at once (they were never sent) rather than each after a timeout of its own.
/// </para>
/// </summary>
public sealed class RedisSendAdmission(RedisGate redis, IOptions<IdempotencyOptions> idempotency, IOptions<DeliveryOptions> delivery, IOptions<MessagingOptions> messaging) : ISendAdmission
{
    /// <summary>The most sends one script run carries: about 0.5 ms of Redis time at most.</summary>
    public const int MaxBatch = 32;

    private readonly ConcurrentDictionary<string, Organization> organizations = new(StringComparer.Ordinal);

    public async ValueTask<Admission> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        var org = organizations.GetOrAdd(request.OrganizationId, static id => new Organization(id));
        if (request.Message is not null && !org.Registered)
        {
            // Before the first message of the organization is queued, so no queued message is ever
            // in a stream the workers do not know.
            await redis.RunAsync(db => db.SetAddAsync(RedisKeys.DispatchOrganizations, org.Id));
            org.Registered = true;
        }

        // The send's own keys and arguments are built here, on the caller's thread, not by the run.
        var pending = new PendingSend(request, Keys(org, request), Arguments(request));
        List<PendingSend>? batch = null;
        lock (org.Waiting)
        {
            if (org.Running)
            {
                org.Waiting.Enqueue(pending);
            }
            else
            {
                org.Running = true;
                batch = [pending];
            }
        }

        if (batch is not null)
        {
            _ = RunAsync(org, batch);
        }

        // Not cut short by the caller's cancellation: once queued the send is admitted or refused
        // like one already at Redis.
        return await pending.Outcome.Task;
    }

    /// <summary>The run of the send that found none under way, in that send's context (its trace
    /// and log scope: the run carries it alone); then, while sends wait, the runs after it.</summary>
    private async Task RunAsync(Organization org, List<PendingSend> first)
    {
        if (Next(org, await AdmitBatchAsync(org, first)) is { } batch)
        {
            // The later runs carry other requests' sends: not in the first one's context.
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(() => RunWhileWaitingAsync(org, batch));
            }
        }
    }

    private async Task RunWhileWaitingAsync(Organization org, List<PendingSend> batch)
    {
        List<PendingSend>? next = batch;
        while (next is not null)
        {
            next = Next(org, await AdmitBatchAsync(org, next));
        }
    }

    /// <summary>The sends to run next (null, and the organization no longer running, when none
    /// wait), after a run that ended in <paramref name="unavailable"/> or not.</summary>
    private static List<PendingSend>? Next(Organization org, StoreUnavailableException? unavailable)
    {
        lock (org.Waiting)
        {
            if (unavailable is not null)
            {
                // Redis is unreachable: the sends waiting would each wait for a run to time out in
                // turn. They fail now, as the run did, and their clients retry (none was sent).
                while (org.Waiting.TryDequeue(out var waiting))
                {
                    waiting.Outcome.TrySetException(unavailable);
                }
            }

            if (org.Waiting.Count == 0)
            {
                org.Running = false;
                return null;
            }

            var batch = new List<PendingSend>(Math.Min(MaxBatch, org.Waiting.Count));
            while (batch.Count < MaxBatch && org.Waiting.TryDequeue(out var next))
            {
                batch.Add(next);
            }

            return batch;
        }
    }

    /// <summary>One script run for the batch; sets each send's outcome. Returns the error when Redis
    /// was unavailable, else null.</summary>
    private async Task<StoreUnavailableException?> AdmitBatchAsync(Organization org, List<PendingSend> batch)
    {
        try
        {
            var keys = new RedisKey[RedisScripts.AdmitSharedKeys + (batch.Count * RedisScripts.AdmitKeysPerSend)];
            var args = new RedisValue[RedisScripts.AdmitSharedArgs + (batch.Count * RedisScripts.AdmitArgsPerSend)];
            org.SharedKeys.CopyTo(keys, 0);
            SharedArguments(org.Id).CopyTo(args, 0);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Keys.CopyTo(keys, RedisScripts.AdmitSharedKeys + (i * RedisScripts.AdmitKeysPerSend));
                batch[i].Arguments.CopyTo(args, RedisScripts.AdmitSharedArgs + (i * RedisScripts.AdmitArgsPerSend));
            }

            var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.AdmitSends, keys, args)))!;
            for (var i = 0; i < batch.Count; i++)
            {
                var send = batch[i];
                var allowed = (int)reply[3 * i];
                send.Outcome.TrySetResult(allowed == -1
                    ? new Admission(default, LeaseLost: true)
                    : new Admission(TokenBucket.Decide(allowed == 1, ParseTokens(reply[(3 * i) + 1]), send.Request.Policy)));
            }

            return null;
        }
        catch (Exception exception)
        {
            foreach (var send in batch)
            {
                send.Outcome.TrySetException(exception);
            }

            return exception as StoreUnavailableException;
        }
    }

    private RedisValue[] SharedArguments(string org) =>
    [
        (long)idempotency.Value.Retention.TotalMilliseconds,
        delivery.Value.EventLogLength,
        org,
        (long)RedisMessageStore.TagIndexLifetime(messaging.Value).TotalMilliseconds,
        RedisKeys.DispatchChannelName,
        RedisKeys.EventsChannelName,
        (long)RingEcho.Window.TotalMilliseconds,
    ];

    private static RedisKey[] Keys(Organization org, AdmissionRequest request)
    {
        var message = request.Message;
        return
        [
            request.Claim is { } claim ? RedisKeys.Idempotency(claim.Scope) : org.Unused,
            message is null ? org.Unused : RedisKeys.Message(org.Id, message.Id),
            message?.Tag is { } tag ? RedisKeys.TagIndex(org.Id, tag) : org.Unused,
            message is null ? org.Unused
                : message.Status == DeliveryStatus.Scheduled ? org.DispatchScheduled
                : RedisKeys.DispatchLane(org.Id, message.From, message.Priority),
            message is null || message.Priority == MessagePriority.Default ? org.DefaultReady : RedisKeys.DispatchReady(org.Id, message.Priority),
        ];
    }

    private static RedisValue[] Arguments(AdmissionRequest request)
    {
        var message = request.Message;
        return
        [
            request.Policy.Burst,
            request.Policy.PerSecond,
            request.Claim?.Owner ?? string.Empty,
            message is null ? string.Empty : MessageJson.SerializeToUtf8Bytes(message),
            message?.Id ?? string.Empty,
            message?.Tag ?? string.Empty,
            message is null ? string.Empty : RedisMessageStore.FormatTime(message.CreatedAt),
            message is null ? string.Empty : StoredNames.DeliveryStatus.ToStored(message.Status),
            message is { Status: DeliveryStatus.Scheduled, SendAt: { } sendAt } ? sendAt.ToUnixTimeMilliseconds() : string.Empty,
            message?.CreatedAt.ToUnixTimeMilliseconds() ?? 0,
            message?.From ?? string.Empty,
            StoredNames.MessagePriority.ToStored(message?.Priority ?? MessagePriority.Default),
            message?.ValidUntil is { } validUntil ? validUntil.ToUnixTimeMilliseconds() : string.Empty,
            request.PaceInterval.TotalMilliseconds,
        ];
    }

    internal static double ParseTokens(RedisResult value) => double.Parse((string)value!, System.Globalization.CultureInfo.InvariantCulture);

    private sealed class PendingSend(AdmissionRequest request, RedisKey[] keys, RedisValue[] arguments)
    {
        public AdmissionRequest Request { get; } = request;

        public RedisKey[] Keys { get; } = keys;

        public RedisValue[] Arguments { get; } = arguments;

        public TaskCompletionSource<Admission> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Per organization: the keys every send of it names, built once; whether this
    /// instance has put it on the dispatch registry; its sends waiting for the run under way.</summary>
    private sealed class Organization(string id)
    {
        public string Id { get; } = id;

        public volatile bool Registered;

        /// <summary>Guarded by the lock on <see cref="Waiting"/>.</summary>
        public bool Running;

        public Queue<PendingSend> Waiting { get; } = new();

        public RedisKey Unused { get; } = RedisKeys.Unused(id);

        public RedisKey DispatchScheduled { get; } = RedisKeys.DispatchScheduled(id);

        public RedisKey DefaultReady { get; } = RedisKeys.DispatchReady(id, MessagePriority.Default);

        /// <summary>Bucket, sequence, message index, events, the two doorbell markers: the script's first keys.</summary>
        public RedisKey[] SharedKeys { get; } =
        [
            RedisKeys.Bucket(id, RateLimitedOperation.Send),
            RedisKeys.MessageSequence(id),
            RedisKeys.MessageIndex(id),
            RedisKeys.Events(id),
            RedisKeys.EventsRung(id),
            RedisKeys.DispatchRung(id),
        ];
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Refusals;
using AgentMessage.Core.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// Hands due messages to the carrier with a window of outstanding submissions
/// (<see cref="DeliveryOptions.MaxInFlight"/>) instead of a fixed set of workers, so throughput is
/// the window over the carrier's answer time. One loop takes turns between organizations, taking
/// from each at most its share of the free window, so one organization's backlog never holds up
/// another's messages; pacing and priority are the schedule's (<see cref="IDispatchQueue"/>), and a
/// message not yet due is never waited on. Each submission runs on its own; the carrier's answers
/// are recorded in batches per organization by a second loop, which frees their window slots.
/// </summary>
/// <remarks>
/// Delivery is at-least-once. A submission whose outcome is unknown (the gateway threw, the
/// instance died) keeps its lease until it runs out (<see cref="DeliveryOptions.ReclaimAfter"/>),
/// and the message is then submitted again under the same <see cref="CarrierReference"/>, which
/// the carrier recognises as the message it may already have.
/// </remarks>
public sealed partial class Dispatcher(
    IDispatchQueue queue,
    ICarrierGateway carrier,
    IOptions<DeliveryOptions> options,
    AgentMessageTelemetry telemetry,
    TimeProvider time,
    ILogger<Dispatcher> logger) : BackgroundService
{
    /// <summary>The longest the loop sleeps with nothing due: a scheduled message goes out at most
    /// this long after its send_at, however the doorbell fares.</summary>
    internal static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);

    internal static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(1);

    /// <summary>How long stopping waits for outstanding submissions to be answered and recorded;
    /// what is still open after it is reclaimed later.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The most one take asks of one organization.</summary>
    internal const int TakeBatch = 256;

    /// <summary>The most outcomes one record call carries.</summary>
    private const int RecordBatch = 1024;

    private readonly Channel<Settled> settled = Channel.CreateUnbounded<Settled>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, byte> reportedFailures = new(StringComparer.Ordinal);
    private SemaphoreSlim? window;
    private long nextReclaimAt;
    private uint turn;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.DispatchEnabled)
        {
            LogDisabled(DeliveryOptions.Section);
            return;
        }

        window = new SemaphoreSlim(settings.MaxInFlight, settings.MaxInFlight);
        LogStarted(settings.MaxInFlight);
        var recorder = Task.Run(RecordAsync, CancellationToken.None);
        try
        {
            await TakeLoopAsync(window, stoppingToken);
        }
        finally
        {
            await DrainAsync(window);
            settled.Writer.TryComplete();
            await recorder;
        }
    }

    private async Task TakeLoopAsync(SemaphoreSlim window, CancellationToken stoppingToken)
    {
        var lease = options.Value.ReclaimAfter;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (ReclaimDue() && await queue.ReclaimAsync(stoppingToken) is > 0 and var reclaimed)
                {
                    LogReclaimed(reclaimed);
                }

                var organizations = await queue.OrganizationsAsync(stoppingToken);
                var took = 0;
                var windowFull = false;
                DateTimeOffset? nextDue = null;
                var start = organizations.Count == 0 ? 0 : (int)(turn++ % (uint)organizations.Count);
                for (var i = 0; i < organizations.Count; i++)
                {
                    var free = window.CurrentCount;
                    if (free == 0)
                    {
                        windowFull = true;
                        break;
                    }

                    // An even share of the free window for each organization still to be served in
                    // this turn, so none can take it all; the rotating start shares out the remainder.
                    var share = Math.Clamp(free / (organizations.Count - i), 1, TakeBatch);
                    var organizationId = organizations[(start + i) % organizations.Count];
                    var batch = await queue.TakeAsync(organizationId, share, lease, stoppingToken);
                    foreach (var message in batch.Messages)
                    {
                        // Only this loop takes slots, and it took no more than were free.
                        window.Wait(0, CancellationToken.None);
                        _ = SubmitAsync(organizationId, message);
                    }

                    took += batch.Messages.Count;
                    if (batch.NextDueAt is { } due && (nextDue is null || due < nextDue))
                    {
                        nextDue = due;
                    }
                }

                Recovered();
                if (windowFull)
                {
                    // Wait for a slot to free, then give it back for the next turn to take.
                    await window.WaitAsync(stoppingToken);
                    window.Release();
                }
                else if (took == 0)
                {
                    var wait = nextDue is { } at ? at - time.GetUtcNow() : IdleWait;
                    if (wait > TimeSpan.Zero)
                    {
                        await queue.WaitForWorkAsync(wait < IdleWait ? wait : IdleWait, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Report(exception);
                try
                {
                    await Task.Delay(FailureBackoff, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One submission, from hand-over to the carrier's answer. Not cut short by stopping:
    /// an answer that arrives while the instance drains is still recorded.</summary>
    private async Task SubmitAsync(string organizationId, Message message)
    {
        telemetry.SubmissionStarted();
        using var activity = StartDispatchActivity(organizationId, message);
        var result = "unknown";
        try
        {
            var submission = await carrier.SubmitAsync(message, CancellationToken.None);
            DispatchOutcome outcome;
            if (submission.Accepted)
            {
                outcome = new DispatchOutcome(message.Id, DeliveryStatus.Sent, null);
                result = "sent";
                telemetry.Sent(time.GetUtcNow() - (message.SendAt ?? message.CreatedAt));
                LogSubmitted(organizationId, message.Id, submission.Reference);
            }
            else if (submission.RetryAfter is { } after)
            {
                outcome = DispatchOutcome.Retry(message.Id, time.GetUtcNow() + after);
                result = "deferred";
                LogDeferred(organizationId, message.Id, submission.ErrorCode ?? "transient", after);
            }
            else
            {
                outcome = new DispatchOutcome(message.Id, DeliveryStatus.Failed, submission.ErrorCode);
                result = "failed";
                activity?.SetTag(AgentMessageTelemetry.ErrorCodeTag, submission.ErrorCode ?? "rejected");
                LogRejected(organizationId, message.Id, submission.ErrorCode ?? "rejected");
            }

            settled.Writer.TryWrite(new Settled(organizationId, outcome));
        }
        catch (Exception exception)
        {
            // The outcome is unknown: the lease runs out and the message is submitted again.
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            Report(exception);
            LogLeftForReclaiming(organizationId, message.Id);
            Free(1);
        }
        finally
        {
            activity?.SetTag(AgentMessageTelemetry.OutcomeTag, result);
            telemetry.SubmissionEnded(result);
        }
    }

    /// <summary>The "Dispatch" span: a trace of its own (the loop is no request's), linked to the
    /// trace of the send that queued the message, whose context the message carries.</summary>
    private static Activity? StartDispatchActivity(string organizationId, Message message)
    {
        if (!AgentMessageTelemetry.Source.HasListeners())
        {
            return null;
        }

        Activity.Current = null;
        ActivityLink[]? links = ActivityContext.TryParse(message.TraceParent, null, out var sent) ? [new ActivityLink(sent)] : null;
        var activity = AgentMessageTelemetry.Source.StartActivity("Dispatch", ActivityKind.Consumer, parentContext: default, links: links);
        activity?.SetTag(AgentMessageTelemetry.OrganizationTag, organizationId);
        activity?.SetTag(AgentMessageTelemetry.MessageTag, message.Id);
        return activity;
    }

    /// <summary>Records the carrier's answers, grouped by organization, as they come; a store that
    /// is down is retried, since the answers are only in memory until recorded.</summary>
    private async Task RecordAsync()
    {
        var batch = new List<Settled>(RecordBatch);
        while (await settled.Reader.WaitToReadAsync())
        {
            while (batch.Count < RecordBatch && settled.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            foreach (var group in batch.GroupBy(item => item.OrganizationId, StringComparer.Ordinal))
            {
                var outcomes = group.Select(item => item.Outcome).ToList();
                await RecordWithRetriesAsync(group.Key, outcomes);
                Free(outcomes.Count);
            }

            batch.Clear();
        }
    }

    private async Task RecordWithRetriesAsync(string organizationId, IReadOnlyList<DispatchOutcome> outcomes)
    {
        var deadline = time.GetUtcNow() + options.Value.ReclaimAfter;
        while (true)
        {
            try
            {
                await queue.CompleteAsync(organizationId, outcomes, CancellationToken.None);
                return;
            }
            catch (Exception exception) when (time.GetUtcNow() < deadline)
            {
                Report(exception);
                await Task.Delay(FailureBackoff, time, CancellationToken.None);
            }
            catch (Exception exception)
            {
                // Past the lease: the messages are reclaimed and submitted again.
                Report(exception);
                return;
            }
        }
    }

    private void Free(int count)
    {
        window?.Release(count);
    }

    /// <summary>Waits, up to <see cref="DrainTimeout"/>, for outstanding submissions to be recorded.</summary>
    private async Task DrainAsync(SemaphoreSlim window)
    {
        var max = options.Value.MaxInFlight;
        using var timeout = new CancellationTokenSource(DrainTimeout, time);
        try
        {
            while (window.CurrentCount < max)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), time, timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
            LogUndrained(max - window.CurrentCount);
        }
    }

    /// <summary>True when it is time to look for lapsed leases (every few seconds, and at least
    /// twice per <see cref="DeliveryOptions.ReclaimAfter"/>).</summary>
    private bool ReclaimDue()
    {
        var now = time.GetTimestamp();
        if (now < Interlocked.Read(ref nextReclaimAt))
        {
            return false;
        }

        var interval = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, options.Value.ReclaimAfter.Ticks / 2));
        Interlocked.Exchange(ref nextReclaimAt, now + (long)(interval.TotalSeconds * time.TimestampFrequency));
        return true;
    }

    /// <summary>Logs a failure the first time its kind occurs since dispatch last worked.</summary>
    private void Report(Exception exception)
    {
        var kind = exception is StoreUnavailableException ? nameof(StoreUnavailableException) : exception.GetType().FullName ?? exception.GetType().Name;
        if (!reportedFailures.TryAdd(kind, 0))
        {
            return;
        }

        if (exception is StoreUnavailableException)
        {
            LogPaused(exception.Message);
        }
        else
        {
            LogFailed(exception, kind);
        }
    }

    private void Recovered()
    {
        if (!reportedFailures.IsEmpty)
        {
            reportedFailures.Clear();
            LogRecovered();
        }
    }

    private readonly record struct Settled(string OrganizationId, DispatchOutcome Outcome);

    [LoggerMessage(LogLevel.Information, "Dispatch disabled on this instance ({Section}:Dispatch = false)")]
    private partial void LogDisabled(string section);

    [LoggerMessage(LogLevel.Information, "Dispatch started with a window of {MaxInFlight} submissions")]
    private partial void LogStarted(int maxInFlight);

    [LoggerMessage(LogLevel.Information, "Dispatch reclaimed {Count} messages whose lease ran out")]
    private partial void LogReclaimed(int count);

    [LoggerMessage(LogLevel.Debug, "Submission of {OrganizationId}/{MessageId} has no known outcome; left for reclaiming")]
    private partial void LogLeftForReclaiming(string organizationId, string messageId);

    [LoggerMessage(LogLevel.Debug, "Submitted {OrganizationId}/{MessageId} as {Reference}")]
    private partial void LogSubmitted(string organizationId, string messageId, string reference);

    [LoggerMessage(LogLevel.Debug, "Carrier rejected {OrganizationId}/{MessageId}: {ErrorCode}")]
    private partial void LogRejected(string organizationId, string messageId, string errorCode);

    [LoggerMessage(LogLevel.Debug, "Carrier refused {OrganizationId}/{MessageId} for now ({Reason}); due again in {After}")]
    private partial void LogDeferred(string organizationId, string messageId, string reason, TimeSpan after);

    [LoggerMessage(LogLevel.Warning, "Dispatch paused: state store unavailable ({Message}); retrying")]
    private partial void LogPaused(string message);

    [LoggerMessage(LogLevel.Error, "Dispatch failed ({Kind}); retrying")]
    private partial void LogFailed(Exception exception, string kind);

    [LoggerMessage(LogLevel.Information, "Dispatch recovered")]
    private partial void LogRecovered();

    [LoggerMessage(LogLevel.Warning, "Stopped with {Count} submissions unrecorded; they are reclaimed after their lease")]
    private partial void LogUndrained(int count);
}

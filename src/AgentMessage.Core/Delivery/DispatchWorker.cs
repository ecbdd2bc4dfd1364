using System.Collections.Concurrent;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Refusals;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// Hands queued messages to the carrier: <see cref="DeliveryOptions.Workers"/> loops per instance,
/// each taking one entry at a time (so a high-priority message never waits behind a batch),
/// pacing it by its sender number (a message over the pace waits; it is never refused), moving
/// it to <c>sending</c>, submitting it, recording <c>sent</c> or <c>failed</c>, and only then
/// acknowledging the entry. Delivery is at-least-once: an entry whose processing failed stays
/// unacknowledged and is reclaimed (every few seconds each instance takes over entries idle for
/// <see cref="DeliveryOptions.ReclaimAfter"/>); the carrier recognises a resubmission by its
/// reference, so a retry is not a second message. <c>Workers = 0</c> turns dispatch off on an
/// instance (one that only serves the API; the tests that need messages to stay queued).
/// </summary>
public sealed partial class DispatchWorker(
    IDispatchQueue queue,
    IMessageStore messages,
    IMessageStatusStore statuses,
    ISendPacer pacer,
    ICarrierGateway carrier,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<DispatchWorker> logger) : BackgroundService
{
    internal static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan ReclaimInterval = TimeSpan.FromSeconds(5);
    internal static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(1);

    /// <summary>How long recording the outcome of a submission may take; it is not cut short by
    /// shutdown, so a message the carrier accepted is recorded as sent whenever possible.</summary>
    internal static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Tries at one entry before it is left to be reclaimed.</summary>
    internal const int AttemptsPerEntry = 3;

    private const int ReclaimBatch = 16;

    private readonly ConcurrentDictionary<string, byte> reportedFailures = new(StringComparer.Ordinal);
    private long nextReclaimAt;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = options.Value.Workers;
        if (workers <= 0)
        {
            // An instance that only answers the API; others dispatch.
            LogDisabled(DeliveryOptions.Section);
            return Task.CompletedTask;
        }

        LogStarted(workers);
        return Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => RunAsync(stoppingToken), CancellationToken.None)));
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var items = ReclaimDue()
                    ? await queue.ReclaimAsync(options.Value.ReclaimAfter, ReclaimBatch, stoppingToken)
                    : [];
                if (items.Count > 0)
                {
                    LogReclaimed(items.Count);
                }
                else
                {
                    items = await queue.TakeAsync(1, stoppingToken);
                }

                if (items.Count == 0)
                {
                    await queue.WaitForWorkAsync(IdleWait, stoppingToken);
                    continue;
                }

                foreach (var item in items)
                {
                    await DispatchWithRetriesAsync(item, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Report(exception);
                if (!await BackOffAsync(stoppingToken))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Dispatches one entry, trying again a few times on a failure before leaving it
    /// unacknowledged for reclaiming.</summary>
    private async Task DispatchWithRetriesAsync(DispatchItem item, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await DispatchAsync(item, stoppingToken);
                Recovered();
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception exception)
            {
                Report(exception);
                if (attempt >= AttemptsPerEntry)
                {
                    LogLeftForReclaiming(item.OrganizationId, item.MessageId);
                    return;
                }

                if (!await BackOffAsync(stoppingToken))
                {
                    throw new OperationCanceledException(stoppingToken);
                }
            }
        }
    }

    private async Task DispatchAsync(DispatchItem item, CancellationToken stoppingToken)
    {
        var message = await messages.GetAsync(item.OrganizationId, item.MessageId, stoppingToken);
        if (!NeedsSubmission(message))
        {
            await queue.AcknowledgeAsync(item, stoppingToken);
            return;
        }

        // Over its sender's pace, the message waits here, holding its entry; it is never refused.
        for (var wait = await pacer.TryPassAsync(item.OrganizationId, message!.From, stoppingToken);
             wait > TimeSpan.Zero;
             wait = await pacer.TryPassAsync(item.OrganizationId, message.From, stoppingToken))
        {
            await Task.Delay(wait, time, stoppingToken);
        }

        if (message.Status == DeliveryStatus.Queued &&
            await statuses.TransitionAsync(item.OrganizationId, item.MessageId, DeliveryStatus.Sending, null, stoppingToken) is null)
        {
            // Moved meanwhile (another instance, a receipt): look again.
            message = await messages.GetAsync(item.OrganizationId, item.MessageId, stoppingToken);
            if (!NeedsSubmission(message))
            {
                await queue.AcknowledgeAsync(item, stoppingToken);
                return;
            }
        }

        var submission = await carrier.SubmitAsync(message!, stoppingToken);

        using var recording = new CancellationTokenSource(RecordTimeout, time);
        if (submission.Accepted)
        {
            await statuses.TransitionAsync(item.OrganizationId, item.MessageId, DeliveryStatus.Sent, null, recording.Token);
            LogSubmitted(item.OrganizationId, item.MessageId, submission.Reference);
        }
        else
        {
            await statuses.TransitionAsync(item.OrganizationId, item.MessageId, DeliveryStatus.Failed, submission.ErrorCode, recording.Token);
            LogRejected(item.OrganizationId, item.MessageId, submission.ErrorCode);
        }

        await queue.AcknowledgeAsync(item, recording.Token);
    }

    /// <summary>Queued or sending: not yet known to the carrier, or not known to have reached it.
    /// A sent message was accepted already; a terminal one is done.</summary>
    private static bool NeedsSubmission(Message? message) =>
        message is { Status: DeliveryStatus.Queued or DeliveryStatus.Sending };

    /// <summary>True for the one loop whose turn it is to reclaim abandoned entries (every few seconds).</summary>
    private bool ReclaimDue()
    {
        var now = time.GetTimestamp();
        var due = Interlocked.Read(ref nextReclaimAt);
        if (now < due)
        {
            return false;
        }

        var next = now + (long)(ReclaimInterval.TotalSeconds * time.TimestampFrequency);
        return Interlocked.CompareExchange(ref nextReclaimAt, next, due) == due;
    }

    /// <summary>Logs a failure the first time its kind occurs since dispatch last worked.</summary>
    private void Report(Exception exception)
    {
        var kind = exception is RefusalException api ? $"{nameof(RefusalException)}:{api.Kind.Code}" : exception.GetType().FullName ?? exception.GetType().Name;
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

    /// <summary>Waits before the next try; false when the service is stopping.</summary>
    private async Task<bool> BackOffAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(FailureBackoff, time, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Information, "Dispatch disabled on this instance ({Section}:Workers = 0)")]
    private partial void LogDisabled(string section);

    [LoggerMessage(LogLevel.Information, "Dispatch started with {Workers} workers")]
    private partial void LogStarted(int workers);

    [LoggerMessage(LogLevel.Information, "Dispatch reclaimed {Count} entries left unacknowledged")]
    private partial void LogReclaimed(int count);

    [LoggerMessage(LogLevel.Debug, "Dispatch of {OrganizationId}/{MessageId} left for reclaiming")]
    private partial void LogLeftForReclaiming(string organizationId, string messageId);

    [LoggerMessage(LogLevel.Debug, "Submitted {OrganizationId}/{MessageId} as {Reference}")]
    private partial void LogSubmitted(string organizationId, string messageId, string reference);

    [LoggerMessage(LogLevel.Debug, "Carrier rejected {OrganizationId}/{MessageId}: {ErrorCode}")]
    private partial void LogRejected(string organizationId, string messageId, string errorCode);

    [LoggerMessage(LogLevel.Warning, "Dispatch paused: state store unavailable ({Message}); retrying")]
    private partial void LogPaused(string message);

    [LoggerMessage(LogLevel.Error, "Dispatch failed ({Kind}); retrying")]
    private partial void LogFailed(Exception exception, string kind);

    [LoggerMessage(LogLevel.Information, "Dispatch recovered")]
    private partial void LogRecovered();
}

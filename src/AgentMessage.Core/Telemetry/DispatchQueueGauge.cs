using AgentMessage.Core.Delivery;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentMessage.Core.Telemetry;

/// <summary>
/// Feeds the dispatch queue gauges. A collection (a scrape, an export) reads the last snapshot and,
/// when it is older than <see cref="TelemetryOptions.QueueGaugeRefresh"/>, starts one refresh in the
/// background: reading the queue costs a script per organization on Redis, so scrapes never wait on
/// it and never cost more than one read per interval.
/// </summary>
public sealed partial class DispatchQueueGauge(
    IDispatchQueue queue,
    AgentMessageTelemetry telemetry,
    IOptions<TelemetryOptions> options,
    TimeProvider time,
    ILogger<DispatchQueueGauge> logger) : IHostedService
{
    private QueueSnapshot last;
    private long readAt;
    private int refreshing;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        telemetry.ObserveQueue(Read);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The last snapshot as the gauges show it; starts a refresh when it is stale.</summary>
    internal QueueGaugeReading Read()
    {
        var now = time.GetTimestamp();
        var at = Interlocked.Read(ref readAt);
        if ((at == 0 || time.GetElapsedTime(at, now) >= options.Value.QueueGaugeRefresh) && Interlocked.Exchange(ref refreshing, 1) == 0)
        {
            _ = RefreshAsync();
        }

        var snapshot = last;
        var age = snapshot.OldestDueAt is { } dueAt ? time.GetUtcNow() - dueAt : TimeSpan.Zero;
        return new QueueGaugeReading(snapshot.Depth, age > TimeSpan.Zero ? age : TimeSpan.Zero);
    }

    private async Task RefreshAsync()
    {
        try
        {
            last = await queue.SnapshotAsync(CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The gauges keep the last reading; the store's own failures are reported elsewhere.
            LogUnread(exception.GetType().Name);
        }
        finally
        {
            Interlocked.Exchange(ref readAt, time.GetTimestamp());
            Volatile.Write(ref refreshing, 0);
        }
    }

    [LoggerMessage(LogLevel.Debug, "Dispatch queue gauges not refreshed ({Kind})")]
    private partial void LogUnread(string kind);
}

using AgentMessage.Core.Delivery;
using AgentMessage.Core.Refusals;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Hosting;

/// <summary>
/// The first thing that happens when the server stops (SIGTERM, or the host stopping): readiness
/// fails at once (<c>/readyz</c> 503, gRPC health NOT_SERVING), every open status stream ends with
/// <see cref="GoingAway"/> as its last word, and new streams are refused with it; then, after
/// <see cref="ShutdownOptions.DrainDelay"/>, the listeners stop. Open streams would otherwise hold
/// the process until the host's shutdown timeout.
/// </summary>
public sealed partial class ShutdownDrain(OpenStreams streams, IHostApplicationLifetime lifetime, IOptions<ShutdownOptions> options, TimeProvider time, ILogger<ShutdownDrain> logger)
    : IHostedLifecycleService, IHealthCheck
{
    private CancellationTokenRegistration stopping;
    private int draining;

    /// <summary>How a stream ends when the server goes away: retry, on another instance, resuming with <c>after</c>.</summary>
    public static Refusal GoingAway { get; } = new(RefusalKind.Unavailable, "the server is shutting down; reconnect and resume with after")
    {
        RetryAfter = TimeSpan.FromSeconds(1),
    };

    public bool IsDraining => Volatile.Read(ref draining) == 1;

    /// <summary>SIGTERM fires ApplicationStopping before the host stops its services; a direct stop
    /// calls <see cref="StoppingAsync"/> first. Whichever comes first begins the drain.</summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        stopping = lifetime.ApplicationStopping.Register(static state => ((ShutdownDrain)state!).Begin(), this);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        Begin();
        if (options.Value.DrainDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(options.Value.DrainDelay, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The host's shutdown timeout (or the caller of StopAsync) cut the delay short.
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        stopping.Dispose();
        return Task.CompletedTask;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(IsDraining ? HealthCheckResult.Unhealthy("the server is shutting down") : HealthCheckResult.Healthy());

    private void Begin()
    {
        if (Interlocked.Exchange(ref draining, 1) == 0)
        {
            LogDraining(streams.Count);
            streams.EndAll(GoingAway);
        }
    }

    [LoggerMessage(LogLevel.Information, "Shutting down: readiness fails from now on; ending {Streams} open status streams")]
    private partial void LogDraining(int streams);
}

using AgentMessage.Core.Delivery;
using AgentMessage.Core.Refusals;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Hosting;

/// <summary>
/// Looks after this instance's open status streams in the background: every
/// <see cref="StreamOptions.CredentialCheckInterval"/> it checks their API keys against the key
/// store (ending the streams of revoked keys), and every <see cref="OpenStreams.RenewEvery"/> it
/// renews their leases, so they keep counting against the caps on every instance.
/// </summary>
public sealed partial class StreamSupervisor(OpenStreams streams, IOptions<StreamOptions> options, TimeProvider time, ILogger<StreamSupervisor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CredentialCheckInterval, time);
        var renewed = time.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunAsync(streams.CheckCredentialsAsync, stoppingToken);
                if (time.GetUtcNow() - renewed >= OpenStreams.RenewEvery)
                {
                    renewed = time.GetUtcNow();
                    await RunAsync(streams.RenewLeasesAsync, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One step; an outage or a fault waits for the next tick rather than ending the loop.</summary>
    private async Task RunAsync(Func<CancellationToken, Task> step, CancellationToken stoppingToken)
    {
        try
        {
            await step(stoppingToken);
        }
        catch (StoreUnavailableException)
        {
            // Logged once by the store's gate; the next tick tries again.
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogStepFailed(exception);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Status stream upkeep failed; trying again at the next tick")]
    private partial void LogStepFailed(Exception exception);
}

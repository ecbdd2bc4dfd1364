using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using AgentMessage.Core.Telemetry;
using AgentMessage.Server.Infrastructure.Smpp.Protocol;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Infrastructure.Smpp;

/// <summary>
/// The instance's SMPP link: <c>Binds</c> transceiver sessions to the SMSC, each kept up by its own
/// loop (a refused bind or a lost connection is retried after a delay that starts at
/// <c>ReconnectDelay</c> and doubles, with jitter, up to a minute), and one queue of submissions that
/// whichever bound session has room takes next. Ready (<c>/readyz</c>) while at least one bind is up.
/// On shutdown each session sends unbind and waits briefly for unbind_resp. Runs only when
/// <c>AgentMessage:Carrier:Gateway</c> is <c>smpp</c>.
/// </summary>
public sealed partial class SmppLink : BackgroundService, IHealthCheck
{
    /// <summary>How long a session waits for unbind_resp on shutdown.</summary>
    internal static readonly TimeSpan UnbindWait = TimeSpan.FromSeconds(2);

    private readonly SmppOptions options;
    private readonly bool enabled;
    private readonly ISmppInboundHandler inbound;
    private readonly TimeProvider time;
    private readonly ILogger<SmppLink> logger;
    private readonly ILoggerFactory loggers;
    private readonly Channel<SmppRequest> outbound = Channel.CreateUnbounded<SmppRequest>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly SmppConnection?[] sessions;
    private readonly TaskCompletionSource firstBind = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SmppLink(IOptions<SmppOptions> options, IOptions<CarrierGatewayOptions> gateway, ISmppInboundHandler inbound, AgentMessageTelemetry telemetry, TimeProvider time, ILoggerFactory loggers)
    {
        this.options = options.Value;
        enabled = gateway.Value.IsSmpp;
        this.inbound = inbound;
        this.time = time;
        logger = loggers.CreateLogger<SmppLink>();
        this.loggers = loggers;
        sessions = new SmppConnection?[Math.Max(1, this.options.Binds)];
        Pacer = new SubmitPacer(this.options.MaxSubmitsPerSecond, time);
        if (enabled)
        {
            telemetry.ObserveSmpp(() => BoundCount, () => Outstanding, () => BoundCount * this.options.WindowSize);
        }
    }

    /// <summary>Requests awaiting their answer on the binds up (the window in use).</summary>
    private int Outstanding
    {
        get
        {
            var outstanding = 0;
            foreach (var session in sessions)
            {
                if (session is { IsBound: true } bound)
                {
                    outstanding += bound.Outstanding;
                }
            }

            return outstanding;
        }
    }

    /// <summary>How many binds are up now.</summary>
    public int BoundCount
    {
        get
        {
            // Read on every submission: a plain loop, no enumerator.
            var bound = 0;
            foreach (var session in sessions)
            {
                if (session is { IsBound: true })
                {
                    bound++;
                }
            }

            return bound;
        }
    }

    internal SubmitPacer Pacer { get; }

    /// <summary>Completes once the first bind is up (tests and the benchmark wait on it).</summary>
    public Task FirstBind => firstBind.Task;

    /// <summary>
    /// Sends a request (a submit_sm) on whichever bind has room first and returns the answer. It waits
    /// at most the response timeout for a bind to take it (then <see cref="SmppFailure.NotSent"/>: safe
    /// to send again), and once written at most the response timeout for the answer.
    /// </summary>
    public async Task<SmppResponse> SendAsync(Pdu request, CancellationToken cancellationToken)
    {
        if (BoundCount == 0)
        {
            return SmppResponse.Failed(SmppFailure.NotSent);
        }

        var queued = new SmppRequest(request);
        outbound.Writer.TryWrite(queued);
        try
        {
            return await queued.Completion.Task.WaitAsync(options.ResponseTimeout, time, cancellationToken);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            // Never taken: withdrawn, and nothing was sent. Taken: its own timeout bounds the answer.
            return queued.TryAbandon() ? SmppResponse.Failed(SmppFailure.NotSent) : await queued.Completion.Task;
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!enabled)
        {
            return Task.FromResult(HealthCheckResult.Healthy("carrier gateway is not smpp"));
        }

        var bound = BoundCount;
        return Task.FromResult(bound > 0
            ? HealthCheckResult.Healthy($"{bound} of {sessions.Length} SMPP binds up")
            : HealthCheckResult.Unhealthy("no SMPP bind is up"));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Unbind first, while the sessions are still running, then end the loops.
        await Task.WhenAll(sessions.OfType<SmppConnection>().Where(s => s.IsBound).Select(s => s.UnbindAsync(UnbindWait)));
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!enabled)
        {
            return;
        }

        LogStarting(options.Host!, options.Port, options.Binds, options.WindowSize);
        await Task.WhenAll(Enumerable.Range(0, sessions.Length).Select(bind => Task.Run(() => KeepBoundAsync(bind, stoppingToken), CancellationToken.None)));
        outbound.Writer.TryComplete();
        while (outbound.Reader.TryRead(out var left))
        {
            left.Complete(SmppResponse.Failed(SmppFailure.NotSent));
        }
    }

    private async Task KeepBoundAsync(int bind, CancellationToken stoppingToken)
    {
        var delay = options.ReconnectDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wasBound = false;
            try
            {
                var stream = await ConnectAsync(stoppingToken);
                await using var session = new SmppConnection(bind, stream, options, outbound.Reader, inbound, Pacer, time, loggers.CreateLogger<SmppConnection>());
                var answer = await session.BindAsync();
                if (answer.IsOk)
                {
                    wasBound = true;
                    sessions[bind] = session;
                    delay = options.ReconnectDelay;
                    LogBound(bind, options.Host!, options.Port);
                    firstBind.TrySetResult();
                    using (stoppingToken.Register(() => _ = session.UnbindAsync(UnbindWait)))
                    {
                        var reason = await session.RunAsync();
                        sessions[bind] = null;
                        if (!stoppingToken.IsCancellationRequested)
                        {
                            LogLost(bind, reason);
                        }
                    }
                }
                else if (answer.IsAnswered)
                {
                    LogBindRefused(bind, CommandStatus.Name(answer.Status));
                }
                else
                {
                    LogBindUnanswered(bind, answer.Failure);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is SocketException or IOException or System.Security.Authentication.AuthenticationException or TimeoutException or OperationCanceledException)
            {
                LogConnectFailed(bind, options.Host!, options.Port, exception.Message);
            }
            finally
            {
                sessions[bind] = null;
            }

            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            if (!wasBound)
            {
                var wait = Jitter(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, SmppOptions.MaxReconnectDelay.Ticks));
                LogRetrying(bind, wait);
                try
                {
                    await Task.Delay(wait, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            else
            {
                // A bind that was up and dropped: reconnect after the first delay, not at once, so a
                // flapping SMSC is not hammered.
                try
                {
                    await Task.Delay(Jitter(options.ReconnectDelay), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Between half and all of <paramref name="delay"/>, so instances that lost the SMSC
    /// together do not all come back at the same moment.</summary>
    private static TimeSpan Jitter(TimeSpan delay) => TimeSpan.FromTicks((long)(delay.Ticks * (0.5 + (Random.Shared.NextDouble() * 0.5))));

    private async Task<Stream> ConnectAsync(CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(options.ResponseTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(options.Host!, options.Port, timeout.Token);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (options.UseTls)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = options.Host }, timeout.Token);
                stream = tls;
            }

            return stream;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    [LoggerMessage(LogLevel.Information, "SMPP link to {Host}:{Port} starting: {Binds} binds, window {WindowSize}")]
    private partial void LogStarting(string host, int port, int binds, int windowSize);

    [LoggerMessage(LogLevel.Information, "SMPP bind {Bind} up (bind_transceiver to {Host}:{Port})")]
    private partial void LogBound(int bind, string host, int port);

    [LoggerMessage(LogLevel.Warning, "SMPP bind {Bind} lost: {Reason}")]
    private partial void LogLost(int bind, string reason);

    [LoggerMessage(LogLevel.Error, "SMPP bind {Bind} refused by the SMSC: {Status}")]
    private partial void LogBindRefused(int bind, string status);

    [LoggerMessage(LogLevel.Warning, "SMPP bind {Bind} not answered ({Failure})")]
    private partial void LogBindUnanswered(int bind, SmppFailure failure);

    [LoggerMessage(LogLevel.Warning, "SMPP bind {Bind}: cannot connect to {Host}:{Port}: {Reason}")]
    private partial void LogConnectFailed(int bind, string host, int port, string reason);

    [LoggerMessage(LogLevel.Information, "SMPP bind {Bind}: retrying in {Delay}")]
    private partial void LogRetrying(int bind, TimeSpan delay);
}

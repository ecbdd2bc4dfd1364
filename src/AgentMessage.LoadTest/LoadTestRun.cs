using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Server.Infrastructure.Redis;
using AgentMessage.Testing;
using AgentMessage.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Encoding = System.Text.Encoding;
using Organization = AgentMessage.Core.Organizations.Organization;

namespace AgentMessage.LoadTest;

/// <summary>
/// The whole run: machine facts, redis-server and the server started, every scenario in turn, one
/// table, the targets, and everything stopped again (also on Ctrl-C, SIGTERM or failure).
/// </summary>
public sealed class LoadTestRun : IAsyncDisposable
{
    // The development organization the server seeds (AgentMessage.Server.Hosting.DevSeed).
    public const string Organization = "org_development";
    public const string Sender = "+15551112222";
    public const string Recipient = "+15554443333";

    private const int SampleCalls = 300;
    private const string SendBody = """{"from":"+15551112222","to":"+15554443333","text":"load test message"}""";

    private readonly LoadOptions options;
    private readonly RedisServer redis;
    private readonly ServerProcess server;
    private readonly GrpcChannel channel;
    private readonly HttpClient rest;
    private readonly HttpClient restOverHttp2;
    private readonly MessagingService.MessagingServiceClient messaging;
    private readonly Health.HealthClient health;
    private readonly Metadata auth = new() { { "authorization", $"Bearer {ServerProcess.ApiKey}" } };
    private readonly List<Row> rows = [];
    private readonly List<string> details = [];
    private readonly List<string> dispatchTargets = [];
    private readonly string runId = Guid.NewGuid().ToString("N")[..8];
    private long keySequence;

    private LoadTestRun(LoadOptions options, RedisServer redis, ServerProcess server)
    {
        this.options = options;
        this.redis = redis;
        this.server = server;

        // gRPC: one channel, its calls multiplexed on one HTTP/2 connection (up to the server's 100
        // streams per connection; more would open another).
        channel = GrpcChannel.ForAddress(server.GrpcUrl, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
        });
        messaging = new MessagingService.MessagingServiceClient(channel);
        health = new Health.HealthClient(channel);

        // REST: HTTP/1.1 keep-alive, one connection per concurrent caller.
        rest = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Callers,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            UseCookies = false,
        })
        {
            BaseAddress = server.RestUrl,
            Timeout = TimeSpan.FromSeconds(60),
        };
        rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.ApiKey);

        // The same REST calls over cleartext HTTP/2 to the gRPC listener (which answers REST paths
        // too), multiplexed on one connection: a variation that separates HTTP/1.1's cost from JSON's.
        restOverHttp2 = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan, UseCookies = false })
        {
            BaseAddress = server.GrpcUrl,
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        restOverHttp2.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.ApiKey);
    }

    /// <summary>Exit code: 0, or 1 when a scenario saw errors, 2 when the run could not be made, 130 on Ctrl-C.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        var options = LoadOptions.Parse(args);
        if (options is null)
        {
            return args.Contains("--help") || args.Contains("-h") ? 0 : 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            if (cancel.IsCancellationRequested)
            {
                ChildProcess.KillAll();
                Environment.Exit(130);
            }

            Console.Error.WriteLine("Stopping (Ctrl-C again to kill at once)...");
            cancel.Cancel();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cancel.Cancel();
        });

        var ct = cancel.Token;
        RedisServer? redis = null;
        ServerProcess? server = null;
        try
        {
            Console.WriteLine(Machine.Describe());
            var busyBefore = ProcFs.MachineBusy();
            var ownBefore = Process.GetCurrentProcess().TotalProcessorTime;
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            var othersCores = Math.Max(0, (ProcFs.MachineBusy() - busyBefore - (Process.GetCurrentProcess().TotalProcessorTime - ownBefore)).TotalSeconds);
            Console.WriteLine($"before the run, other processes used {othersCores:0.00} of {Environment.ProcessorCount} cores" +
                (othersCores > 0.2 ? ": the machine is not idle, the figures will be disturbed (see the other CPU column)" : string.Empty));
            Console.WriteLine();
            redis = await RedisServer.StartAsync(new RedisServerOptions(Persistent: false, ClientName: RedisMonitor.ToolClientName, DirectoryPrefix: "agentmessage-loadtest-redis-"), ct);
            Console.WriteLine($"redis-server {await RedisVersionAsync(redis)} on {redis.Configuration} (pid {redis.Pid}), no persistence");
            server = await ServerProcess.StartAsync(options.ServerAssembly, redis.Configuration, options.ServerSettings, options.ServerEnvironment, ct);
            Console.WriteLine($"server pid {server.Pid}: dotnet {options.ServerAssembly}");
            Console.WriteLine($"  {string.Join(' ', server.Settings)}");
            foreach (var (key, value) in options.ServerEnvironment)
            {
                Console.WriteLine($"  environment {key}={value}");
            }

            Console.WriteLine($"{options.Callers} callers, {options.Warmup.TotalSeconds:0.#} s warm-up + {options.Duration.TotalSeconds:0.#} s measured per throughput scenario");
            Console.WriteLine();

            await using var run = new LoadTestRun(options, redis, server);
            var failed = await run.RunAsync(ct);
            return failed ? 1 : 0;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("Interrupted.");
            return 130;
        }
        catch (Exception exception)
        {
            Console.Error.WriteLine($"The load test could not run: {exception}");
            if (server is not null)
            {
                Console.Error.WriteLine($"server output (last lines):\n{server.Tail}");
            }

            return 2;
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            if (redis is not null)
            {
                await redis.DisposeAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        channel.Dispose();
        rest.Dispose();
        restOverHttp2.Dispose();
        await Task.CompletedTask;
    }

    private static async Task<string> RedisVersionAsync(RedisServer redis)
    {
        var info = await redis.Connection.GetServer(redis.Configuration).InfoAsync("server");
        return info.SelectMany(g => g).FirstOrDefault(p => p.Key == "redis_version").Value ?? "?";
    }

    /// <summary>Runs every scenario; true when any of them saw an error.</summary>
    private async Task<bool> RunAsync(CancellationToken ct)
    {
        if (options.RunsApiScenarios)
        {
            await CheckServerAsync(ct);
            await WarmUpAsync(ct);
        }
        else
        {
            // Only dispatch scenarios, each on servers of its own: this one would just take CPU.
            await server.DisposeAsync();
        }

        // The scenarios whose throughputs the targets compare run in two halves, in mirrored order
        // (A B C, C B A), so that a drift of the machine's speed during the run (a shared VM's CPU
        // varies by tens of percent from minute to minute) weighs on each of them alike.
        var compared = new List<(string Key, string Name, Func<int, long, CancellationToken, Task<Outcome>> Call, bool PerAcceptedSend)>();
        if (options.Runs("noop"))
        {
            compared.Add(("noop", "no-op unary gRPC (grpc.health.v1 Check)", NoopAsync, false));
        }

        if (options.Runs("grpc"))
        {
            compared.Add(("grpc", "SendMessage gRPC (HTTP/2, one connection)", GrpcSendAsync, true));
        }

        if (options.Runs("rest"))
        {
            compared.Add(("rest", "SendMessage REST (HTTP/1.1 keep-alive)", RestSendAsync, true));
        }

        if (options.Runs("rest-h2"))
        {
            compared.Add(("rest-h2", "SendMessage REST over HTTP/2 (variation, one connection)", (caller, sequence, token) => RestSendAsync(restOverHttp2, token), true));
        }

        var half = options.Duration / 2;
        var firstHalves = new Dictionary<string, LoadResult>(StringComparer.Ordinal);
        var measured = new Dictionary<string, Measured>(StringComparer.Ordinal);
        foreach (var (key, name, call, _) in compared)
        {
            Console.WriteLine($"== {name}: {options.Callers} callers, first half ({half.TotalSeconds:0.#} s)");
            firstHalves[key] = await LoadRunner.ClosedLoopAsync(redis, server, options.Callers, options.Warmup, half, call, ct);
        }

        foreach (var (key, name, call, perAcceptedSend) in Enumerable.Reverse(compared))
        {
            Console.WriteLine($"== {name}: {options.Callers} callers, second half ({half.TotalSeconds:0.#} s)");
            var second = await LoadRunner.ClosedLoopAsync(redis, server, options.Callers, options.Warmup, half, call, ct);
            var sample = await SampleRoundTripsAsync(call, ct);
            measured[key] = new Measured(name, $"{options.Callers} callers", LoadResult.Combine(firstHalves[key], second), sample, perAcceptedSend);
        }

        var noop = measured.GetValueOrDefault("noop");
        var grpcSend = measured.GetValueOrDefault("grpc");
        var restSend = measured.GetValueOrDefault("rest");
        var paced = options.Runs("paced") ? await PacedAsync(grpcSend!, ct) : null;
        foreach (var key in new[] { "noop", "grpc", "paced", "rest", "rest-h2" })
        {
            if ((key == "paced" ? paced : measured.GetValueOrDefault(key)) is { } result)
            {
                Report(result, showSample: key != "paced", notes: key == "paced" ? PacedNotes(result.Result) : string.Empty);
                if (key == "paced")
                {
                    ReportPacing(result);
                }
            }
        }

        var keyed = options.Runs("idempotent") ? await ClosedAsync("SendMessage gRPC + Idempotency-Key", IdempotentSendAsync, perAcceptedSend: true, ct) : null;
        if (options.Runs("limited"))
        {
            await RateLimitedAsync(ct);
        }

        var streams = new List<StreamResult>();
        foreach (var count in options.Runs("streams") ? options.Streams : [])
        {
            streams.Add(await StreamsAsync(count, ct));
        }

        var ownStreams = new List<OwnStreamResult>();
        foreach (var count in options.Runs("streams-own") ? options.Streams : [])
        {
            ownStreams.Add(await OwnStreamsAsync(count, ct));
        }

        await DispatchAsync(ct);
        Print(noop, grpcSend, paced, restSend, keyed, streams, ownStreams);
        return rows.Any(r => r.Errors > 0);
    }

    /// <summary>The dispatch scenarios, in the order they depend on: sustained runs at half of what
    /// the 50 ms drain measured. With a baseline build, each latency's two drain rows run back to back.</summary>
    private async Task DispatchAsync(CancellationToken ct)
    {
        var dispatch = new DispatchScenarios(options);
        double? drainRate = null;
        if (options.Runs("drain") && options.Dispatch.BaselineAssembly is { } baselinePath)
        {
            details.Add($"baseline build: dotnet {baselinePath}");
        }

        if (options.Runs("drain"))
        {
            foreach (var latency in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(50) })
            {
                var current = await dispatch.DrainAsync(options.ServerAssembly, "this build", latency, ct);
                Add(current);
                if (latency > TimeSpan.Zero)
                {
                    drainRate = current.Rate;
                }

                if (options.Dispatch.BaselineAssembly is { } baseline)
                {
                    Add(await dispatch.DrainAsync(baseline, "baseline build", latency, ct));
                }
            }
        }

        if (options.Runs("sustained"))
        {
            Add(await dispatch.SustainedAsync(drainRate is { } measured ? measured / 2 : options.Dispatch.SustainedRate, ct));
        }

        if (options.Runs("fairness"))
        {
            Add(await dispatch.FairnessAsync(ct));
        }

        if (options.Runs("h2load"))
        {
            foreach (var measurement in await new H2LoadScenario(options).RunAsync(ct))
            {
                Add(measurement);
            }
        }

        if (options.Runs("telemetry"))
        {
            foreach (var measurement in await new TelemetryCostScenario(options).RunAsync(ct))
            {
                Add(measurement);
            }
        }

        if (options.Runs("inbound"))
        {
            var inbound = new InboundScenarios(options);
            Add(await inbound.HttpAsync(ct));
            Add(await inbound.SmppAsync(ct));
        }

        if (options.Runs("webhooks"))
        {
            Add(await new WebhookScenario(options).RunAsync(ct));
        }

        if (options.Runs("smpp"))
        {
            foreach (var binds in new[] { 1, 4 })
            {
                Add(await dispatch.SmppDrainAsync(binds, ct));
            }
        }

        void Add(DispatchMeasurement measurement)
        {
            rows.Add(new Row(measurement.Scenario, measurement.Load, measurement.Throughput, measurement.Latencies, measurement.Errors.Total, measurement.RoundTrips, measurement.Commands, measurement.Usage, measurement.Notes));
            details.AddRange(measurement.Details);
            if (measurement.Target is { } target)
            {
                dispatchTargets.Add(target);
            }
        }
    }

    private async Task CheckServerAsync(CancellationToken ct)
    {
        var check = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: ct);
        if (check.Status != HealthCheckResponse.Types.ServingStatus.Serving)
        {
            throw new InvalidOperationException($"grpc.health.v1 answers {check.Status}");
        }

        if (await GrpcSendAsync(0, 0, ct) != Outcome.Ok || await RestSendAsync(0, 0, ct) != Outcome.Ok)
        {
            throw new InvalidOperationException("a first send was not accepted");
        }
    }

    /// <summary>
    /// Every kind of call, a second each, round after round until the server's JIT is quiet
    /// (<see cref="JitWarmUp"/>), before anything is measured: so that no scenario pays for its code
    /// paths being compiled while it runs, whatever order the scenarios run in.
    /// </summary>
    private async Task WarmUpAsync(CancellationToken ct)
    {
        var each = TimeSpan.FromSeconds(1);
        Console.WriteLine($"== warm-up, not measured: rounds of {each.TotalSeconds:0} s each of the health check, gRPC, REST and keyed sends until the server's JIT is quiet");
        var line = await JitWarmUp.RunAsync(server, async token =>
        {
            foreach (var call in new Func<int, long, CancellationToken, Task<Outcome>>[] { NoopAsync, GrpcSendAsync, RestSendAsync, IdempotentSendAsync })
            {
                var result = await LoadRunner.ClosedLoopAsync(redis, server, options.Callers, TimeSpan.Zero, each, call, token);
                if (result.Errors > 0)
                {
                    throw new InvalidOperationException($"errors during the warm-up: {string.Join("; ", result.ErrorLog.Describe().Take(3))}");
                }
            }
        }, ct);
        Console.WriteLine($"   {line}");
    }

    // ---- the calls ----

    private async Task<Outcome> NoopAsync(int caller, long sequence, CancellationToken ct)
    {
        var answer = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: ct);
        return answer.Status == HealthCheckResponse.Types.ServingStatus.Serving ? Outcome.Ok : Outcome.Error;
    }

    private static SendMessageRequest NewSend() => new() { From = Sender, To = Recipient, Text = "load test message" };

    private async Task<Outcome> GrpcSendAsync(int caller, long sequence, CancellationToken ct)
    {
        var answer = await messaging.SendMessageAsync(NewSend(), auth, cancellationToken: ct);
        return answer.Message.Status == MessageStatus.Queued ? Outcome.Ok : Outcome.Error;
    }

    private Task<Outcome> RestSendAsync(int caller, long sequence, CancellationToken ct) => RestSendAsync(rest, ct);

    private static async Task<Outcome> RestSendAsync(HttpClient client, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Version = client.DefaultRequestVersion,
            VersionPolicy = client.DefaultVersionPolicy,
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(SendBody)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode == HttpStatusCode.Accepted && body.Contains("\"status\":\"queued\"", StringComparison.Ordinal))
        {
            return Outcome.Ok;
        }

        throw new HttpRequestException($"REST send answered {(int)response.StatusCode}: {body[..Math.Min(200, body.Length)]}");
    }

    private async Task<Outcome> IdempotentSendAsync(int caller, long sequence, CancellationToken ct)
    {
        var headers = new Metadata
        {
            { "authorization", $"Bearer {ServerProcess.ApiKey}" },
            { "idempotency-key", $"loadtest-{runId}-{Interlocked.Increment(ref keySequence).ToString(CultureInfo.InvariantCulture)}" },
        };
        var answer = await messaging.SendMessageAsync(NewSend(), headers, cancellationToken: ct);
        return answer.Message.Status == MessageStatus.Queued ? Outcome.Ok : Outcome.Error;
    }

    private async Task<Outcome> LimitedSendAsync(int caller, long sequence, CancellationToken ct)
    {
        try
        {
            return await GrpcSendAsync(caller, sequence, ct);
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.ResourceExhausted)
        {
            return Outcome.Rejected;
        }
    }

    // ---- the scenarios ----

    private async Task<Measured> ClosedAsync(string name, Func<int, long, CancellationToken, Task<Outcome>> call, bool perAcceptedSend, CancellationToken ct)
    {
        Console.WriteLine($"== {name}: {options.Callers} callers");
        var result = await LoadRunner.ClosedLoopAsync(redis, server, options.Callers, options.Warmup, options.Duration, call, ct);
        var sample = await SampleRoundTripsAsync(call, ct);
        var measured = new Measured(name, $"{options.Callers} callers", result, sample, perAcceptedSend);
        Report(measured);
        return measured;
    }

    private IReadOnlyList<RuntimeCounters> pacedRuntime = [];

    private async Task<Measured> PacedAsync(Measured closed, CancellationToken ct)
    {
        var name = $"SendMessage gRPC, open loop at {Pct(options.PacedFraction)} of its max";
        var rate = closed.Result.Rate * options.PacedFraction;
        Console.WriteLine($"== {name}: {rate:0} calls/s");
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampling = SampleRuntimeAsync(options.Warmup, options.Duration, stopSampling.Token);
        var result = await LoadRunner.OpenLoopAsync(redis, server, rate, options.Warmup, options.Duration, maxInFlight: 4096, (sequence, token) => GrpcSendAsync(0, sequence, token), ct);
        await stopSampling.CancelAsync();
        pacedRuntime = await sampling;
        // The same calls as the closed loop's: its MONITOR sample tells what their scripts run inside Redis.
        var measured = new Measured(name, $"paced {rate:0}/s", result, closed.Sample, PerAcceptedSend: true);
        return measured;
    }

    /// <summary>
    /// The server's GC pauses, collections and JIT compilations in each 500 ms of an open-loop window
    /// (after <paramref name="delay"/>, its warm-up), read from its /metrics, so that the worst
    /// latencies can be set beside what the runtime did meanwhile. Empty when the server has no
    /// /metrics (telemetry off).
    /// </summary>
    private async Task<IReadOnlyList<RuntimeCounters>> SampleRuntimeAsync(TimeSpan delay, TimeSpan duration, CancellationToken ct)
    {
        var slices = new List<RuntimeCounters>();
        try
        {
            await Task.Delay(delay, ct);
            var clock = Stopwatch.StartNew();
            var previous = await server.RuntimeAsync(ct);
            for (var slice = 1; previous is not null && clock.Elapsed < duration; slice++)
            {
                var wait = TimeSpan.FromMilliseconds(500 * slice) - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct);
                }

                var now = await server.RuntimeAsync(ct);
                if (now is null)
                {
                    break;
                }

                slices.Add(now.Since(previous));
                previous = now;
            }
        }
        catch (OperationCanceledException)
        {
        }

        return slices;
    }

    /// <summary>What the open loop saw over time, and how late its pacer was.</summary>
    private void ReportPacing(Measured paced)
    {
        var (name, result) = (paced.Name, paced.Result);
        details.Add($"{name}: worst latency of the calls scheduled in each 500 ms, ms: {string.Join(' ', result.WorstPerHalfSecond.Select(Ms))}");
        if (pacedRuntime.Count > 0)
        {
            details.Add($"{name}: the server's GC pauses in each 500 ms, ms: {string.Join(' ', pacedRuntime.Select(r => Ms(r.GcPause.TotalMilliseconds)))}");
            details.Add($"{name}: its garbage collections in each 500 ms (gen2 among them): {string.Join(' ', pacedRuntime.Select(r => r.Gen2Collections > 0 ? $"{r.Collections}({r.Gen2Collections})" : $"{r.Collections}"))}");
            details.Add($"{name}: methods its JIT compiled in each 500 ms: {string.Join(' ', pacedRuntime.Select(r => r.JitMethods))}");
        }

        details.Add($"{name}: the pacer started calls late by p50 {Ms(result.StartLag!.Milliseconds(0.5))} ms, p99 {Ms(result.StartLag.Milliseconds(0.99))} ms (included in the latencies)");
        if (result.Skipped > 0)
        {
            details.Add($"{name}: {result.Skipped} scheduled calls skipped (4096 outstanding): the server did not keep up with the schedule");
        }
    }

    private static string PacedNotes(LoadResult result) =>
        "latency from each call's scheduled start" + (result.Skipped > 0 ? $"; {result.Skipped:N0} calls skipped: fell behind" : string.Empty);

    private async Task<Measured> RateLimitedAsync(CancellationToken ct)
    {
        const int Burst = 5;
        const double PerSecond = 5;
        var name = $"SendMessage gRPC, organization held at its limit ({Burst}/s)";
        Console.WriteLine($"== {name}: {options.Callers} callers");
        var key = RedisKeys.Organization(Organization);
        var original = await redis.Database.StringGetAsync(key);
        if (original.IsNull)
        {
            throw new InvalidOperationException($"{key} is not in Redis: the development organization was not seeded");
        }

        // An organization of its own bucket shape; the server sees it once its local cache entry
        // (AgentMessage:Redis:LocalCacheTtl, 2 s) expires.
        await redis.Database.StringSetAsync(key, RedisJson.Serialize(new Organization(Organization, "Development", SendLimit: new RateLimitPolicy(Burst, PerSecond))));
        try
        {
            await WaitForAsync(async () => await LimitedSendAsync(0, 0, ct) == Outcome.Rejected, "the organization's own limit to apply", ct);
            var result = await LoadRunner.ClosedLoopAsync(redis, server, options.Callers, options.Warmup, options.Duration, LimitedSendAsync, ct);
            var sample = await SampleRoundTripsAsync(LimitedSendAsync, ct);
            var measured = new Measured(name, $"{options.Callers} callers", result, sample, PerAcceptedSend: false);
            Report(measured, notes: $"{result.OkRate:0.0} accepted/s + {result.RejectedRate:N0} rejected/s (RESOURCE_EXHAUSTED)");
            details.Add($"{name}: {result.OkRate:0.0} accepted/s, {result.RejectedRate:0} rejected/s (RESOURCE_EXHAUSTED, counted as expected, not as errors)");
            return measured;
        }
        finally
        {
            await redis.Database.StringSetAsync(key, original);
            await WaitForAsync(async () => await LimitedSendAsync(0, 0, ct) == Outcome.Ok && await LimitedSendAsync(0, 0, ct) == Outcome.Ok, "the default limits to apply again", ct);
        }
    }

    private async Task<StreamResult> StreamsAsync(int count, CancellationToken ct)
    {
        var name = $"StreamStatus, {count:N0} concurrent streams, all on one tag";
        Console.WriteLine($"== {name}: {options.ReceiptRounds} messages x 2 receipts");
        var result = await StreamScenario.RunAsync(redis, server, rest, auth, count, options.ReceiptRounds, ct);
        var usage = result.Usage;
        var row = new Row(
            name,
            $"{count:N0} streams, {result.Receipts} receipts",
            $"{result.EventsDelivered / usage.Elapsed.TotalSeconds:N0} ev/s",
            result.ReceiptToClient,
            result.Errors.Total,
            "-",
            "-",
            usage,
            $"{result.BytesPerStream / 1024:0.0} KiB/stream (RSS {Mib(result.RssBefore)} → {Mib(result.RssOpen)} MiB); " +
            $"CPU per delivered event: server {usage.ServerCores * usage.Elapsed.TotalMilliseconds * 1000 / Math.Max(1, result.EventsDelivered):0.0} µs, " +
            $"tool {usage.ToolCores * usage.Elapsed.TotalMilliseconds * 1000 / Math.Max(1, result.EventsDelivered):0.0} µs");
        rows.Add(row);
        Console.WriteLine($"   receipt→client p50 {Ms(result.ReceiptToClient.Milliseconds(0.5))} p99 {Ms(result.ReceiptToClient.Milliseconds(0.99))} ms over {result.ReceiptToClient.Count:N0} deliveries; " +
            $"all open in {result.OpenTime.TotalSeconds:0.0} s; {row.Notes}; errors {result.Errors.Total}");
        details.Add($"{name}: all {count:N0} streams open (headers received) in {result.OpenTime.TotalSeconds:0.0} s; send→client (queued event) p50 {Ms(result.SendToClient.Milliseconds(0.5))} ms, p99 {Ms(result.SendToClient.Milliseconds(0.99))} ms; " +
            $"server CPU {usage.ServerCores:0.00} cores over the receipt rounds");
        foreach (var error in result.Errors.Describe().Take(5))
        {
            details.Add($"{name}: error {error}");
        }

        return result;
    }

    private async Task<OwnStreamResult> OwnStreamsAsync(int count, CancellationToken ct)
    {
        var name = $"StreamStatus, {count:N0} streams each watching its own message";
        Console.WriteLine($"== {name}: {count:N0} sends, then ACCEPTD and DELIVRD for each at {options.ReceiptRate:N0} receipts/s");
        var result = await OwnMessageStreamScenario.RunAsync(redis, server, messaging, rest, auth, count, options.ReceiptRate, ct);
        var usage = result.Usage;
        var row = new Row(
            name,
            $"{count:N0} streams, {options.ReceiptRate:N0} receipts/s",
            $"{result.EventsDelivered / usage.Elapsed.TotalSeconds:N0} ev/s",
            result.Accepted,
            result.Errors.Total,
            "-",
            "-",
            usage,
            $"{result.BytesPerStream / 1024:0.0} KiB/stream (RSS {Mib(result.RssBefore)} → {Mib(result.RssOpen)} MiB); " +
            $"CPU per delivered event, its receipt's handling included: server {usage.ServerCores * usage.Elapsed.TotalMilliseconds * 1000 / Math.Max(1, result.EventsDelivered):0.0} µs, " +
            $"tool {usage.ToolCores * usage.Elapsed.TotalMilliseconds * 1000 / Math.Max(1, result.EventsDelivered):0.0} µs");
        rows.Add(row);
        Console.WriteLine($"   receipt→client (ACCEPTD, all streams open) p50 {Ms(result.Accepted.Milliseconds(0.5))} p99 {Ms(result.Accepted.Milliseconds(0.99))} p99.9 {Ms(result.Accepted.Milliseconds(0.999))} ms over {result.Accepted.Count:N0} deliveries; " +
            $"all open with their snapshot in {result.OpenTime.TotalSeconds:0.0} s; {row.Notes}; errors {result.Errors.Total}");
        details.Add($"{name}: all {count:N0} streams open with their message's current state in {result.OpenTime.TotalSeconds:0.0} s; the row is the ACCEPTD pass (every stream open); " +
            $"the DELIVRD pass (streams end one by one): p50 {Ms(result.Delivered.Milliseconds(0.5))} ms, p99 {Ms(result.Delivered.Milliseconds(0.99))} ms, p99.9 {Ms(result.Delivered.Milliseconds(0.999))} ms over {result.Delivered.Count:N0}; " +
            $"server CPU {usage.ServerCores:0.00} cores over the ACCEPTD pass");
        foreach (var error in result.Errors.Describe().Take(5))
        {
            details.Add($"{name}: error {error}");
        }

        return result;
    }

    // ---- Redis round trips ----

    /// <summary>
    /// Runs <see cref="SampleCalls"/> calls one after another under MONITOR and counts what Redis
    /// executed for them: commands the server sent (its round trips) and commands run inside its
    /// scripts. Sequential so that every command belongs to one call.
    /// </summary>
    private async Task<RoundTrips> SampleRoundTripsAsync(Func<int, long, CancellationToken, Task<Outcome>> call, CancellationToken ct)
    {
        var serverClients = await redis.ClientAddressesAsync("agentmessage");
        long accepted = 0;
        var commands = await redis.MonitorAsync(async () =>
        {
            for (var i = 0; i < SampleCalls; i++)
            {
                if (await call(0, 1_000_000 + i, ct) == Outcome.Ok)
                {
                    accepted++;
                }
            }
        }, ct);
        var top = commands.Where(c => serverClients.Contains(c.Client)).ToList();
        var inner = commands.Where(c => c.Client == "lua").ToList();
        var scripts = top.Count(c => c.Command is "evalsha" or "eval");
        var innerByCommand = inner.GroupBy(c => c.Command).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new RoundTrips(SampleCalls, accepted, top.Count, scripts, inner.Count, innerByCommand, Breakdown(top), Breakdown(inner));
    }

    private static string Breakdown(List<(string Client, string Command)> commands) =>
        string.Join(", ", commands.GroupBy(c => c.Command).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"));

    // ---- reporting ----

    private void Report(Measured measured, bool showSample = true, string notes = "")
    {
        var result = measured.Result;
        var usage = result.Usage;
        var per = measured.Ops;
        var roundTrips = measured.DescribeRoundTrips();
        var row = new Row(
            measured.Name,
            measured.Load,
            $"{result.Rate:N0}/s",
            result.Latencies,
            result.Errors,
            roundTrips,
            (usage.TotalRedisCommands / (double)per).ToString("0.00", CultureInfo.InvariantCulture),
            usage,
            notes);
        rows.Add(row);
        Console.WriteLine($"   {result.Rate:N0}/s, p50 {Ms(result.Latencies.Milliseconds(0.5))} p99 {Ms(result.Latencies.Milliseconds(0.99))} p99.9 {Ms(result.Latencies.Milliseconds(0.999))} ms, " +
            $"errors {result.Errors}, server CPU {usage.ServerCores:0.00}, Redis CPU {usage.RedisCores:0.00}, tool CPU {usage.ToolCores:0.00}, other processes {usage.OtherCores:0.00} cores");
        details.Add($"{measured.Name}: Redis commands per {(measured.PerAcceptedSend ? "accepted send" : "call")} over the window (INFO commandstats): {usage.DescribeCommands(per)}");
        if (showSample && measured.Sample is { } s)
        {
            details.Add($"{measured.Name}: MONITOR over {s.Calls} sequential calls ({s.Accepted} accepted): sent by the server {s.TopLevel} [{s.TopBreakdown}]; inside scripts {s.Inner} [{s.InnerBreakdown}]");
        }

        foreach (var error in result.ErrorLog.Describe().Take(5))
        {
            details.Add($"{measured.Name}: error {error}");
        }
    }

    private void Print(Measured? noop, Measured? grpcSend, Measured? paced, Measured? restSend, Measured? keyed, List<StreamResult> streams, List<OwnStreamResult> ownStreams)
    {
        var output = new StringBuilder();
        output.AppendLine();
        output.AppendLine("Details:");
        foreach (var detail in details)
        {
            output.AppendLine($"- {detail}");
        }

        output.AppendLine();
        output.AppendLine("| scenario | load | throughput | p50 ms | p99 ms | p99.9 ms | errors | Redis round trips/op | Redis cmds/op | server CPU | Redis CPU | tool CPU | other CPU | server peak RSS | notes |");
        output.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
        foreach (var row in rows)
        {
            var usage = row.Usage;
            output.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Scenario} | {row.Load} | {row.Throughput} | {Ms(row.Latencies.Milliseconds(0.5))} | {Ms(row.Latencies.Milliseconds(0.99))} | {Ms(row.Latencies.Milliseconds(0.999))} | {row.Errors} | {row.RoundTrips} | {row.Commands} | {usage.ServerCores:0.00} | {usage.RedisCores:0.00} | {usage.ToolCores:0.00} | {usage.OtherCores:0.00} | {Mib(usage.ServerPeakRss)} MiB | {row.Notes} |"));
        }

        output.AppendLine();
        output.AppendLine($"The no-op, gRPC and REST rows are each two {(options.Duration / 2).TotalSeconds:0.#} s windows run in mirrored order (A B C C B A), so that the machine's drift weighs on them alike; the others one {options.Duration.TotalSeconds:0.#} s window, after a {options.Warmup.TotalSeconds:0.#} s warm-up each.");
        output.AppendLine("op = accepted send for the SendMessage rows, call for the others. CPU in cores (CPU seconds per second; the machine has " +
            $"{Environment.ProcessorCount}); other CPU: what the rest of the machine used meanwhile (/proc/stat), i.e. disturbance. cmds: every command Redis executed (scripts' included), INFO commandstats over the measured window; round trips: the Redis calls the server waited for (its agentmessage_redis_duration_seconds count over the window), as script runs + other calls (cache refills, PING); a script run may carry several sends (RedisSendAdmission batches an organization's concurrent sends). The MONITOR detail lines count {SampleCalls} sequential calls after the window: what one call alone sends and runs inside scripts.");
        output.AppendLine();
        output.AppendLine("Targets:");
        foreach (var target in Targets(noop, grpcSend, paced, restSend, keyed, streams, ownStreams))
        {
            output.AppendLine($"- {target}");
        }

        var failed = rows.Where(r => r.Errors > 0).Select(r => r.Scenario).ToList();
        output.AppendLine();
        output.AppendLine(failed.Count == 0 ? "No errors." : $"ERRORS in: {string.Join("; ", failed)}");
        Console.Write(output.ToString());
        if (options.MarkdownPath is { } path)
        {
            File.WriteAllText(path, output.ToString());
        }
    }

    private IEnumerable<string> Targets(Measured? noop, Measured? grpcSend, Measured? paced, Measured? restSend, Measured? keyed, List<StreamResult> streams, List<OwnStreamResult> ownStreams)
    {
        if (grpcSend is not null && noop is not null)
        {
            yield return Ratio("SendMessage gRPC ≥ 50% of the no-op call's throughput", grpcSend.Result.Rate, noop.Result.Rate, 0.5, "req/s");
        }

        if (paced is not null)
        {
            var p99 = paced.Result.Latencies.Milliseconds(0.99);
            var what = $"p99 under 10 ms at 80% of the max load, measured at {Pct(options.PacedFraction)} ({paced.Load})" +
                (Math.Abs(options.PacedFraction - 0.8) < 1e-9 ? string.Empty : " [not the target's 80%: --paced]");
            yield return p99 < 10
                ? $"MET: {what}: {Ms(p99)} ms"
                : $"MISSED: {what}: {Ms(p99)} ms, {Ms(p99 - 10)} ms ({Pct((p99 / 10) - 1)}) over";
        }

        if (restSend is not null && grpcSend is not null)
        {
            yield return Ratio("SendMessage REST ≥ 80% of SendMessage gRPC", restSend.Result.Rate, grpcSend.Result.Rate, 0.8, "req/s");
        }

        foreach (var send in new[] { grpcSend, keyed })
        {
            if (send?.RoundTripsPerOp is { } trips)
            {
                // The window's edges: Redis counts the scripts of the calls in flight when it opens and
                // closes (up to one per caller each time), the answered-call count does not, so the
                // ratio is known to within this much.
                var edge = 2 * options.Callers * Math.Max(1, Math.Round(send.ScriptsPerOp)) / send.Ops;
                var met = trips <= 2 + edge;
                yield return (met ? "MET" : "MISSED") + $": at most 2 Redis round trips per accepted send ({send.Name}): {trips:0.000} " +
                    $"= {send.ScriptsPerOp:0.000} script runs + {send.OtherRoundTripsPerOp:0.000} other calls (cache refills), " +
                    $"±{edge:0.000} for the calls in flight at the window's edges" +
                    (met ? string.Empty : $", {trips - 2:0.000} ({Pct((trips / 2) - 1, "0.0")}) over");
            }
        }

        foreach (var dispatchTarget in dispatchTargets)
        {
            yield return dispatchTarget;
        }

        var target = streams.FirstOrDefault(s => s.Streams == 10_000);
        var ownTarget = ownStreams.FirstOrDefault(s => s.Streams == 10_000);
        if (options.RunsApiScenarios && target is null && ownTarget is null)
        {
            yield return "NOT RUN: 10,000 concurrent streams, receipt-to-client p99 under 50 ms (pass --streams 10000)";
        }

        if (target is not null)
        {
            yield return StreamTarget("all on one tag, every receipt to every stream", target.ReceiptToClient.Milliseconds(0.99), target.Errors.Total);
        }

        if (ownTarget is not null)
        {
            yield return StreamTarget($"each watching its own message, {ownTarget.ReceiptRate:N0} receipts/s", ownTarget.Accepted.Milliseconds(0.99), ownTarget.Errors.Total);
        }
    }

    private static string StreamTarget(string shape, double p99, long errors)
    {
        var open = errors == 0 ? "all 10,000 open and served" : $"{errors} errors";
        var what = $"10,000 concurrent streams ({shape}; {open}), receipt-to-client p99 under 50 ms";
        return p99 < 50
            ? $"MET: {what}: {Ms(p99)} ms"
            : $"MISSED: {what}: {Ms(p99)} ms, {Ms(p99 - 50)} ms ({Pct((p99 / 50) - 1)}) over";
    }

    private static string Ratio(string what, double value, double reference, double wanted, string unit)
    {
        var ratio = value / reference;
        return ratio >= wanted
            ? $"MET: {what}: {value:N0} vs {reference:N0} {unit} = {Pct(ratio)}"
            : $"MISSED: {what}: {value:N0} vs {reference:N0} {unit} = {Pct(ratio)}, short by {(wanted * reference) - value:N0} {unit} ({(wanted - ratio) * 100:0} points)";
    }

    private static string Ms(double milliseconds) => double.IsNaN(milliseconds) ? "-" : milliseconds.ToString(milliseconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static string Pct(double fraction, string format = "0") => (fraction * 100).ToString(format, CultureInfo.InvariantCulture) + "%";

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0", CultureInfo.InvariantCulture);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new InvalidOperationException($"timed out waiting for {what}");
            }

            await Task.Delay(100, ct);
        }
    }

    private sealed record Measured(string Name, string Load, LoadResult Result, RoundTrips? Sample, bool PerAcceptedSend)
    {
        /// <summary>Calls or accepted sends in the measured window: what the per-op figures divide by.</summary>
        public long Ops => Math.Max(1, PerAcceptedSend ? Result.Ok : Result.Ok + Result.Rejected);

        /// <summary>Script runs (EVALSHA/EVAL: the send path's round trips) per op in the window.</summary>
        public double ScriptsPerOp
        {
            get
            {
                var commands = Result.Usage.RedisCommands;
                return (commands.GetValueOrDefault("evalsha") + commands.GetValueOrDefault("eval")) / (double)Ops;
            }
        }

        /// <summary>
        /// Other Redis calls the server made per op under load (cache refills, health PINGs): its
        /// Redis calls in the window (from its metrics) less the script runs. Without the server's
        /// metrics, each command counted in the window (INFO commandstats) less the times its scripts
        /// ran it inside Redis (the MONITOR sample's count per script run, times the script runs in
        /// the window), which holds only while every script run does the same work (a run of the
        /// send script carries one send alone, or several under load).
        /// </summary>
        public double? OtherRoundTripsPerOp
        {
            get
            {
                if (Result.Usage.ServerRedisCalls is { } calls)
                {
                    return Math.Max(0, (calls / (double)Ops) - ScriptsPerOp);
                }

                if (Sample is null)
                {
                    return null;
                }

                var commands = Result.Usage.RedisCommands;
                var scripts = commands.GetValueOrDefault("evalsha") + commands.GetValueOrDefault("eval");
                return commands.Where(c => c.Key is not ("evalsha" or "eval" or "info"))
                    .Sum(c => Math.Max(0, c.Value - (Sample.InnerPerScript(c.Key) * scripts))) / Ops;
            }
        }

        /// <summary>Every command the server sent to Redis per op under load.</summary>
        public double? RoundTripsPerOp => OtherRoundTripsPerOp is { } other ? ScriptsPerOp + other : null;

        public string DescribeRoundTrips() => OtherRoundTripsPerOp is { } other
            ? ScriptsPerOp > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{ScriptsPerOp:0.00} + {other:0.00}")
                : string.Create(CultureInfo.InvariantCulture, $"{other:0.00}")
            : "-";
    }

    private sealed record RoundTrips(int Calls, long Accepted, int TopLevel, int Scripts, int Inner, IReadOnlyDictionary<string, int> InnerByCommand, string TopBreakdown, string InnerBreakdown)
    {
        /// <summary>How many times one script run executes <paramref name="command"/> inside Redis (for this scenario's mix of outcomes).</summary>
        public double InnerPerScript(string command) => Scripts == 0 ? 0 : InnerByCommand.GetValueOrDefault(command) / (double)Scripts;
    }

    private sealed record Row(string Scenario, string Load, string Throughput, Latencies Latencies, long Errors, string RoundTrips, string Commands, ResourceUsage Usage, string Notes);
}

/// <summary>What the table's figures ran on.</summary>
public static class Machine
{
    public static string Describe()
    {
        static string Read(string path, string prefix) =>
            File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?" : "?";

        var memory = Read("/proc/meminfo", "MemTotal");
        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "?";
        return $"machine: {Environment.ProcessorCount} CPUs ({Read("/proc/cpuinfo", "model name")}), {memory} memory, Linux {kernel}, {RuntimeInformation.FrameworkDescription}";
    }
}

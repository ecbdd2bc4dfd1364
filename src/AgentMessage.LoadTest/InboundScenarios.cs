using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using AgentMessage.Testing;
using AgentMessage.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentMessage.LoadTest;

/// <summary>
/// Inbound messages, from a carrier's arrival to a client's status stream: signed posts to
/// <c>POST /v1/carrier/inbound</c>, and mobile-originated <c>deliver_sm</c> from the test SMSC over
/// the SMPP link. Each runs on its own redis-server and server, closed loop for the warm-up and the
/// window; one gRPC StreamStatus (direction inbound) of the development organization watches, and
/// each message's latency is from the start of its arrival (the post, or the SMSC's send) to the
/// moment its <c>received</c> event reached that stream.
/// </summary>
public sealed class InboundScenarios(LoadOptions options)
{
    private const int SmppCallers = 16;
    private static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(10);

    /// <summary>Signed HTTP posts, <see cref="LoadOptions.Callers"/> at a time.</summary>
    public async Task<DispatchMeasurement> HttpAsync(CancellationToken ct)
    {
        var name = "inbound over HTTP, signed posts to /v1/carrier/inbound, arrival → stream";
        Console.WriteLine($"== {name}: {options.Callers} callers, {options.Warmup.TotalSeconds:0.#} s warm-up + {options.Duration.TotalSeconds:0} s");
        await using var redis = await StartRedisAsync(ct);
        await using var server = await ServerProcess.StartAsync(options.ServerAssembly, redis.Configuration, options.ServerSettings, options.ServerEnvironment, ct);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Callers }) { BaseAddress = server.RestUrl };
        await using var watch = await StreamWatch.StartAsync(server, ct);
        var starts = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var load = await LoadRunner.ClosedLoopAsync(redis, server, options.Callers, options.Warmup, options.Duration, async (caller, sequence, token) =>
        {
            var started = Ticks.Now;
            var body = $$"""{"from":"{{Person(caller, sequence)}}","to":"{{LoadTestRun.Sender}}","text":"inbound load test {{sequence}}"}""";
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/carrier/inbound") { Content = new StringContent(body, System.Text.Encoding.UTF8) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add("X-Carrier-Timestamp", timestamp);
            request.Headers.Add("X-Carrier-Signature", Sign(timestamp, body));
            using var response = await http.SendAsync(request, token);
            if (!response.IsSuccessStatusCode)
            {
                return Outcome.Error;
            }

            using var answer = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(token));
            if (!answer.RootElement.GetProperty("data").TryGetProperty("message_id", out var id))
            {
                return Outcome.Error;
            }

            starts[id.GetString()!] = started;
            return Outcome.Ok;
        }, ct);
        return await ResultAsync(name, load, starts, watch, ct);
    }

    /// <summary>Mobile-originated deliver_sm from the test SMSC, <see cref="SmppCallers"/> at a time,
    /// each waiting for its deliver_sm_resp.</summary>
    public async Task<DispatchMeasurement> SmppAsync(CancellationToken ct)
    {
        var name = "inbound over SMPP, deliver_sm from the SMSC, arrival → stream";
        Console.WriteLine($"== {name}: {SmppCallers} senders, {options.Warmup.TotalSeconds:0.#} s warm-up + {options.Duration.TotalSeconds:0} s");
        await using var smsc = await SmscServer.StartAsync(ct);
        await smsc.SetOptionsAsync(new SmscOptions { Record = false }, ct);
        await using var redis = await StartRedisAsync(ct);
        string[] settings =
        [
            .. options.ServerSettings,
            "--AgentMessage:Carrier:Gateway=smpp",
            $"--AgentMessage:Carrier:Smpp:Host={smsc.Host}",
            $"--AgentMessage:Carrier:Smpp:Port={smsc.Port.ToString(CultureInfo.InvariantCulture)}",
            $"--AgentMessage:Carrier:Smpp:SystemId={smsc.SystemId}",
            $"--AgentMessage:Carrier:Smpp:Password={smsc.Password}",
        ];
        await using var server = await ServerProcess.StartAsync(options.ServerAssembly, redis.Configuration, settings, options.ServerEnvironment, ct);
        await using var watch = await StreamWatch.StartAsync(server, ct);
        var startsByPerson = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var load = await LoadRunner.ClosedLoopAsync(redis, server, SmppCallers, options.Warmup, options.Duration, async (caller, sequence, token) =>
        {
            var person = Person(caller, sequence);
            startsByPerson[person] = Ticks.Now;
            var reply = await smsc.SendDeliverSmAsync(
                new SmscDeliverSm
                {
                    SourceAddrTon = 1,
                    SourceAddrNpi = 1,
                    SourceAddr = person[1..],
                    DestAddrTon = 1,
                    DestAddrNpi = 1,
                    DestinationAddr = LoadTestRun.Sender[1..],
                    Text = $"inbound load test {sequence}",
                },
                token);
            return reply.Answered && reply.CommandStatus == 0 ? Outcome.Ok : Outcome.Error;
        }, ct);

        // The stream names message ids; the arrivals were keyed by sender: read each message once,
        // after the window, to pair them.
        await watch.WaitForQuietAsync(CatchUp, ct);
        var client = new MessagingService.MessagingServiceClient(watch.Channel);
        var starts = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(watch.Seen.Keys, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (id, token) =>
        {
            var message = (await client.GetMessageAsync(new GetMessageRequest { Id = id }, StreamWatch.Auth, cancellationToken: token)).Message;
            if (startsByPerson.TryGetValue(message.From, out var started))
            {
                starts[id] = started;
            }
        });
        return await ResultAsync(name, load, starts, watch, ct);
    }

    private async Task<DispatchMeasurement> ResultAsync(string name, LoadResult load, ConcurrentDictionary<string, long> starts, StreamWatch watch, CancellationToken ct)
    {
        await watch.WaitForQuietAsync(CatchUp, ct);
        var latencies = new List<long>(starts.Count);
        var missing = 0;
        foreach (var (id, started) in starts)
        {
            if (watch.Seen.TryGetValue(id, out var seen))
            {
                latencies.Add(seen - started);
            }
            else
            {
                missing++;
            }
        }

        var errors = new ErrorLog();
        foreach (var error in load.ErrorLog.Describe())
        {
            errors.Add(error);
        }

        if (missing > 0)
        {
            errors.Add($"{missing:N0} stored inbound messages never reached the stream");
        }

        var measured = new Latencies(latencies);
        Console.WriteLine($"   {load.OkRate:N0} inbound messages/s; arrival → stream p50 {Ms(measured.Milliseconds(0.5))} ms, p99 {Ms(measured.Milliseconds(0.99))} ms over {measured.Count:N0}; " +
            $"server CPU {load.Usage.ServerCores:0.00}, Redis CPU {load.Usage.RedisCores:0.00}, other {load.Usage.OtherCores:0.00} cores, errors {errors.Total}");
        return new DispatchMeasurement(
            name,
            $"closed loop, {options.Duration.TotalSeconds:0} s",
            $"{load.OkRate:N0} msg/s",
            measured,
            errors,
            "-",
            (load.Usage.TotalRedisCommands / (double)Math.Max(1, load.Ok)).ToString("0.00", CultureInfo.InvariantCulture),
            load.Usage,
            $"latency: the arrival's start to its received event on a gRPC StreamStatus (direction inbound), over every arrival of the warm-up and the window; arrival call p50 {Ms(load.Latencies.Milliseconds(0.5))} ms, p99 {Ms(load.Latencies.Milliseconds(0.99))} ms",
            [.. errors.Describe().Take(5).Select(e => $"{name}: error {e}")])
        {
            Rate = load.OkRate,
        };
    }

    private static Task<RedisServer> StartRedisAsync(CancellationToken ct) =>
        RedisServer.StartAsync(new RedisServerOptions(Persistent: false, ClientName: RedisMonitor.ToolClientName, DirectoryPrefix: "agentmessage-loadtest-redis-"), ct);

    /// <summary>A distinct sender per arrival: +1555 and seven digits.</summary>
    private static string Person(int caller, long sequence) =>
        "+1555" + (((caller * 1_000_003L) + sequence) % 10_000_000).ToString("0000000", CultureInfo.InvariantCulture);

    private static string Sign(string timestamp, string body) =>
        "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ServerProcess.ReceiptSecret), System.Text.Encoding.UTF8.GetBytes(timestamp + "." + body)));

    private static string Ms(double milliseconds) => double.IsNaN(milliseconds) ? "-" : milliseconds.ToString(milliseconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    /// <summary>One gRPC StreamStatus of the development organization's inbound arrivals, noting when
    /// each message's event came.</summary>
    private sealed class StreamWatch : IAsyncDisposable
    {
        private readonly CancellationTokenSource stop = new();
        private readonly AsyncServerStreamingCall<StreamStatusResponse> call;
        private readonly Task reading;
        private long lastSeen = Ticks.Now;

        private StreamWatch(GrpcChannel channel, AsyncServerStreamingCall<StreamStatusResponse> call)
        {
            Channel = channel;
            this.call = call;
            reading = Task.Run(ReadAsync);
        }

        public static Metadata Auth { get; } = new() { { "authorization", $"Bearer {ServerProcess.ApiKey}" } };

        public GrpcChannel Channel { get; }

        /// <summary>Message id to when its event reached this stream (<see cref="Ticks"/>).</summary>
        public ConcurrentDictionary<string, long> Seen { get; } = new(StringComparer.Ordinal);

        public static async Task<StreamWatch> StartAsync(ServerProcess server, CancellationToken ct)
        {
            var channel = GrpcChannel.ForAddress(server.GrpcUrl);
            var client = new MessagingService.MessagingServiceClient(channel);
            var call = client.StreamStatus(new StreamStatusRequest { Direction = Direction.Inbound }, Auth, cancellationToken: ct);

            // Subscribed once the response headers are in: nothing after this is missed.
            await call.ResponseHeadersAsync;
            return new StreamWatch(channel, call);
        }

        /// <summary>Waits until no event has come for a second, or <paramref name="limit"/>.</summary>
        public async Task WaitForQuietAsync(TimeSpan limit, CancellationToken ct)
        {
            var until = Ticks.Now + Ticks.From(limit);
            while (Ticks.Now < until && Ticks.Now - Interlocked.Read(ref lastSeen) < Ticks.From(TimeSpan.FromSeconds(1)))
            {
                await Task.Delay(100, ct);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            call.Dispose();
            try
            {
                await reading;
            }
            catch (Exception exception) when (exception is RpcException or OperationCanceledException)
            {
            }

            Channel.Dispose();
            stop.Dispose();
        }

        private async Task ReadAsync()
        {
            try
            {
                while (await call.ResponseStream.MoveNext(stop.Token))
                {
                    var now = Ticks.Now;
                    Interlocked.Exchange(ref lastSeen, now);
                    Seen.TryAdd(call.ResponseStream.Current.Event.MessageId, now);
                }
            }
            catch (Exception exception) when (exception is RpcException or OperationCanceledException)
            {
            }
        }
    }
}

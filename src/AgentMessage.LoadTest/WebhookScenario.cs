using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AgentMessage.Testing;
using AgentMessage.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentMessage.LoadTest;

/// <summary>
/// Webhook delivery while sends run: one endpoint of the development organization subscribed to
/// message.status points at a fast local receiver (a bare HTTP/1.1 listener in this process that
/// answers 204 at once); sends are paced open loop at <c>--webhook-rate</c> per second (each send
/// makes four status events, so four deliveries) for the warm-up and the window, then the tool waits
/// for the deliveries to catch up. Throughput is deliveries received per second over the window;
/// delay is from each event's time (its <c>timestamp</c>) to its arrival at the receiver.
/// </summary>
public sealed class WebhookScenario(LoadOptions options)
{
    private static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(30);

    public async Task<DispatchMeasurement> RunAsync(CancellationToken ct)
    {
        var rate = options.Dispatch.WebhookRate;
        var name = $"webhooks, sends paced at {rate:N0}/s (4 status events each) → one endpoint, event → delivery";
        Console.WriteLine($"== {name}: {options.Warmup.TotalSeconds:0.#} s warm-up + {options.Duration.TotalSeconds:0} s");
        await using var receiver = FastReceiver.Start();
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions(Persistent: false, ClientName: RedisMonitor.ToolClientName, DirectoryPrefix: "agentmessage-loadtest-redis-"), ct);
        string[] settings =
        [
            "--AgentMessage:Delivery:EventLogLength=10000000",
            $"--AgentMessage:Delivery:NumberPace:{LoadTestRun.Sender}=1000000",
            "--AgentMessage:Carrier:Simulator:SubmitLatency=00:00:00.010",
            "--AgentMessage:Carrier:Simulator:ReceiptLatency=00:00:00.050",
            "--AgentMessage:Webhooks:RequireHttps=false",
            "--AgentMessage:Webhooks:AllowPrivateNetworks=true",
            "--AgentMessage:Webhooks:MaxInFlightPerEndpoint=64",
            .. options.ServerSettings,
        ];
        await using var server = await ServerProcess.StartAsync(options.ServerAssembly, redis.Configuration, settings, options.ServerEnvironment, dispatch: true, ct);
        using var channel = GrpcChannel.ForAddress(server.GrpcUrl);
        var auth = new Metadata { { "authorization", $"Bearer {ServerProcess.ApiKey}" } };
        var webhooks = new WebhookService.WebhookServiceClient(channel);
        await webhooks.CreateWebhookAsync(new CreateWebhookRequest { Url = receiver.Url, Events = { "message.status" } }, auth, cancellationToken: ct);
        var messaging = new MessagingService.MessagingServiceClient(channel);

        var windowFrom = DateTimeOffset.UtcNow + options.Warmup;
        var windowTo = windowFrom + options.Duration;
        long accepted = 0;
        var sends = await LoadRunner.OpenLoopAsync(redis, server, rate, options.Warmup, options.Duration, maxInFlight: 4096, async (_, token) =>
        {
            var answer = await messaging.SendMessageAsync(new SendMessageRequest { From = LoadTestRun.Sender, To = LoadTestRun.Recipient, Text = "webhook load test" }, auth, cancellationToken: token);
            if (answer.Message.Status != MessageStatus.Queued)
            {
                return Outcome.Error;
            }

            Interlocked.Increment(ref accepted);
            return Outcome.Ok;
        }, ct);

        // Every accepted send, warm-up included, makes four events: queued, sending, sent, delivered.
        var expected = 4L * Interlocked.Read(ref accepted);
        var until = DateTimeOffset.UtcNow + CatchUp;
        while (receiver.Distinct < expected && DateTimeOffset.UtcNow < until)
        {
            await Task.Delay(200, ct);
        }

        var inWindow = receiver.Arrivals.Where(a => a.At >= windowFrom && a.At < windowTo).ToList();
        var delays = new Latencies(inWindow.Select(a => Ticks.From(a.At - a.EventAt)));
        var deliveredRate = inWindow.Count / options.Duration.TotalSeconds;
        var errors = new ErrorLog();
        foreach (var error in sends.ErrorLog.Describe())
        {
            errors.Add($"send: {error}");
        }

        var missing = expected - receiver.Distinct;
        if (missing > 0)
        {
            errors.Add($"{missing:N0} of {expected:N0} events never delivered within {CatchUp.TotalSeconds:0} s of the last send");
        }

        var met = deliveredRate >= 2000 && delays.Milliseconds(0.99) < 1000 && missing <= 0;
        Console.WriteLine($"   {deliveredRate:N0} deliveries/s; event → delivery p50 {Ms(delays.Milliseconds(0.5))} ms, p99 {Ms(delays.Milliseconds(0.99))} ms over {delays.Count:N0}; " +
            $"{receiver.Duplicates:N0} duplicates; server CPU {sends.Usage.ServerCores:0.00}, Redis CPU {sends.Usage.RedisCores:0.00}, errors {errors.Total}");
        return new DispatchMeasurement(
            name,
            $"paced {rate:N0} sends/s, {options.Duration.TotalSeconds:0} s",
            $"{deliveredRate:N0} deliveries/s",
            delays,
            errors,
            "-",
            (sends.Usage.TotalRedisCommands / (double)Math.Max(1, expected)).ToString("0.00", CultureInfo.InvariantCulture),
            sends.Usage,
            $"latency: an event's timestamp to its arrival at the receiver, over the deliveries that arrived in the window; {receiver.Distinct:N0} of {expected:N0} events delivered, {receiver.Duplicates:N0} twice; sends p99 {Ms(sends.Latencies.Milliseconds(0.99))} ms; Redis commands per delivery (sends included)",
            [.. errors.Describe().Take(5).Select(e => $"{name}: error {e}")])
        {
            Rate = deliveredRate,
            Target = (met ? "MET" : "MISSED") + $": at least 2,000 webhook deliveries/s per instance with sends running ({deliveredRate:N0}/s) and p99 event → delivery under 1 s ({Ms(delays.Milliseconds(0.99))} ms)",
        };
    }

    private static string Ms(double milliseconds) => double.IsNaN(milliseconds) ? "-" : milliseconds.ToString(milliseconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    /// <summary>A bare HTTP/1.1 keep-alive listener on loopback: reads each request, notes its
    /// webhook-id and the event's timestamp, answers 204 at once.</summary>
    private sealed class FastReceiver : IAsyncDisposable
    {
        private readonly TcpListener listener;
        private readonly CancellationTokenSource stop = new();
        private readonly Task accepting;
        private readonly ConcurrentDictionary<string, byte> seen = new(StringComparer.Ordinal);
        private long duplicates;

        private FastReceiver()
        {
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start(512);
            Url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture)}/hooks";
            accepting = Task.Run(AcceptAsync);
        }

        public string Url { get; }

        public ConcurrentQueue<(DateTimeOffset At, DateTimeOffset EventAt)> Arrivals { get; } = new();

        public long Distinct => seen.Count;

        public long Duplicates => Interlocked.Read(ref duplicates);

        public static FastReceiver Start() => new();

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            try
            {
                await accepting;
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                _ = Task.Run(() => ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            var answer = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"u8.ToArray();
            using (client)
            {
                var stream = client.GetStream();
                var buffer = new byte[64 * 1024];
                var filled = 0;
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var end = IndexOf(buffer.AsSpan(0, filled), "\r\n\r\n"u8);
                        if (end < 0)
                        {
                            var read = await stream.ReadAsync(buffer.AsMemory(filled), stop.Token);
                            if (read == 0)
                            {
                                return;
                            }

                            filled += read;
                            continue;
                        }

                        var head = System.Text.Encoding.ASCII.GetString(buffer, 0, end);
                        var length = int.Parse(Header(head, "content-length") ?? "0", CultureInfo.InvariantCulture);
                        var total = end + 4 + length;
                        while (filled < total)
                        {
                            var read = await stream.ReadAsync(buffer.AsMemory(filled), stop.Token);
                            if (read == 0)
                            {
                                return;
                            }

                            filled += read;
                        }

                        Record(Header(head, "webhook-id"), buffer.AsSpan(end + 4, length));
                        await stream.WriteAsync(answer, stop.Token);
                        Buffer.BlockCopy(buffer, total, buffer, 0, filled - total);
                        filled -= total;
                    }
                }
                catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException)
                {
                }
            }
        }

        private void Record(string? webhookId, ReadOnlySpan<byte> body)
        {
            var at = DateTimeOffset.UtcNow;
            if (webhookId is null || !seen.TryAdd(webhookId, 0))
            {
                Interlocked.Increment(ref duplicates);
                return;
            }

            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("timestamp"u8))
                {
                    reader.Read();
                    Arrivals.Enqueue((at, reader.GetDateTimeOffset()));
                    return;
                }
            }
        }

        private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);

        private static string? Header(string head, string name)
        {
            foreach (var line in head.Split("\r\n"))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return line[(colon + 1)..].Trim();
                }
            }

            return null;
        }
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AgentMessage.Testing;
using AgentMessage.V1;
using Google.Protobuf;

namespace AgentMessage.LoadTest;

/// <summary>
/// The same calls measured from outside with <c>h2load</c> (Debian's nghttp2-client: a C client,
/// so the client's own cost does not hide the server's): the gRPC no-op (<c>grpc.health.v1.Health/Check</c>),
/// <c>SendMessage</c> over gRPC, and <c>POST /v1/messages</c> over HTTP/1.1, each as two windows in
/// mirrored order (A B C C B A) after a warm-up, on the Redis configuration with dispatch off.
/// </summary>
public sealed partial class H2LoadScenario(LoadOptions options)
{
    private const int Connections = 16;
    private const int StreamsPerConnection = 16;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    /// <summary>How long each call runs in one round of the warm-up (<see cref="JitWarmUp"/>).</summary>
    internal static readonly TimeSpan WarmUpRound = TimeSpan.FromSeconds(2);

    public async Task<IReadOnlyList<DispatchMeasurement>> RunAsync(CancellationToken ct)
    {
        if (FindH2Load() is not { } h2load)
        {
            Console.WriteLine("== h2load: not installed (apt-get install nghttp2-client); skipped");
            return [];
        }

        Console.WriteLine($"== h2load: {Connections} connections × {StreamsPerConnection} streams; rounds of every call until the JIT is quiet, then {WarmUp.TotalSeconds:0} s warm-up + 2 × {Window.TotalSeconds:0} s windows per call, mirrored");
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions(Persistent: false, ClientName: RedisMonitor.ToolClientName, DirectoryPrefix: "agentmessage-loadtest-redis-"), ct);
        // Every send's event kept, so the sends can be counted afterwards.
        string[] settings = [.. options.ServerSettings, "--AgentMessage:Delivery:EventLogLength=100000000"];
        await using var server = await ServerProcess.StartAsync(options.ServerAssembly, redis.Configuration, settings, options.ServerEnvironment, ct);
        var directory = Directory.CreateTempSubdirectory("agentmessage-h2load-");
        try
        {
            var noop = Call("gRPC no-op (Health/Check)", server.GrpcUrl, "/grpc.health.v1.Health/Check", Frame([]), grpc: true, directory);
            var send = Call("gRPC SendMessage", server.GrpcUrl, "/agentmessage.v1.MessagingService/SendMessage",
                Frame(new SendMessageRequest { From = LoadTestRun.Sender, To = LoadTestRun.Recipient, Text = "h2load message" }.ToByteArray()), grpc: true, directory);
            var rest = Call("REST POST /v1/messages (HTTP/1.1)", server.RestUrl, "/v1/messages",
                System.Text.Encoding.UTF8.GetBytes($$"""{"from":"{{LoadTestRun.Sender}}","to":"{{LoadTestRun.Recipient}}","text":"h2load message"}"""), grpc: false, directory);
            // A fresh server is cold (JIT tiers, pools): every call, round after round, until its JIT is quiet.
            Console.WriteLine("   " + await JitWarmUp.RunAsync(server, async token =>
            {
                foreach (var call in (HttpCall[])[noop, send, rest])
                {
                    await RunH2LoadAsync(h2load, call, token, WarmUpRound);
                }
            }, ct));

            var primed = await EventLog.LengthAsync(redis.Database, LoadTestRun.Organization);
            HttpCall[] order = [noop, send, rest, rest, send, noop];
            foreach (var call in order)
            {
                var window = await UsageWindow.BeginAsync(redis, server);
                var result = await RunH2LoadAsync(h2load, call, ct);
                call.Add(result, await window.EndAsync());
            }

            // h2load counts HTTP 2xx, and a refused gRPC call is a 200 with an error in its
            // trailers: every counted send must have left its queued event.
            var events = await EventLog.LengthAsync(redis.Database, LoadTestRun.Organization) - primed;
            var counted = send.Answered + rest.Answered;
            if (events < counted)
            {
                send.Problem($"{counted:N0} sends answered 2xx but only {events:N0} events recorded: some carried a gRPC error");
            }

            var ratio = send.Rate / noop.Rate;
            var restRatio = rest.Rate / send.Rate;
            Console.WriteLine($"   no-op {noop.Rate:N0}/s, SendMessage {send.Rate:N0}/s ({ratio:P0} of the no-op), REST {rest.Rate:N0}/s ({restRatio:P0} of gRPC)");
            Console.WriteLine($"   server CPU per call: no-op {noop.ServerMicrosecondsPerCall:N0} µs, SendMessage {send.ServerMicrosecondsPerCall:N0} µs, REST {rest.ServerMicrosecondsPerCall:N0} µs");
            return
            [
                noop.Measurement(null),
                send.Measurement((ratio >= 0.5 ? "MET" : "MISSED") + $": under h2load, SendMessage at least half of the no-op: {ratio:P0} ({send.Rate:N0} against {noop.Rate:N0} calls/s)"),
                rest.Measurement((restRatio >= 0.8 ? "MET" : "MISSED") + $": under h2load, REST SendMessage at least 80 % of gRPC: {restRatio:P0}"),
            ];
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    internal static string? FindH2Load() =>
        new[] { "/usr/bin/h2load", "/usr/local/bin/h2load" }.FirstOrDefault(File.Exists);

    internal static HttpCall Call(string name, Uri baseUrl, string path, byte[] body, bool grpc, DirectoryInfo directory)
    {
        var file = Path.Combine(directory.FullName, $"{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(file, body);
        return new HttpCall(name, new Uri(baseUrl, path), file, grpc);
    }

    /// <summary>One gRPC message frame: not compressed, 4-byte big-endian length, the message.</summary>
    internal static byte[] Frame(byte[] message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>One h2load run of <paramref name="call"/>: a 2 s warm-up and a 5 s window, or only
    /// <paramref name="unmeasured"/> of load when given (a warm-up round).</summary>
    internal static async Task<H2LoadResult> RunH2LoadAsync(string h2load, HttpCall call, CancellationToken ct, TimeSpan? unmeasured = null)
    {
        var arguments = new List<string>
        {
            "-c", Connections.ToString(CultureInfo.InvariantCulture),
            "-m", (call.Grpc ? StreamsPerConnection : 1).ToString(CultureInfo.InvariantCulture),
            "-t", "1",
            "-D", (unmeasured ?? Window).TotalSeconds.ToString(CultureInfo.InvariantCulture),
            $"--warm-up-time={(unmeasured is null ? WarmUp : TimeSpan.Zero).TotalSeconds.ToString(CultureInfo.InvariantCulture)}",
            "-d", call.BodyFile,
            "-H", $"authorization: Bearer {ServerProcess.ApiKey}",
        };
        if (call.Grpc)
        {
            arguments.AddRange(["-H", "content-type: application/grpc", "-H", "te: trailers"]);
        }
        else
        {
            arguments.AddRange(["--h1", "-H", "content-type: application/json"]);
        }

        arguments.Add(call.Url.ToString());
        var start = new ProcessStartInfo(h2load) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var rate = RatePattern().Match(output) is { Success: true } r ? double.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var codes = CodesPattern().Match(output);
        var ok = codes.Success ? long.Parse(codes.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var other = codes.Success ? codes.Groups.Values.Skip(2).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture)) : 0;
        var mean = MeanPattern().Match(output) is { Success: true } m ? m.Groups[1].Value + m.Groups[2].Value : "-";
        return new H2LoadResult(rate, ok, other, mean);
    }

    [GeneratedRegex(@"finished in [^,]+, ([0-9.]+) req/s")]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")]
    private static partial Regex CodesPattern();

    [GeneratedRegex(@"time for request:\s+\S+\s+\S+\s+([0-9.]+)(us|ms|s)")]
    private static partial Regex MeanPattern();

    internal sealed record H2LoadResult(double Rate, long Ok, long NotOk, string Mean);

    /// <summary>One call's two windows.</summary>
    internal sealed class HttpCall(string name, Uri url, string bodyFile, bool grpc)
    {
        private readonly List<(H2LoadResult Result, ResourceUsage Usage)> windows = [];

        public Uri Url => url;

        public string BodyFile => bodyFile;

        public bool Grpc => grpc;

        public double Rate => windows.Count == 0 ? 0 : windows.Average(w => w.Result.Rate);

        /// <summary>The server's CPU time per answered call (microseconds), over the windows: what
        /// a call costs whatever else the machine is doing.</summary>
        public double ServerMicrosecondsPerCall => windows.Count == 0 ? 0 : windows.Average(MicrosecondsPerCall);

        /// <summary>Each measured window's calls per second, in the order they ran.</summary>
        public IReadOnlyList<double> WindowRates => [.. windows.Select(w => w.Result.Rate)];

        /// <summary>Each measured window's server CPU time per call (microseconds), in the order they ran.</summary>
        public IReadOnlyList<double> WindowMicroseconds => [.. windows.Select(MicrosecondsPerCall)];

        private static double MicrosecondsPerCall((H2LoadResult Result, ResourceUsage Usage) window) =>
            window.Usage.ServerCores / Math.Max(1, window.Result.Rate) * 1e6;

        private readonly List<string> problems = [];

        public void Add(H2LoadResult result, ResourceUsage usage) => windows.Add((result, usage));

        /// <summary>2xx answers over the measured windows.</summary>
        public long Answered => windows.Sum(w => w.Result.Ok);

        public void Problem(string problem) => problems.Add(problem);

        public DispatchMeasurement Measurement(string? target)
        {
            var errors = new ErrorLog();
            foreach (var (result, _) in windows.Where(w => w.Result.NotOk > 0 || w.Result.Ok == 0))
            {
                errors.Add($"{result.NotOk:N0} answers that were not 2xx, {result.Ok:N0} 2xx");
            }

            foreach (var problem in problems)
            {
                errors.Add(problem);
            }

            var usage = windows[^1].Usage;
            return new DispatchMeasurement(
                $"h2load: {name}",
                $"{Connections} connections × {(grpc ? StreamsPerConnection : 1)}, {windows.Count} × {Window.TotalSeconds:0} s",
                $"{Rate:N0} calls/s",
                new Latencies([]),
                errors,
                "-",
                (usage.TotalRedisCommands / Math.Max(1.0, windows[^1].Result.Ok)).ToString("0.00", CultureInfo.InvariantCulture),
                usage,
                $"windows {string.Join(", ", windows.Select(w => w.Result.Rate.ToString("N0", CultureInfo.InvariantCulture)))} calls/s; mean time per request {string.Join(", ", windows.Select(w => w.Result.Mean))} (h2load counts HTTP 2xx; gRPC status is in the trailers)",
                [])
            {
                Rate = Rate,
                Target = target,
            };
        }
    }
}

using AgentMessage.Testing;
using AgentMessage.V1;
using Google.Protobuf;

namespace AgentMessage.LoadTest;

/// <summary>
/// What telemetry costs a send: two servers side by side on one redis-server, one with telemetry
/// as shipped (traces recorded, metrics collected, /metrics served) and one with
/// <c>AgentMessage:Telemetry:Enabled=false</c>, both dispatch off; gRPC SendMessage and REST
/// POST /v1/messages driven by h2load (a C client, whose own cost stays out of the server's), each
/// in several rounds of adjacent on/off windows, mirrored from one round to the next, so drift in a
/// noisy machine falls on both sides alike; the verdict takes the median of the pairs.
/// </summary>
public sealed class TelemetryCostScenario(LoadOptions options)
{
    /// <summary>The target: with telemetry on, at most 5 % fewer sends per second.</summary>
    private const double Target = 0.95;

    public async Task<IReadOnlyList<DispatchMeasurement>> RunAsync(CancellationToken ct)
    {
        if (H2LoadScenario.FindH2Load() is not { } h2load)
        {
            Console.WriteLine("== telemetry: h2load not installed (apt-get install nghttp2-client); skipped");
            return [];
        }

        Console.WriteLine("== telemetry: gRPC and REST sends under h2load, telemetry on and off side by side, mirrored windows");
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions(Persistent: false, ClientName: RedisMonitor.ToolClientName, DirectoryPrefix: "agentmessage-loadtest-redis-"), ct);
        await using var on = await ServerProcess.StartAsync(options.ServerAssembly, redis.Configuration, options.ServerSettings, options.ServerEnvironment, ct);
        await using var off = await ServerProcess.StartAsync(options.ServerAssembly, redis.Configuration, [.. options.ServerSettings, "--AgentMessage:Telemetry:Enabled=false"], options.ServerEnvironment, ct);
        var directory = Directory.CreateTempSubdirectory("agentmessage-telemetry-");
        try
        {
            var grpcBody = H2LoadScenario.Frame(new SendMessageRequest { From = LoadTestRun.Sender, To = LoadTestRun.Recipient, Text = "telemetry cost" }.ToByteArray());
            var restBody = System.Text.Encoding.UTF8.GetBytes($$"""{"from":"{{LoadTestRun.Sender}}","to":"{{LoadTestRun.Recipient}}","text":"telemetry cost"}""");
            const string GrpcPath = "/agentmessage.v1.MessagingService/SendMessage";
            var grpcOn = (Call: H2LoadScenario.Call("gRPC SendMessage, telemetry on", on.GrpcUrl, GrpcPath, grpcBody, grpc: true, directory), Server: on);
            var grpcOff = (Call: H2LoadScenario.Call("gRPC SendMessage, telemetry off", off.GrpcUrl, GrpcPath, grpcBody, grpc: true, directory), Server: off);
            var restOn = (Call: H2LoadScenario.Call("REST POST /v1/messages, telemetry on", on.RestUrl, "/v1/messages", restBody, grpc: false, directory), Server: on);
            var restOff = (Call: H2LoadScenario.Call("REST POST /v1/messages, telemetry off", off.RestUrl, "/v1/messages", restBody, grpc: false, directory), Server: off);

            // Fresh servers are cold (JIT tiers, pools): both get the same rounds of every call until
            // the one with telemetry, the one that can say, has a quiet JIT.
            Console.WriteLine("   " + await JitWarmUp.RunAsync(on, async token =>
            {
                foreach (var (call, _) in new[] { grpcOn, grpcOff, restOn, restOff })
                {
                    await H2LoadScenario.RunH2LoadAsync(h2load, call, token, H2LoadScenario.WarmUpRound);
                }
            }, ct));

            // Single windows on this machine swing by 10-25 %: several rounds, each a mirrored pair
            // per face (on off, then off on), and the verdict on the median of the pairs' ratios.
            for (var round = 0; round < Rounds; round++)
            {
                foreach (var (first, second) in new[] { (grpcOn, grpcOff), (restOn, restOff) })
                {
                    foreach (var (call, server) in round % 2 == 0 ? new[] { first, second } : [second, first])
                    {
                        var window = await UsageWindow.BeginAsync(redis, server);
                        var result = await H2LoadScenario.RunH2LoadAsync(h2load, call, ct);
                        call.Add(result, await window.EndAsync());
                    }
                }
            }

            var grpc = Compare(grpcOn.Call, grpcOff.Call);
            var rest = Compare(restOn.Call, restOff.Call);
            Console.WriteLine($"   gRPC {grpcOn.Call.Rate:N0}/s on, {grpcOff.Call.Rate:N0}/s off; pairs {grpc.Pairs}: median {grpc.Ratio:P1}");
            Console.WriteLine($"   REST {restOn.Call.Rate:N0}/s on, {restOff.Call.Rate:N0}/s off; pairs {rest.Pairs}: median {rest.Ratio:P1}");
            Console.WriteLine($"   server CPU per send, median of the pairs' differences: gRPC {grpc.ExtraMicroseconds:+0.0;-0.0} µs, REST {rest.ExtraMicroseconds:+0.0;-0.0} µs with telemetry on");
            return
            [
                grpcOff.Call.Measurement(null),
                grpcOn.Call.Measurement(Verdict("gRPC", grpc)),
                restOff.Call.Measurement(null),
                restOn.Call.Measurement(Verdict("REST", rest)),
            ];
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Mirrored rounds per face: each gives one on/off pair of adjacent windows.</summary>
    private const int Rounds = 5;

    /// <summary>The on/off pairs of one face: the median of their throughput ratios and of their
    /// CPU-per-call differences, and each pair's ratio.</summary>
    private sealed record Comparison(double Ratio, double ExtraMicroseconds, string Pairs);

    private static Comparison Compare(H2LoadScenario.HttpCall on, H2LoadScenario.HttpCall off)
    {
        var ratios = on.WindowRates.Zip(off.WindowRates, (a, b) => a / Math.Max(1, b)).ToList();
        var extra = on.WindowMicroseconds.Zip(off.WindowMicroseconds, (a, b) => a - b).ToList();
        return new Comparison(Median(ratios), Median(extra), string.Join(", ", ratios.Select(r => r.ToString("P0", System.Globalization.CultureInfo.InvariantCulture))));
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        values.Sort();
        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    private static string Verdict(string face, Comparison comparison) =>
        (comparison.Ratio >= Target ? "MET" : "MISSED") + $": {face} sends with telemetry on at least 95 % of off: median of {Rounds} mirrored pairs {comparison.Ratio:P1} ({comparison.Pairs});" +
        $" server CPU per send {comparison.ExtraMicroseconds:+0.0;-0.0} µs with it on (median of the pairs)";
}

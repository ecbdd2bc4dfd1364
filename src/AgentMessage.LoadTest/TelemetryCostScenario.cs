using AgentMessage.Testing;
using AgentMessage.V1;
using Google.Protobuf;

namespace AgentMessage.LoadTest;

/// <summary>
/// What telemetry costs a send: two servers side by side on one redis-server, one with telemetry
/// as shipped (traces recorded, metrics collected, /metrics served) and one with
/// <c>AgentMessage:Telemetry:Enabled=false</c>, both dispatch off; gRPC SendMessage and REST
/// POST /v1/messages driven by h2load (a C client, whose own cost stays out of the server's), each
/// in mirrored windows (on off off on), so drift in a noisy machine falls on both sides alike.
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

            foreach (var (call, server) in new[] { grpcOn, grpcOff, restOn, restOff, restOff, restOn, grpcOff, grpcOn })
            {
                var window = await UsageWindow.BeginAsync(redis, server);
                var result = await H2LoadScenario.RunH2LoadAsync(h2load, call, ct);
                call.Add(result, await window.EndAsync());
            }

            var grpcRatio = grpcOn.Call.Rate / grpcOff.Call.Rate;
            var restRatio = restOn.Call.Rate / restOff.Call.Rate;
            Console.WriteLine($"   gRPC {grpcOn.Call.Rate:N0}/s on, {grpcOff.Call.Rate:N0}/s off ({grpcRatio:P1}); REST {restOn.Call.Rate:N0}/s on, {restOff.Call.Rate:N0}/s off ({restRatio:P1})");
            Console.WriteLine($"   server CPU per send: gRPC {grpcOn.Call.ServerMicrosecondsPerCall:N0} µs on, {grpcOff.Call.ServerMicrosecondsPerCall:N0} µs off; REST {restOn.Call.ServerMicrosecondsPerCall:N0} µs on, {restOff.Call.ServerMicrosecondsPerCall:N0} µs off");
            return
            [
                grpcOff.Call.Measurement(null),
                grpcOn.Call.Measurement(Verdict("gRPC", grpcRatio, grpcOn.Call, grpcOff.Call)),
                restOff.Call.Measurement(null),
                restOn.Call.Measurement(Verdict("REST", restRatio, restOn.Call, restOff.Call)),
            ];
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string Verdict(string face, double ratio, H2LoadScenario.HttpCall on, H2LoadScenario.HttpCall off) =>
        (ratio >= Target ? "MET" : "MISSED") + $": {face} sends with telemetry on at least 95 % of off: {ratio:P1} ({on.Rate:N0} against {off.Rate:N0} calls/s;" +
        $" server CPU per send {on.ServerMicrosecondsPerCall:N0} µs against {off.ServerMicrosecondsPerCall:N0} µs)";
}

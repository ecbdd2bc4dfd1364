using System.Globalization;
using System.Runtime.InteropServices;
using AgentMessage.Testing;

namespace AgentMessage.LoadTest;

/// <summary>
/// AgentMessage.Server as its own process (<c>dotnet AgentMessage.Server.dll</c>, Release build), on
/// Redis, configured entirely on the command line: both listeners on free loopback ports, the
/// development organization seeded with a fixed key, send limits so high that only the
/// rate-limit scenario's own organization limit ever refuses a send, stream caps above the stream
/// scenarios' thousands of streams on one key, a known receipt secret,
/// warning-level logs, and no dispatch unless asked for (the dispatch scenarios' instances).
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public const string ApiKey = "am_live_LoadTestKey000000000000000000001";
    public const string ReceiptSecret = "loadtest-receipt-secret-0123456789";

    private readonly ChildProcess process;

    private ServerProcess(ChildProcess process, Uri restUrl, Uri grpcUrl, IReadOnlyList<string> settings)
    {
        this.process = process;
        RestUrl = restUrl;
        GrpcUrl = grpcUrl;
        Settings = settings;
    }

    public Uri RestUrl { get; }

    public Uri GrpcUrl { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public string Tail => process.Tail;

    /// <summary>The command-line configuration the server was started with.</summary>
    public IReadOnlyList<string> Settings { get; }

    public static Task<ServerProcess> StartAsync(string assembly, string redisConfiguration, IEnumerable<string> extraSettings, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken) =>
        StartAsync(assembly, redisConfiguration, extraSettings, environment, dispatch: false, cancellationToken);

    /// <summary>Starts the server and waits until it is ready; with <paramref name="dispatch"/> false it only serves the API.</summary>
    public static async Task<ServerProcess> StartAsync(string assembly, string redisConfiguration, IEnumerable<string> extraSettings, IReadOnlyDictionary<string, string> environment, bool dispatch, CancellationToken cancellationToken)
    {
        var server = Launch(assembly, redisConfiguration, extraSettings, environment, dispatch);
        try
        {
            await server.WaitUntilReadyAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server without waiting for it (a dispatching instance starts work before
    /// it answers its readiness check, and the drain scenario watches it from the start).</summary>
    /// <remarks>Dispatch is turned off with Workers = 0, the switch both this build and the build
    /// before the dispatch rewrite know; with dispatch on, each build dispatches by its defaults.</remarks>
    public static ServerProcess Launch(string assembly, string redisConfiguration, IEnumerable<string> extraSettings, IReadOnlyDictionary<string, string> environment, bool dispatch)
    {
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException($"{assembly} does not exist: build it with `dotnet build -c Release src/AgentMessage.Server`, or pass --server");
        }

        var restUrl = new Uri($"http://127.0.0.1:{ChildProcess.FreePort().ToString(CultureInfo.InvariantCulture)}");
        var grpcUrl = new Uri($"http://127.0.0.1:{ChildProcess.FreePort().ToString(CultureInfo.InvariantCulture)}");
        string[] settings =
        [
            $"--Kestrel:Endpoints:Rest:Url={restUrl}",
            "--Kestrel:Endpoints:Rest:Protocols=Http1",
            $"--Kestrel:Endpoints:Grpc:Url={grpcUrl}",
            "--Kestrel:Endpoints:Grpc:Protocols=Http2",
            $"--AgentMessage:Redis:Configuration={redisConfiguration}",
            "--AgentMessage:Redis:LocalCacheTtl=00:00:02",
            "--AgentMessage:Dev:Seed=true",
            $"--AgentMessage:Dev:ApiKey={ApiKey}",
            "--AgentMessage:RateLimits:Send:Burst=1000000000",
            "--AgentMessage:RateLimits:Send:PerSecond=1000000000",

            // The stream scenarios hold thousands of streams on one key.
            "--AgentMessage:Streams:MaxPerKey=1000000",
            "--AgentMessage:Streams:MaxPerOrganization=1000000",
            $"--AgentMessage:Carrier:ReceiptSecret={ReceiptSecret}",
            .. dispatch ? Array.Empty<string>() : ["--AgentMessage:Delivery:Workers=0"],
            "--Logging:LogLevel:Default=Warning",
            .. extraSettings,
        ];

        // Run from its own folder: the content root (appsettings.json) is the working directory.
        var child = ChildProcess.Start("AgentMessage.Server", DotnetHost(), [assembly, .. settings], Path.GetDirectoryName(assembly)!, environment);
        return new ServerProcess(child, restUrl, grpcUrl, settings);
    }

    /// <summary>Methods the server's JIT has compiled so far, from its <c>/metrics</c>; null when it has none (telemetry off).</summary>
    public async Task<long?> JitCompiledMethodsAsync(CancellationToken cancellationToken) =>
        await RuntimeAsync(cancellationToken) is { } runtime ? runtime.JitMethods : null;

    /// <summary>The server's runtime counters from its <c>/metrics</c> (the runtime's own meter);
    /// null when it has none (telemetry off).</summary>
    public async Task<RuntimeCounters?> RuntimeAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = RestUrl, Timeout = TimeSpan.FromSeconds(5) };
        using var response = await http.GetAsync("/metrics", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        double jit = -1, pause = 0, gen2 = 0, collections = 0, redisCalls = 0;
        foreach (var line in (await response.Content.ReadAsStringAsync(cancellationToken)).Split('\n'))
        {
            if (line.StartsWith('#') || line.LastIndexOf(' ') is not (var space and > 0)
                || !double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            if (line.StartsWith("dotnet_jit_compiled_methods_total", StringComparison.Ordinal))
            {
                jit = value;
            }
            else if (line.StartsWith("dotnet_gc_pause_time_seconds_total", StringComparison.Ordinal))
            {
                pause = value;
            }
            else if (line.StartsWith("dotnet_gc_collections_total", StringComparison.Ordinal))
            {
                collections += value;
                gen2 += line.Contains("\"gen2\"", StringComparison.Ordinal) ? value : 0;
            }
            else if (line.StartsWith("agentmessage_redis_duration_seconds_count", StringComparison.Ordinal))
            {
                redisCalls += value;
            }
        }

        return jit < 0 ? null : new RuntimeCounters((long)jit, TimeSpan.FromSeconds(pause), (long)collections, (long)gen2, (long)redisCalls);
    }

    /// <summary>Polls /readyz until it answers success (at most 60 s).</summary>
    public async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = RestUrl, Timeout = TimeSpan.FromSeconds(2) };
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the server exited before it was ready:\n{process.Tail}");
            }

            try
            {
                using var response = await http.GetAsync("/readyz", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"the server was not ready within 60 s:\n{process.Tail}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();

    /// <summary>The dotnet host this tool runs on (so the server runs on the same runtime).</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        // .../shared/Microsoft.NETCore.App/10.0.x/ -> ... /dotnet
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var candidate = Path.Combine(root, "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}

/// <summary>Cumulative counters of the server's runtime: methods compiled, time paused for
/// garbage collection, collections of any generation and of gen2; and the Redis calls (commands,
/// scripts or pipelines: round trips) the server waited for.</summary>
public sealed record RuntimeCounters(long JitMethods, TimeSpan GcPause, long Collections, long Gen2Collections, long RedisCalls = 0)
{
    public RuntimeCounters Since(RuntimeCounters earlier) =>
        new(JitMethods - earlier.JitMethods, GcPause - earlier.GcPause, Collections - earlier.Collections, Gen2Collections - earlier.Gen2Collections, RedisCalls - earlier.RedisCalls);
}

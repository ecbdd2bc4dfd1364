using System.Net;
using System.Net.Sockets;
using AgentMessage.Server.Hosting;
using Microsoft.AspNetCore.Builder;

namespace AgentMessage.Client.Tests.Support;

/// <summary>
/// A real AgentMessage server started in-process exactly as Program.cs starts it, on free loopback
/// ports (or on a given gRPC port, to stand for the same server coming back after a restart). The
/// development organization is seeded with <see cref="DevKey"/>.
/// </summary>
public sealed class LiveServer : IAsyncDisposable
{
    public const string DevKey = "am_live_ClientTestDevelopmentKey00000001";
    public const string Sender = DevSeed.SenderNumber;
    public const string Recipient = DevSeed.ConsentingRecipient;

    private readonly WebApplication app;
    private Task? stopping;

    private LiveServer(WebApplication app, Uri grpcUrl)
    {
        this.app = app;
        GrpcUrl = grpcUrl;
    }

    /// <summary>The cleartext HTTP/2 gRPC listener.</summary>
    public Uri GrpcUrl { get; }

    /// <summary>Starts a server; <paramref name="redis"/> null: the embedded in-memory default.</summary>
    public static async Task<LiveServer> StartAsync(RedisServer? redis = null, IDictionary<string, string>? settings = null, int? grpcPort = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var grpcUrl = new Uri($"http://127.0.0.1:{grpcPort ?? FreePort()}");
            var configuration = new Dictionary<string, string>
            {
                ["Kestrel:Endpoints:Rest:Url"] = $"http://127.0.0.1:{FreePort()}",
                ["Kestrel:Endpoints:Grpc:Url"] = grpcUrl.ToString(),
                ["AgentMessage:Dev:ApiKey"] = DevKey,
                ["Logging:LogLevel:Default"] = "Warning",

                // Messages stay queued: their only events are the ones the tests cause.
                ["AgentMessage:Delivery:Workers"] = "0",
            };
            if (redis is not null)
            {
                configuration["AgentMessage:Redis:Configuration"] = redis.Configuration;
                configuration["AgentMessage:Dev:Seed"] = "true";
            }

            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                configuration[key] = value;
            }

            var app = AgentMessageApp.Build([.. configuration.Select(pair => $"--{pair.Key}={pair.Value}")]);
            try
            {
                await app.StartAsync(TestContext.Current.CancellationToken);
                return new LiveServer(app, grpcUrl);
            }
            catch (IOException exception) when (attempt < 10 && exception.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                // A free port taken by a parallel test, or the port of a server just stopped not yet released.
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>Stops the server as SIGTERM does: open streams end with UNAVAILABLE.</summary>
    public Task StopAsync()
    {
        stopping ??= app.StopAsync(TestContext.Current.CancellationToken);
        return stopping;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await app.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One embedded server shared by the tests of a class.</summary>
public sealed class EmbeddedServerFixture : IAsyncLifetime
{
    public LiveServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await LiveServer.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>One redis-server shared by the tests of a class; each test starts its own servers on it.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private RedisServer? server;

    public RedisServer Server => server ?? throw new InvalidOperationException("RedisFixture is not initialized.");

    public async ValueTask InitializeAsync() => server = await RedisServer.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

using System.Net;
using System.Net.Sockets;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Organizations;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Organization = AgentMessage.Core.Organizations.Organization;

namespace AgentMessage.Server.Tests.Support;

/// <summary>
/// A real server on two free loopback ports, started in-process exactly as Program.cs starts it:
/// REST over HTTP/1.1 on one, cleartext HTTP/2 gRPC on the other.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string DevKey = "am_live_TestDevelopmentKey0000000000001";

    private readonly WebApplication app;
    private Task? stopping;

    private TestServer(WebApplication app, Uri restUrl, Uri grpcUrl)
    {
        this.app = app;
        RestUrl = restUrl;
        GrpcUrl = grpcUrl;
        Rest = new HttpClient { BaseAddress = restUrl };
        Channel = GrpcChannel.ForAddress(grpcUrl);
        Messaging = new MessagingService.MessagingServiceClient(Channel);
    }

    public Uri RestUrl { get; }

    public Uri GrpcUrl { get; }

    /// <summary>Talks to the REST listener; add the Authorization header per request.</summary>
    public HttpClient Rest { get; }

    public GrpcChannel Channel { get; }

    public MessagingService.MessagingServiceClient Messaging { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<TestServer> StartAsync(IDictionary<string, string>? settings = null, Action<IServiceCollection>? overrideServices = null)
    {
        // A port found free can be taken by a parallel test before Kestrel binds it: try fresh ones.
        for (var attempt = 1; ; attempt++)
        {
            var restUrl = new Uri($"http://127.0.0.1:{FreePort()}");
            var grpcUrl = new Uri($"http://127.0.0.1:{FreePort()}");
            var configuration = new Dictionary<string, string>
            {
                ["Kestrel:Endpoints:Rest:Url"] = restUrl.ToString(),
                ["Kestrel:Endpoints:Grpc:Url"] = grpcUrl.ToString(),
                ["AgentMessage:Dev:ApiKey"] = DevKey,
                ["Logging:LogLevel:Default"] = "Warning",

                // Messages stay as sent unless a test runs the delivery pipeline (it sets Workers).
                ["AgentMessage:Delivery:Workers"] = "0",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                configuration[key] = value;
            }

            var app = AgentMessageApp.Build([.. configuration.Select(pair => $"--{pair.Key}={pair.Value}")], overrideServices);
            try
            {
                await app.StartAsync(TestContext.Current.CancellationToken);
                return new TestServer(app, restUrl, grpcUrl);
            }
            catch (IOException exception) when (attempt < 5 && exception.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>Bearer metadata for a gRPC call.</summary>
    public static Metadata Bearer(string key) => new() { { "authorization", $"Bearer {key}" } };

    /// <summary>Creates another organization with a key of the given scopes; returns the key.</summary>
    public async Task<string> AddOrganizationAsync(string organizationId, IEnumerable<string> scopes, string? ownedNumber = null, string? consentingRecipient = null)
    {
        var ct = TestContext.Current.CancellationToken;
        await Services.GetRequiredService<IOrganizationStore>().PutAsync(new Organization(organizationId, organizationId), ct);
        if (ownedNumber is not null)
        {
            Assert.True(await Services.GetRequiredService<INumberRegistry>().AddAsync(organizationId, ownedNumber, ct), $"{ownedNumber} belongs to another organization");
        }

        if (consentingRecipient is not null)
        {
            await Services.GetRequiredService<IConsentRegistry>().RecordAsync(organizationId, new ConsentRecord(consentingRecipient, "test", DateTimeOffset.UtcNow), ct);
        }

        return await AddKeyAsync(organizationId, scopes);
    }

    /// <summary>A new key for an existing organization (the development one by default).</summary>
    public async Task<string> AddKeyAsync(string organizationId = DevSeed.OrganizationId, IEnumerable<string>? scopes = null, bool revoked = false)
    {
        var key = ApiKeyFormat.Generate();
        var now = DateTimeOffset.UtcNow;
        await Services.GetRequiredService<IApiKeyStore>().PutAsync(
            new ApiKeyRecord($"key_{Guid.NewGuid():N}", organizationId, ApiKeyFormat.Hash(key), ApiKeyFormat.DisplayPrefix(key), [.. (scopes ?? Scopes.All).Distinct()], now, revoked ? now : null),
            TestContext.Current.CancellationToken);
        return key;
    }

    /// <summary>Stops the server as SIGTERM does (the host stopping); <paramref name="cancellationToken"/>
    /// stands for the host's shutdown timeout. Dispose afterwards as usual.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        stopping ??= app.StopAsync(cancellationToken);
        return stopping;
    }

    public async ValueTask DisposeAsync()
    {
        Rest.Dispose();
        Channel.Dispose();
        await (stopping ?? app.StopAsync(CancellationToken.None));
        await app.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One development-default server shared by the tests of a class.</summary>
public sealed class SharedServer : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await TestServer.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>A development-default server shared by the tests of a class, with every log line it
/// writes kept (the request log at Information, everything else from Warning up).</summary>
public sealed class LoggedServer : IAsyncLifetime
{
    public CapturingLoggerProvider Logs { get; } = new();

    public TestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await TestServer.StartAsync(
        new Dictionary<string, string> { ["Logging:LogLevel:AgentMessage"] = "Information" },
        services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(Logs));

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

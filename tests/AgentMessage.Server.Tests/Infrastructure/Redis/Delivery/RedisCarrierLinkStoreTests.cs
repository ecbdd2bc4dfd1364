using System.Net;
using System.Net.Sockets;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Infrastructure.Redis;
using AgentMessage.Server.Tests.Infrastructure.Contracts;

namespace AgentMessage.Server.Tests.Infrastructure.Redis.Delivery;

/// <summary>What the carrier link store costs Redis per call, what it makes of values it did not
/// write, and what it answers while Redis is down (the behaviour both stores share is in
/// <see cref="CarrierLinkStoreContract"/>).</summary>
public sealed class RedisCarrierLinkStoreTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Keep = TimeSpan.FromHours(1);

    private static readonly HashSet<string> DataCommands =
        ["set", "setex", "psetex", "get", "eval", "evalsha", "script|load", "hset", "hsetnx", "hget", "hgetall", "hmget", "hlen", "pexpire", "exists", "del"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SinglePartAcceptance_IsOneSet_AndFindingIsOneGet()
    {
        await using var stores = await StoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        const int calls = 50;

        await redis.Server.ResetStatsAsync();
        for (var i = 0; i < calls; i++)
        {
            await store.RecordAcceptedAsync($"id-{i}", new CarrierPart($"org/m{i}", 1, 1), Keep, Ct);
        }

        var recorded = await redis.Server.CommandStatsAsync();
        await redis.Server.ResetStatsAsync();
        for (var i = 0; i < calls; i++)
        {
            Assert.NotNull(await store.FindAsync($"id-{i}", Ct));
        }

        var found = await redis.Server.CommandStatsAsync();
        output.WriteLine("record: " + Describe(recorded));
        output.WriteLine("find:   " + Describe(found));

        // A SET with an expiry of whole seconds goes out as SETEX (PSETEX for one with milliseconds).
        Assert.Equal(new Dictionary<string, long> { ["setex"] = calls }, Counted(recorded));
        Assert.Equal(new Dictionary<string, long> { ["get"] = calls }, Counted(found));
    }

    [Fact]
    public async Task MultipartAcceptance_IsASetAndOneScript()
    {
        await using var stores = await StoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        const int calls = 50;

        // Warm up: the first use of a script loads it into Redis.
        await store.RecordAcceptedAsync("warm", new CarrierPart("org/warm", 1, 2), Keep, Ct);
        await redis.Server.ResetStatsAsync();
        for (var i = 0; i < calls; i++)
        {
            await store.RecordAcceptedAsync($"id-{i}", new CarrierPart("org/long", (i % 3) + 1, 3), Keep, Ct);
        }

        var recorded = await redis.Server.CommandStatsAsync();
        output.WriteLine("record: " + Describe(recorded));

        Assert.Equal(
            new Dictionary<string, long> { ["setex"] = calls, ["evalsha"] = calls, ["hset"] = calls, ["pexpire"] = calls },
            Counted(recorded));
    }

    [Fact]
    public async Task AnIdEntryThatDoesNotRead_IsNotFound()
    {
        await using var stores = await StoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        string[] unreadable = ["org/m1", "org/m1\n1", "org/m1\nx\n2", "org/m1\n3\n2", "org/m1\n0\n2", "\n1\n1", "org/m1\n-1\n2", ""];

        for (var i = 0; i < unreadable.Length; i++)
        {
            await redis.Server.Database.StringSetAsync(RedisKeys.CarrierId($"bad-{i}"), unreadable[i]);
        }

        for (var i = 0; i < unreadable.Length; i++)
        {
            Assert.Null(await store.FindAsync($"bad-{i}", Ct));
        }
    }

    [Fact]
    public async Task AStoreThatIsDown_ThrowsStoreUnavailable()
    {
        await using var stores = StoreHarness.Redis($"127.0.0.1:{ClosedPort()}");
        var store = stores.Get<ICarrierLinkStore>();
        var part = new CarrierPart("org/m1", 1, 2);

        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.RecordAcceptedAsync("id", part with { Parts = 1, Part = 1 }, Keep, Ct));
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.RecordAcceptedAsync("id", part, Keep, Ct));
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.FindAsync("id", Ct));
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.BeginMultipartAsync("org/m1", 1, Keep, Ct));
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.RecordPartStatusAsync(part, CarrierReceiptStatus.Delivered, Keep, Ct));
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.AddInboundPartAsync("key", 1, 2, "x", Keep, Ct));
    }

    private async Task<StoreHarness> StoresAsync()
    {
        await redis.Server.FlushAsync();
        return StoreHarness.Redis(redis.Server.Configuration);
    }

    /// <summary>The data commands counted (what the store sends, and what its scripts run), without
    /// the connection's own traffic (heartbeats, INFO, the statistics reset).</summary>
    private static Dictionary<string, long> Counted(IReadOnlyDictionary<string, long> stats) =>
        stats.Where(c => DataCommands.Contains(c.Key)).ToDictionary(c => c.Key, c => c.Value);

    private static string Describe(IReadOnlyDictionary<string, long> stats) =>
        string.Join(", ", Counted(stats).Select(c => $"{c.Key}={c.Value}"));

    /// <summary>A loopback port nothing listens on (taken, then given back).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

using System.Net;
using System.Net.Sockets;

namespace AgentMessage.Server.Tests.Support;

/// <summary>The redis-server fixture itself: a real process that answers, persists across a restart and counts commands.</summary>
public sealed class RedisServerTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private RedisServer Server => fixture.Server;

    [Fact]
    public async Task CommandAsync_AnswersPingSetGetAndDbSize()
    {
        await Server.FlushAsync();

        Assert.Equal("PONG", await Server.CommandAsync("PING"));
        Assert.Equal("OK", await Server.CommandAsync("SET", "greeting", "héllo wörld"));
        Assert.Equal("héllo wörld", await Server.CommandAsync("GET", "greeting"));
        Assert.Equal(string.Empty, await Server.CommandAsync("GET", "missing"));
        Assert.Equal("1", await Server.CommandAsync("DBSIZE"));
        Assert.Equal("3", await Server.CommandAsync("RPUSH", "list", "a", "b", "c"));
        Assert.Equal("a\nb\nc", await Server.CommandAsync("LRANGE", "list", "0", "-1"));

        await Server.FlushAsync();
        Assert.Equal("0", await Server.CommandAsync("DBSIZE"));
    }

    [Fact]
    public async Task CommandAsync_ErrorReply_Throws()
    {
        var error = await Assert.ThrowsAsync<StackExchange.Redis.RedisServerException>(() => Server.CommandAsync("NOSUCHCOMMAND"));
        Assert.StartsWith("ERR", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configuration_IsLoopbackAndPort_WithAnAlwaysFsyncedAppendOnlyFile()
    {
        Assert.Equal($"127.0.0.1:{Server.Port}", Server.Configuration);
        Assert.True(Server.IsRunning);
        Assert.Equal("appendonly\nyes", await Server.CommandAsync("CONFIG", "GET", "appendonly"));
        Assert.Equal("appendfsync\nalways", await Server.CommandAsync("CONFIG", "GET", "appendfsync"));
        Assert.Equal("save\n", await Server.CommandAsync("CONFIG", "GET", "save"));
    }

    [Fact]
    public async Task CommandStatsAsync_CountsASet()
    {
        await Server.ResetStatsAsync();
        await Server.CommandAsync("SET", "counted", "1");

        var stats = await Server.CommandStatsAsync();

        Assert.Equal(1, stats["set"]);
        Assert.False(stats.ContainsKey("get"));
    }

    [Fact]
    public async Task AKey_SurvivesStopAndRestart_OnTheSamePort()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync(ct);
        var port = server.Port;
        await server.CommandAsync("SET", "durable", "still here");

        await server.StopAsync();
        Assert.False(server.IsRunning);
        await Assert.ThrowsAnyAsync<SocketException>(() => ConnectAsync(port));

        await server.RestartAsync(ct);
        Assert.Equal(port, server.Port);
        Assert.Equal("still here", await server.CommandAsync("GET", "durable"));
    }

    [Fact]
    public async Task DisposeAsync_KillsTheProcessAndDeletesTheDataDirectory()
    {
        var server = await RedisServer.StartAsync(TestContext.Current.CancellationToken);
        await server.CommandAsync("SET", "k", "v");
        Assert.True(Directory.Exists(server.DataDirectory));

        await server.DisposeAsync();

        Assert.False(server.IsRunning);
        Assert.False(Directory.Exists(server.DataDirectory));
        await Assert.ThrowsAnyAsync<SocketException>(() => ConnectAsync(server.Port));
    }

    private static async Task ConnectAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
    }
}

namespace AgentMessage.Server.Tests.Support;

/// <summary>One <see cref="RedisServer"/> shared by the tests of a class.</summary>
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

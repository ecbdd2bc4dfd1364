namespace AgentMessage.Server.Tests.Support;

/// <summary>One <see cref="SmscServer"/> shared by the tests of a class; reset it at the start of each test.</summary>
public sealed class SmscFixture : IAsyncLifetime
{
    private SmscServer? server;

    public SmscServer Server => server ?? throw new InvalidOperationException("SmscFixture is not initialized.");

    public async ValueTask InitializeAsync() => server = await SmscServer.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

namespace AgentMessage.Server.Tests.Support;

/// <summary>One <see cref="S3Server"/> shared by the tests of a class, with the bucket "agentmessage-media".</summary>
public sealed class S3Fixture : IAsyncLifetime
{
    public const string BucketName = "agentmessage-media";

    private S3Server? server;

    public S3Server Server => server ?? throw new InvalidOperationException("S3Fixture is not initialized.");

    public async ValueTask InitializeAsync() => server = await S3Server.StartAsync(BucketName, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

namespace AgentMessage.Server.Tests.Support;

/// <summary>One <see cref="WebhookReceiver"/> shared by the tests of a class; each test uses endpoint
/// names of its own.</summary>
public sealed class WebhookReceiverFixture : IAsyncLifetime
{
    private WebhookReceiver? receiver;

    public WebhookReceiver Receiver => receiver ?? throw new InvalidOperationException("WebhookReceiverFixture is not initialized.");

    public async ValueTask InitializeAsync() => receiver = await WebhookReceiver.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (receiver is not null)
        {
            await receiver.DisposeAsync();
        }
    }
}

using AgentMessage.Client.Webhooks;
using AgentMessage.V1;

namespace AgentMessage.Client.Tests.Webhooks;

/// <summary>The webhook calls against a real server, and the verifier on what that server really
/// sends: an endpoint created through the client, its test event received by the reference
/// receiver and verified by <see cref="WebhookVerifier"/> with the secret the client was given.</summary>
public sealed class ServerWebhookTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnEndpointCreatedThroughTheClient_ReceivesATestEvent_ThatTheVerifierAccepts()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        await using var server = await LiveServer.StartAsync(settings: new Dictionary<string, string>
        {
            ["AgentMessage:Webhooks:RequireHttps"] = "false",
            ["AgentMessage:Webhooks:AllowPrivateNetworks"] = "true",
        });
        using var client = new AgentMessageClient(server.GrpcUrl, LiveServer.DevKey);

        var created = (await client.CreateWebhookAsync(new CreateWebhookRequest { Url = receiver.UrlFor("client").ToString(), Events = { "message.status" } }, Ct)).Webhook;
        await receiver.ConfigureAsync("client", [created.Secret], ct: Ct);
        var test = await client.TestWebhookAsync(new TestWebhookRequest { Id = created.Id }, Ct);
        var received = Assert.Single(await receiver.WaitForAsync("client", all => all.Count >= 1, TimeSpan.FromSeconds(20), Ct));
        var verified = new WebhookVerifier(created.Secret).Verify(received.Headers, received.Body);
        var listed = await client.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest { Id = created.Id }, Ct);

        Assert.Equal(test.EventId, verified.Id);
        Assert.True(received.VerifiedByAll);
        Assert.Throws<WebhookVerificationException>(() => new WebhookVerifier(created.Secret).Verify(received.Headers, received.Body + " "));
        Assert.Contains(listed.Deliveries, d => d.EventId == test.EventId);
        Assert.False((await client.GetWebhookAsync(new GetWebhookRequest { Id = created.Id }, Ct)).Webhook.HasSecret);
    }
}

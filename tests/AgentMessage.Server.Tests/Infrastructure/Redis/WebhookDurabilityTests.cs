using static AgentMessage.Server.Tests.Support.RestRequests;
using static AgentMessage.Server.Tests.Support.WebhookSupport;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>
/// Webhook deliveries are durable on Redis (docs/API.md section 13): a delivery waiting for its
/// retry, and events no instance has fanned out yet, are delivered by an instance started after
/// the one that had them is gone.
/// </summary>
public sealed class WebhookDurabilityTests(WebhookReceiverFixture receiver, RedisFixture redis) : IClassFixture<WebhookReceiverFixture>, IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ADeliveryWaitingForItsRetry_IsDeliveredByTheNextInstance_AfterARestart()
    {
        var name = "h" + Guid.NewGuid().ToString("N")[..12];
        string eventId;
        string key;
        string id;
        await using (var first = await TestServer.StartAsync(RedisSettings(("AgentMessage:Webhooks:RetrySchedule:0", "00:00:02"))))
        {
            var org = await first.NewOrganizationAsync();
            key = org.Key;
            string secret;
            (id, secret) = await first.CreateWebhookAsync(key, receiver.Receiver.UrlFor(name), "message.received");
            await receiver.Receiver.ConfigureAsync(name, [secret], [ReceiverAnswer.Of(500)], ct: Ct);
            var (_, body) = await first.Rest.CallAsync(Json(HttpMethod.Post, $"/v1/webhooks/{id}:test", key, "{}"));
            eventId = (string)body["data"]!["event_id"]!;
            await receiver.Receiver.WaitForAsync(name, all => all.Count >= 1, Wait, Ct);
        }

        await using var second = await TestServer.StartAsync(RedisSettings(("AgentMessage:Webhooks:RetrySchedule:0", "00:00:02")));
        var received = await receiver.Receiver.WaitForAsync(name, all => all.Count >= 2, Wait, Ct);
        var attempts = await second.DeliveriesAsync(key, id);

        Assert.Equal([eventId, eventId], received.Select(r => r.WebhookId));
        Assert.Equal([500, 204], received.Select(r => r.AnsweredStatus ?? 0));
        Assert.All(received, r => Assert.True(r.VerifiedByAll));
        Assert.True(await Eventually.HoldsAsync(async () => (await second.DeliveriesAsync(key, id)).Count == 2, Wait, Ct), attempts.ToJsonString());
    }

    [Fact]
    public async Task EventsNoInstanceFannedOut_AreDeliveredByTheNextInstance()
    {
        var name = "h" + Guid.NewGuid().ToString("N")[..12];
        string messageId;
        List<string> recorded;
        await using (var first = await TestServer.StartAsync(RedisSettings(("AgentMessage:Webhooks:DeliveryEnabled", "false"))))
        {
            var org = await first.NewOrganizationAsync();
            var (_, secret) = await first.CreateWebhookAsync(org.Key, receiver.Receiver.UrlFor(name), "message.status");
            await receiver.Receiver.ConfigureAsync(name, [secret], ct: Ct);
            messageId = await first.SendTextAsync(org);
            recorded = await first.RecordedStatusesAsync(org.Key, messageId);
            Assert.Empty(await receiver.Receiver.ReceivedAsync(name, Ct));
        }

        await using var second = await TestServer.StartAsync(RedisSettings());
        var received = await receiver.Receiver.WaitForAsync(name, all => all.Count >= recorded.Count, Wait, Ct);

        Assert.Contains("delivered", recorded);
        Assert.Equal(
            recorded.Order(StringComparer.Ordinal),
            received.Select(r => r.Json.GetProperty("data").GetProperty("status").GetString()).Order(StringComparer.Ordinal));
        Assert.All(received, r => Assert.Equal(messageId, r.Json.GetProperty("data").GetProperty("id").GetString()));
        Assert.All(received, r => Assert.True(r.VerifiedByAll));
    }

    private Dictionary<string, string> RedisSettings(params (string Key, string Value)[] extra)
    {
        var settings = Settings(extra);
        settings["AgentMessage:Redis:Configuration"] = redis.Server.Configuration;
        settings["AgentMessage:Dev:Seed"] = "true";
        return settings;
    }
}

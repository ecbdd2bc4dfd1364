using AgentMessage.Core.Access;
using AgentMessage.Server.Hosting;
using static AgentMessage.Server.Tests.Support.DeliverySupport;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Infrastructure;

/// <summary>
/// One organization's backlog on a slowly paced number does not delay another organization's
/// messages, on the embedded default and on Redis alike: the other's messages are sent while the
/// backlog is still almost whole.
/// </summary>
public sealed class DispatchFairnessTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const string OtherOrganization = "org_fair";
    private const string OtherSender = "+15553330001";

    [Fact]
    public Task InMemory_AnotherOrganizationsMessages_AreSentWhileABacklogWaitsForItsPace() => BacklogDoesNotDelayAnotherAsync(Settings(
        ($"AgentMessage:Delivery:NumberPace:{DevSeed.SenderNumber}", "1")));

    [Fact]
    public async Task Redis_AnotherOrganizationsMessages_AreSentWhileABacklogWaitsForItsPace()
    {
        await redis.Server.FlushAsync();
        await BacklogDoesNotDelayAnotherAsync(Settings(
            ($"AgentMessage:Delivery:NumberPace:{DevSeed.SenderNumber}", "1"),
            ("AgentMessage:Redis:Configuration", redis.Server.Configuration),
            ("AgentMessage:Dev:Seed", "true")));
    }

    private static async Task BacklogDoesNotDelayAnotherAsync(Dictionary<string, string> settings)
    {
        await using var server = await TestServer.StartAsync(settings);
        var otherKey = await server.AddOrganizationAsync(OtherOrganization, Scopes.All, OtherSender, OrdinaryRecipient);
        var backlog = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            backlog.Add(await server.SendAsync(OrdinaryRecipient));
        }

        var others = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", otherKey,
                $$"""{"from":"{{OtherSender}}","to":"{{OrdinaryRecipient}}","text":"fair"}"""));
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
            others.Add((string)body["data"]!["id"]!);
        }

        foreach (var id in others)
        {
            await WaitUntilSentAsync(server, otherKey, id);
        }

        // At one message a second, the backlog has sent a handful at most by now.
        var stillQueued = 0;
        foreach (var id in backlog)
        {
            stillQueued += await server.StatusAsync(id) == "queued" ? 1 : 0;
        }

        Assert.True(stillQueued >= 30, $"only {stillQueued} of the backlog's 40 messages were still queued");
    }

    private static async Task WaitUntilSentAsync(TestServer server, string key, string id)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var (_, body) = await server.Rest.CallAsync(Get($"/v1/messages/{id}", key));
            var status = (string)body["data"]!["status"]!;
            if (status is "sent" or "delivered")
            {
                return;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), $"{id} is still {status}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}

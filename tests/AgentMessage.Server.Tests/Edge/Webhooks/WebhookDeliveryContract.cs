using System.Net;
using System.Text.Json;
using static AgentMessage.Server.Tests.Support.RestRequests;
using static AgentMessage.Server.Tests.Support.WebhookSupport;

namespace AgentMessage.Server.Tests.Edge.Webhooks;

/// <summary>
/// Webhook delivery as a receiver sees it (docs/API.md section 13), through a Node receiver that
/// checks every signature with the reference Standard Webhooks library: status events through
/// delivered, inbound messages, test events, retries after errors and timeouts with the same
/// webhook-id, 410 and failing endpoints disabled and re-enabled with nothing pending lost, both
/// secrets signing after a rotation, and organizations kept apart. Run on each backend.
/// </summary>
public abstract class WebhookDeliveryContract(WebhookReceiverFixture receiverFixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    protected WebhookReceiver Receiver => receiverFixture.Receiver;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<TestServer> StartServerAsync(params (string Key, string Value)[] extra);

    [Fact]
    public async Task StatusEvents_ThroughDelivered_AreSignedAndCarryTheMessageAsGetMessageShowsIt()
    {
        await using var server = await StartServerAsync();
        var org = await server.NewOrganizationAsync();
        var name = NewName();
        var (_, secret) = await server.CreateWebhookAsync(org.Key, Receiver.UrlFor(name), "message.status");
        await Receiver.ConfigureAsync(name, [secret], ct: Ct);

        var id = await server.SendTextAsync(org);
        var recorded = await server.RecordedStatusesAsync(org.Key, id);
        var received = await Receiver.WaitForAsync(name, all => all.Count >= recorded.Count, Wait, Ct);
        var (_, get) = await server.Rest.CallAsync(Get($"/v1/messages/{id}", org.Key));

        Assert.All(received, r => Assert.Equal([true], r.VerifiedBy));
        Assert.All(received, r => Assert.Equal("message.status", r.Json.GetProperty("type").GetString()));
        Assert.Equal(received.Count, received.Select(r => r.WebhookId).Distinct().Count());
        Assert.Equal(["queued", "sending", "delivered"], recorded.Where(s => s != "sent"));
        Assert.Equal(recorded, received.Select(Status).Order(StatusOrder));
        var delivered = received.Single(r => Status(r) == "delivered");
        Assert.Equal(
            JsonSerializer.Serialize(JsonDocument.Parse(get["data"]!.ToJsonString()).RootElement),
            JsonSerializer.Serialize(delivered.Json.GetProperty("data")));
        Assert.Equal(get["data"]!["updated_at"]!.GetValue<string>(), delivered.Json.GetProperty("timestamp").GetString());
    }

    [Fact]
    public async Task AnInboundMessage_IsDeliveredAsMessageReceived_ToEndpointsSubscribedToIt()
    {
        await using var server = await StartServerAsync();
        var org = await server.NewOrganizationAsync();
        var (receivedName, statusName) = (NewName(), NewName());
        var (_, secret) = await server.CreateWebhookAsync(org.Key, Receiver.UrlFor(receivedName), "message.received");
        var (_, statusSecret) = await server.CreateWebhookAsync(org.Key, Receiver.UrlFor(statusName), "message.status");
        await Receiver.ConfigureAsync(receivedName, [secret], ct: Ct);
        await Receiver.ConfigureAsync(statusName, [statusSecret], ct: Ct);

        var id = await server.ReceiveAsync(org.Recipient, org.Number, "Is 10:00 ok?");
        var received = await Receiver.WaitForAsync(receivedName, all => all.Count >= 1, Wait, Ct);
        var test = await TestEventAsync(server, org.Key, await WebhookIdAsync(server, org.Key, statusName), statusName);

        var only = Assert.Single(received);
        Assert.Equal([true], only.VerifiedBy);
        Assert.Equal("message.received", only.Json.GetProperty("type").GetString());
        var data = only.Json.GetProperty("data");
        Assert.Equal((id, "received", "inbound", "Is 10:00 ok?"), (data.GetProperty("id").GetString(), data.GetProperty("status").GetString(), data.GetProperty("direction").GetString(), data.GetProperty("text").GetString()));

        // The status endpoint saw the test event and nothing of the arrival before it.
        Assert.Equal(["webhook.test"], (await Receiver.ReceivedAsync(statusName, Ct)).Select(r => r.Json.GetProperty("type").GetString()));
        Assert.Equal(test, (await Receiver.ReceivedAsync(statusName, Ct))[0].WebhookId);
    }

    [Fact]
    public async Task ATestEvent_IsDeliveredAtOnce_AndItsAttemptIsListed()
    {
        await using var server = await StartServerAsync();
        var org = await server.NewOrganizationAsync();
        var name = NewName();
        var (id, secret) = await server.CreateWebhookAsync(org.Key, Receiver.UrlFor(name), "message.received");
        await Receiver.ConfigureAsync(name, [secret], ct: Ct);

        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, $"/v1/webhooks/{id}:test", org.Key, "{}"));
        var eventId = (string)body["data"]!["event_id"]!;
        var received = Assert.Single(await Receiver.WaitForAsync(name, all => all.Count >= 1, Wait, Ct));
        var attempts = await WaitForAttemptsAsync(server, org.Key, id, 1);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(eventId, received.WebhookId);
        Assert.Equal([true], received.VerifiedBy);
        Assert.Equal("webhook.test", received.Json.GetProperty("type").GetString());
        Assert.Equal(id, received.Json.GetProperty("data").GetProperty("webhook_id").GetString());
        var attempt = attempts[0]!;
        Assert.Equal((eventId, "webhook.test", 1, 204, "succeeded"), ((string)attempt["event_id"]!, (string)attempt["type"]!, (int)attempt["attempt"]!, (int)attempt["response_status"]!, (string)attempt["outcome"]!));
        Assert.Null(attempt["next_retry_at"]);
    }

    [Fact]
    public async Task ErrorAnswers_AreRetriedOnTheSchedule_WithTheSameWebhookId()
    {
        await using var server = await StartServerAsync();
        var org = await server.NewOrganizationAsync();
        var name = NewName();
        var (id, secret) = await server.CreateWebhookAsync(org.Key, Receiver.UrlFor(name), "message.received");
        await Receiver.ConfigureAsync(name, [secret], [new ReceiverAnswer(500), new ReceiverAnswer(503)], ct: Ct);

        var eventId = await TestEventAsync(server, org.Key, id, name: null);
        var received = await Receiver.WaitForAsync(name, all => all.Count >= 3, Wait, Ct);
        var attempts = await WaitForAttemptsAsync(server, org.Key, id, 3);

        Assert.All(received, r => Assert.Equal(eventId, r.WebhookId));
        Assert.All(received, r => Assert.Equal([true], r.VerifiedBy));
        Assert.Equal(received[0].Body, received[2].Body);
        Assert.Equal([3, 2, 1], attempts.Select(a => (int)a!["attempt"]!));
        Assert.Equal([204, 503, 500], attempts.Select(a => (int)a!["response_status"]!));
        Assert.Equal(["succeeded", "retrying", "retrying"], attempts.Select(a => (string)a!["outcome"]!));
        Assert.NotNull(attempts[1]!["next_retry_at"]);
    }

    [Fact]
    public async Task AnAnswerAfterTheTimeout_IsAFailure_AndTheEventIsRetried()
    {
        await using var server = await StartServerAsync(("AgentMessage:Webhooks:Timeout", "00:00:00.500"));
        var org = await server.NewOrganizationAsync();
        var name = NewName();
        var (id, secret) = await server.CreateWebhookAsync(org.Key, Receiver.UrlFor(name), "message.received");
        await Receiver.ConfigureAsync(name, [secret], [new ReceiverAnswer(200, DelayMs: 5000)], ct: Ct);

        await TestEventAsync(server, org.Key, id, name: null);
        var attempts = await WaitForAttemptsAsync(server, org.Key, id, 2);

        Assert.Equal((0, "timeout", "retrying"), ((int)attempts[1]!["response_status"]!, (string)attempts[1]!["error"]!, (string)attempts[1]!["outcome"]!));
        Assert.Equal("succeeded", (string)attempts[0]!["outcome"]!);
    }

    [Fact]
    public async Task A410_DisablesTheEndpoint_AndReEnablingItDeliversWhatIsPending()
    {
        await using var server = await StartServerAsync();
        var org = await server.NewOrganizationAsync();
        var name = NewName();
        var (id, secret) = await server.CreateWebhookAsync(org.Key, Receiver.UrlFor(name), "message.received");
        await Receiver.ConfigureAsync(name, [secret], [new ReceiverAnswer(410)], ct: Ct);

        var eventId = await TestEventAsync(server, org.Key, id, name: null);
        await WaitForAttemptsAsync(server, org.Key, id, 1);
        var disabled = await server.GetWebhookAsync(org.Key, id);
        var (response, enabled) = await server.PatchWebhookAsync(org.Key, id, """{"enabled": true}""");
        var received = await Receiver.WaitForAsync(name, all => all.Count >= 2, Wait, Ct);

        Assert.Equal((false, "gone"), ((bool)disabled["enabled"]!, (string)disabled["disabled_reason"]!));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((true, ""), ((bool)enabled["data"]!["enabled"]!, (string)enabled["data"]!["disabled_reason"]!));
        Assert.Equal([eventId, eventId], received.Select(r => r.WebhookId));
    }

    [Fact]
    public async Task AnEndpointFailingForDisableAfter_IsDisabled_AndReEnablingItDeliversWhatIsPending()
    {
        await using var server = await StartServerAsync(("AgentMessage:Webhooks:DisableAfter", "00:00:00.300"));
        var org = await server.NewOrganizationAsync();
        var name = NewName();
        var (id, secret) = await server.CreateWebhookAsync(org.Key, Receiver.UrlFor(name), "message.received");
        await Receiver.ConfigureAsync(name, [secret], defaultAnswer: new ReceiverAnswer(500), ct: Ct);

        var eventId = await TestEventAsync(server, org.Key, id, name: null);
        Assert.True(await Eventually.HoldsAsync(async () => (string?)(await server.GetWebhookAsync(org.Key, id))["disabled_reason"] == "failing", Wait, Ct));
        var attemptsWhileFailing = (await Receiver.ReceivedAsync(name, Ct)).Count;
        await Receiver.ConfigureAsync(name, [secret], ct: Ct);
        await server.PatchWebhookAsync(org.Key, id, """{"enabled": true}""");
        var received = await Receiver.WaitForAsync(name, all => all.Any(r => r.Sequence > attemptsWhileFailing), Wait, Ct);

        Assert.InRange(attemptsWhileFailing, 2, 4);
        Assert.All(received, r => Assert.Equal(eventId, r.WebhookId));
        Assert.True((bool)(await server.GetWebhookAsync(org.Key, id))["enabled"]!);
    }

    [Fact]
    public async Task AfterARotation_BothSecretsSign_AndEachSignatureVerifies()
    {
        await using var server = await StartServerAsync();
        var org = await server.NewOrganizationAsync();
        var name = NewName();
        var (id, oldSecret) = await server.CreateWebhookAsync(org.Key, Receiver.UrlFor(name), "message.received");

        var (response, rotated) = await server.Rest.CallAsync(Json(HttpMethod.Post, $"/v1/webhooks/{id}:rotate-secret", org.Key, "{}"));
        var newSecret = (string)rotated["data"]!["secret"]!;
        await Receiver.ConfigureAsync(name, [oldSecret, newSecret], ct: Ct);
        await TestEventAsync(server, org.Key, id, name: null);
        var received = Assert.Single(await Receiver.WaitForAsync(name, all => all.Count >= 1, Wait, Ct));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("whsec_", newSecret, StringComparison.Ordinal);
        Assert.NotEqual(oldSecret, newSecret);
        var expires = DateTimeOffset.Parse((string)rotated["data"]!["previous_secret_expires_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(23), TimeSpan.FromHours(24));
        Assert.Equal([true, true], received.VerifiedBy);
        Assert.Equal(2, received.SignatureHeader!.Split(' ').Length);
    }

    [Fact]
    public async Task AnotherOrganizationsEndpoint_NeverReceivesOurEvents()
    {
        await using var server = await StartServerAsync();
        var ours = await server.NewOrganizationAsync();
        var theirs = await server.NewOrganizationAsync();
        var (ourName, theirName) = (NewName(), NewName());
        var (_, ourSecret) = await server.CreateWebhookAsync(ours.Key, Receiver.UrlFor(ourName));
        var (theirId, theirSecret) = await server.CreateWebhookAsync(theirs.Key, Receiver.UrlFor(theirName));
        await Receiver.ConfigureAsync(ourName, [ourSecret], ct: Ct);
        await Receiver.ConfigureAsync(theirName, [theirSecret], ct: Ct);

        await server.SendTextAsync(ours);
        await server.ReceiveAsync(ours.Recipient, ours.Number, "hello");
        await Receiver.WaitForAsync(ourName, all => all.Any(r => Status(r) == "delivered") && all.Any(r => Status(r) == "received"), Wait, Ct);
        var marker = await TestEventAsync(server, theirs.Key, theirId, name: null);
        var theirsReceived = await Receiver.WaitForAsync(theirName, all => all.Count >= 1, Wait, Ct);

        Assert.Equal([marker], theirsReceived.Select(r => r.WebhookId));
    }

    protected static string NewName() => "h" + Guid.NewGuid().ToString("N")[..12];

    protected static string? Status(ReceivedWebhook webhook) =>
        webhook.Json.TryGetProperty("data", out var data) && data.TryGetProperty("status", out var status) ? status.GetString() : null;

    private static readonly IComparer<string?> StatusOrder = Comparer<string?>.Create((a, b) =>
        Array.IndexOf(new[] { "queued", "sending", "sent", "delivered" }, a).CompareTo(Array.IndexOf(new[] { "queued", "sending", "sent", "delivered" }, b)));

    /// <summary>POST :test; returns the event id (and waits for it at <paramref name="name"/> when given).</summary>
    protected async Task<string> TestEventAsync(TestServer server, string key, string id, string? name)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, $"/v1/webhooks/{id}:test", key, "{}"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var eventId = (string)body["data"]!["event_id"]!;
        if (name is not null)
        {
            await Receiver.WaitForAsync(name, all => all.Any(r => r.WebhookId == eventId), Wait, Ct);
        }

        return eventId;
    }

    private static async Task<string> WebhookIdAsync(TestServer server, string key, string name)
    {
        var (_, body) = await server.Rest.CallAsync(Get("/v1/webhooks", key));
        return (string)body["data"]!["webhooks"]!.AsArray().Single(w => ((string)w!["url"]!).EndsWith("/" + name, StringComparison.Ordinal))!["id"]!;
    }

    /// <summary>The endpoint's attempt log once it holds <paramref name="count"/> attempts, newest first.</summary>
    protected static async Task<System.Text.Json.Nodes.JsonArray> WaitForAttemptsAsync(TestServer server, string key, string id, int count)
    {
        System.Text.Json.Nodes.JsonArray attempts = [];
        Assert.True(
            await Eventually.HoldsAsync(async () => (attempts = await server.DeliveriesAsync(key, id)).Count >= count, Wait, Ct),
            $"the endpoint logged {attempts.Count} attempts, not {count}: {attempts.ToJsonString()}");
        return attempts;
    }
}

/// <summary>The in-memory embedded default.</summary>
public sealed class InMemoryWebhookDeliveryTests(WebhookReceiverFixture receiver) : WebhookDeliveryContract(receiver), IClassFixture<WebhookReceiverFixture>
{
    protected override Task<TestServer> StartServerAsync(params (string Key, string Value)[] extra) => TestServer.StartAsync(Settings(extra));
}

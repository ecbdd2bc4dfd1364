using System.Text.Json.Nodes;
using AgentMessage.Core.Access;
using AgentMessage.V1;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Support;

/// <summary>Driving webhooks from outside: endpoints created over REST, organizations of their own.</summary>
public static class WebhookSupport
{
    /// <summary>Delivery settings for tests: plain http to the loopback receiver allowed, a short
    /// schedule (three retries 200 ms apart) and a 2 s timeout.</summary>
    public static Dictionary<string, string> Settings(params (string Key, string Value)[] extra)
    {
        var settings = DeliverySupport.Settings();
        settings["AgentMessage:Webhooks:RequireHttps"] = "false";
        settings["AgentMessage:Webhooks:AllowPrivateNetworks"] = "true";
        settings["AgentMessage:Webhooks:Timeout"] = "00:00:02";
        for (var i = 0; i < 3; i++)
        {
            settings[$"AgentMessage:Webhooks:RetrySchedule:{i}"] = "00:00:00.200";
        }

        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static WebhookService.WebhookServiceClient Webhooks(this TestServer server) => new(server.Channel);

    /// <summary>An organization of its own that owns a number and may text a consenting recipient.</summary>
    public sealed record TestOrganization(string Id, string Key, string Number, string Recipient);

    public static async Task<TestOrganization> NewOrganizationAsync(this TestServer server, params string[] scopes)
    {
        var id = "org_wh" + Guid.NewGuid().ToString("N")[..10];
        var number = ComplianceSupport.NewNumber();
        var recipient = ComplianceSupport.NewNumber();
        var key = await server.AddOrganizationAsync(id, scopes.Length > 0 ? scopes : Scopes.All, number, recipient);
        return new TestOrganization(id, key, number, recipient);
    }

    /// <summary>POST /v1/webhooks; returns the endpoint's id and secret.</summary>
    public static async Task<(string Id, string Secret)> CreateWebhookAsync(this TestServer server, string key, Uri url, params string[] events)
    {
        var body = new JsonObject
        {
            ["url"] = url.ToString(),
            ["events"] = new JsonArray([.. (events.Length > 0 ? events : ["message.status", "message.received"]).Select(e => (JsonNode)e)]),
        };
        var (response, answer) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/webhooks", key, body.ToJsonString()));
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, answer.ToJsonString());
        return ((string)answer["data"]!["id"]!, (string)answer["data"]!["secret"]!);
    }

    public static async Task<string> SendTextAsync(this TestServer server, TestOrganization org, string text = "webhook test")
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", org.Key,
            new JsonObject { ["from"] = org.Number, ["to"] = org.Recipient, ["text"] = text }.ToJsonString()));
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, body.ToJsonString());
        return (string)body["data"]!["id"]!;
    }

    public static Task<(HttpResponseMessage Response, JsonNode Body)> PatchWebhookAsync(this TestServer server, string key, string id, string json) =>
        server.Rest.CallAsync(Json(HttpMethod.Patch, $"/v1/webhooks/{id}", key, json));

    public static async Task<JsonNode> GetWebhookAsync(this TestServer server, string key, string id)
    {
        var (response, body) = await server.Rest.CallAsync(Get($"/v1/webhooks/{id}", key));
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        return body["data"]!;
    }

    /// <summary>The statuses the organization's event log holds for a message that has reached a
    /// terminal status, in log order. Not always all four of queued, sending, sent, delivered: a
    /// receipt recorded before the carrier's answer skips <c>sent</c> (docs/API.md section 9), so
    /// a test expecting every event of a message expects these.</summary>
    public static async Task<List<string>> RecordedStatusesAsync(this TestServer server, string key, string messageId)
    {
        using var stream = await RestStream.OpenAsync(server, $"/v1/messages/status/stream?message_ids={messageId}&after=0-0", key);
        var statuses = new List<string>();
        while (await stream.NextAsync() is { } line)
        {
            var status = (string)line["status"]!;
            statuses.Add(status);
            if (status is "delivered" or "undelivered" or "failed" or "canceled")
            {
                return statuses;
            }
        }

        throw new Xunit.Sdk.XunitException($"the status stream of {messageId} ended before a terminal status: {string.Join(", ", statuses)}");
    }

    public static async Task<JsonArray> DeliveriesAsync(this TestServer server, string key, string id)
    {
        var (response, body) = await server.Rest.CallAsync(Get($"/v1/webhooks/{id}/deliveries?page_size=100", key));
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        return body["data"]!["deliveries"]!.AsArray();
    }
}

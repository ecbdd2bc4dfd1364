using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using AgentMessage.Server.Edge.Carrier;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Grpc.Core;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Support;

/// <summary>Driving consent, lookups and the inbound ingress from outside, on either face.</summary>
public static class ComplianceSupport
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A known carrier secret (it signs inbound messages as it signs receipts).</summary>
    public static Dictionary<string, string> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string> { ["AgentMessage:Carrier:ReceiptSecret"] = DeliverySupport.ReceiptSecret };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A number no other test uses (E.164 syntax; fictional).</summary>
    public static string NewNumber() => $"+1777{Random.Shared.Next(1_000_000, 9_999_999)}";

    public static ConsentService.ConsentServiceClient Consents(this TestServer server) => new(server.Channel);

    public static LookupService.LookupServiceClient Lookups(this TestServer server) => new(server.Channel);

    public static Task<(HttpResponseMessage Response, JsonNode Body)> RecordConsentRestAsync(this TestServer server, string number, string key = TestServer.DevKey, string source = "web form") =>
        server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/consents", key, $$"""{"number":"{{number}}","source":"{{source}}"}"""));

    /// <summary>POST /v1/consents/{number}:revoke with the '+' URL-encoded, as a careful client writes it.</summary>
    public static Task<(HttpResponseMessage Response, JsonNode Body)> RevokeConsentRestAsync(this TestServer server, string number, string key = TestServer.DevKey) =>
        server.Rest.CallAsync(new HttpRequestMessage(HttpMethod.Post, $"/v1/consents/{Uri.EscapeDataString(number)}:revoke")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
        });

    /// <summary>A REST send from the development organization's number; returns the status code.</summary>
    public static async Task<(int Status, string? Code)> SendRestAsync(this TestServer server, string to, string key = TestServer.DevKey, string from = DevSeed.SenderNumber)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key, $$"""{"from":"{{from}}","to":"{{to}}","text":"compliance test"}"""));
        return ((int)response.StatusCode, (string?)body["error"]?["code"]);
    }

    /// <summary>A gRPC send; returns "OK" or the error table's code.</summary>
    public static async Task<string> SendGrpcAsync(this TestServer server, string to, string key = TestServer.DevKey, string from = DevSeed.SenderNumber)
    {
        try
        {
            await server.Messaging.SendMessageAsync(new SendMessageRequest { From = from, To = to, Text = "compliance test" }, TestServer.Bearer(key), cancellationToken: Ct);
            return "OK";
        }
        catch (RpcException exception)
        {
            return exception.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>()!.Reason;
        }
    }

    public static string InboundBody(string from, string text, string to = DevSeed.SenderNumber) =>
        new JsonObject { ["from"] = from, ["to"] = to, ["text"] = text }.ToJsonString();

    /// <summary>An inbound body with every field the endpoint reads.</summary>
    public static string InboundMessageBody(string from, string to, string text, string? carrierMessageId = null, params string[] media)
    {
        var body = new JsonObject { ["from"] = from, ["to"] = to, ["text"] = text };
        if (carrierMessageId is not null)
        {
            body["carrier_message_id"] = carrierMessageId;
        }

        if (media.Length > 0)
        {
            body["media"] = new JsonArray([.. media.Select(m => (JsonNode)m)]);
        }

        return body.ToJsonString();
    }

    /// <summary>Posts an inbound message that an organization's number receives; returns the stored message's id.</summary>
    public static async Task<string> ReceiveAsync(this TestServer server, string from, string to, string text, string? carrierMessageId = null)
    {
        var (response, body) = await server.PostInboundAsync(InboundMessageBody(from, to, text, carrierMessageId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (string?)body["data"]!["message_id"] ?? throw new InvalidOperationException($"no message was stored: {body.ToJsonString()}");
    }

    /// <summary>Posts an inbound message signed with <paramref name="secret"/> (the documented scheme, computed here).</summary>
    public static Task<(HttpResponseMessage Response, JsonNode Body)> PostInboundAsync(
        this TestServer server, string body, string secret = DeliverySupport.ReceiptSecret, string? timestamp = null)
    {
        timestamp ??= DeliverySupport.Now();
        var request = new HttpRequestMessage(HttpMethod.Post, CarrierInboundEndpoint.Route) { Content = new StringContent(body, System.Text.Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Carrier-Timestamp", timestamp);
        request.Headers.Add("X-Carrier-Signature", DeliverySupport.Sign(secret, timestamp, body));
        return server.Rest.CallAsync(request);
    }

    /// <summary>Posts an inbound keyword and asserts it changed the sender's consent.</summary>
    public static async Task InboundAppliedAsync(this TestServer server, string from, string text, string action)
    {
        var (response, body) = await server.PostInboundAsync(InboundBody(from, text));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((bool)body["data"]!["applied"]!, body.ToJsonString());
        Assert.Equal(action, (string)body["data"]!["action"]!);
    }
}

/// <summary>One development-default server with a known carrier secret, shared by a test class.</summary>
public sealed class ComplianceServer : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await TestServer.StartAsync(ComplianceSupport.Settings());

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AgentMessage.Core.Compliance;
using AgentMessage.Server.Edge.Carrier;
using AgentMessage.Server.Edge.Carrier.Simulator;
using AgentMessage.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Support;

/// <summary>Driving the delivery pipeline from outside: sends, status polling, signed receipts.</summary>
public static class DeliverySupport
{
    public const string ReceiptSecret = "test-receipt-secret-0123456789";

    public const string OrdinaryRecipient = DevSeed.ConsentingRecipient;

    /// <summary>Fast simulator and a known receipt secret.</summary>
    public static Dictionary<string, string> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["AgentMessage:Delivery:Workers"] = "2",
            ["AgentMessage:Carrier:Simulator:SubmitLatency"] = "00:00:00.010",
            ["AgentMessage:Carrier:Simulator:ReceiptLatency"] = "00:00:00.050",
            ["AgentMessage:Carrier:ReceiptSecret"] = ReceiptSecret,
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Consent for every number of the simulator's outcome table, for the development organization.</summary>
    public static async Task SeedSimulatorConsentAsync(TestServer server)
    {
        var consents = server.Services.GetRequiredService<IConsentRegistry>();
        foreach (var number in CarrierSimulator.Outcomes.Keys)
        {
            await consents.RecordAsync(DevSeed.OrganizationId, new ConsentRecord(number, "test", DateTimeOffset.UtcNow), TestContext.Current.CancellationToken);
        }
    }

    public static async Task<string> SendAsync(this TestServer server, string to, string priority = "default", string from = DevSeed.SenderNumber)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"{{from}}","to":"{{to}}","text":"delivery test","priority":"{{priority}}"}"""));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (string)body["data"]!["id"]!;
    }

    public static async Task<JsonNode> GetMessageAsync(this TestServer server, string id)
    {
        var (response, body) = await server.Rest.CallAsync(Get($"/v1/messages/{id}", TestServer.DevKey));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return body["data"]!;
    }

    public static async Task<string> StatusAsync(this TestServer server, string id) => (string)(await server.GetMessageAsync(id))["status"]!;

    /// <summary>Polls GetMessage until the message is in <paramref name="status"/>; fails after a generous bound.</summary>
    public static async Task<JsonNode> WaitForStatusAsync(this TestServer server, string id, string status, int timeoutSeconds = 10)
    {
        var started = Stopwatch.StartNew();
        while (true)
        {
            var message = await server.GetMessageAsync(id);
            if ((string)message["status"]! == status)
            {
                return message;
            }

            if (started.Elapsed > TimeSpan.FromSeconds(timeoutSeconds))
            {
                Assert.Fail($"message {id} still {(string)message["status"]!} after {timeoutSeconds} s, expected {status}");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The documented signature, computed here independently of the server's code.</summary>
    public static string Sign(string secret, string timestamp, string body) =>
        "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body)));

    /// <summary>The documented signature over raw bytes (a body that is not UTF-8 text, say).</summary>
    public static string Sign(string secret, string timestamp, byte[] body) =>
        "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), (byte[])[.. Encoding.ASCII.GetBytes(timestamp + "."), .. body]));

    /// <summary>A Unix-seconds timestamp <paramref name="secondsAgo"/> before now.</summary>
    public static string SecondsAgo(int secondsAgo) =>
        DateTimeOffset.UtcNow.AddSeconds(-secondsAgo).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Posts <paramref name="body"/>'s bytes, signed as they are, to a carrier endpoint.</summary>
    public static Task<(HttpResponseMessage Response, JsonNode Body)> PostSignedAsync(
        this TestServer server, string route, byte[] body, string? contentType = "application/json", string? timestamp = null)
    {
        timestamp ??= Now();
        var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new ByteArrayContent(body) };
        if (contentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        request.Headers.Add("X-Carrier-Timestamp", timestamp);
        request.Headers.Add("X-Carrier-Signature", Sign(ReceiptSecret, timestamp, body));
        return server.Rest.CallAsync(request);
    }

    public static string Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string ReceiptBody(string messageId, string status, string? errorCode = null, string organizationId = DevSeed.OrganizationId)
    {
        var body = new JsonObject
        {
            ["reference"] = $"{organizationId}/{messageId}",
            ["status"] = status,
            ["occurred_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (errorCode is not null)
        {
            body["error_code"] = errorCode;
        }

        return body.ToJsonString();
    }

    /// <summary>Posts a receipt signed with <paramref name="secret"/> at <paramref name="timestamp"/> (now by default).</summary>
    public static Task<(HttpResponseMessage Response, JsonNode Body)> PostReceiptAsync(
        this TestServer server, string body, string? timestamp = null, string secret = ReceiptSecret, string? signature = null)
    {
        timestamp ??= Now();
        var request = new HttpRequestMessage(HttpMethod.Post, CarrierReceiptEndpoint.Route) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Carrier-Timestamp", timestamp);
        request.Headers.Add("X-Carrier-Signature", signature ?? Sign(secret, timestamp, body));
        return server.Rest.CallAsync(request);
    }
}

/// <summary>A development-default server with a fast simulator and consent for its numbers.</summary>
public sealed class DeliveryServer : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await TestServer.StartAsync(DeliverySupport.Settings());
        await DeliverySupport.SeedSimulatorConsentAsync(Server);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

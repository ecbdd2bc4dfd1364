using System.Globalization;
using System.Text.Json.Nodes;
using AgentMessage.Server.Hosting;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Support;

/// <summary>Scheduled sends and cancels over REST, as a client writes them.</summary>
public static class ScheduleRequests
{
    /// <summary>RFC 3339 in UTC with milliseconds, the form a client typically sends.</summary>
    public static string Rfc3339(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A send body from the development number; send_at and validity only when given.</summary>
    public static string SendBody(DateTimeOffset? sendAt = null, int? validityPeriodSeconds = null, string? tag = null, string to = DevSeed.ConsentingRecipient)
    {
        var body = new JsonObject { ["from"] = DevSeed.SenderNumber, ["to"] = to, ["text"] = "scheduled test" };
        if (sendAt is { } at)
        {
            body["send_at"] = Rfc3339(at);
        }

        if (validityPeriodSeconds is { } validity)
        {
            body["validity_period_seconds"] = validity;
        }

        if (tag is not null)
        {
            body["tag"] = tag;
        }

        return body.ToJsonString();
    }

    public static Task<(HttpResponseMessage Response, JsonNode Body)> SendRawAsync(this TestServer server, string body, string key = TestServer.DevKey) =>
        server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key, body));

    /// <summary>Sends and expects 202; returns the message.</summary>
    public static async Task<JsonNode> SendAcceptedAsync(this TestServer server, string body)
    {
        var (response, answer) = await server.SendRawAsync(body);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return answer["data"]!;
    }

    /// <summary>POST /v1/messages/{id}:cancel with <c>{}</c>, or with no body at all.</summary>
    public static Task<(HttpResponseMessage Response, JsonNode Body)> CancelAsync(this TestServer server, string id, bool withBody = true, string key = TestServer.DevKey)
    {
        var path = $"/v1/messages/{id}:cancel";
        var request = withBody ? Json(HttpMethod.Post, path, key, "{}") : Get(path, key);
        request.Method = HttpMethod.Post;
        return server.Rest.CallAsync(request);
    }
}

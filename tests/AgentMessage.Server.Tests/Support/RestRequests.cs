using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentMessage.Server.Tests.Support;

/// <summary>Small helpers for driving the REST face as a client would.</summary>
public static class RestRequests
{
    public const string SpecExampleBody = """
        {
          "from": "+15551112222",
          "to": "+15554443333",
          "text": "hello from agentmessage",
          "priority": "default",
          "tag": "order-7421"
        }
        """;

    public static HttpRequestMessage Json(HttpMethod method, string path, string? key, string body, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    public static HttpRequestMessage Get(string path, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    public static async Task<(HttpResponseMessage Response, JsonNode Body)> CallAsync(this HttpClient client, HttpRequestMessage request)
    {
        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response, JsonNode.Parse(text)!);
    }

    public static string Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(",", contentValues)
        : throw new Xunit.Sdk.XunitException($"response has no {name} header");

    /// <summary>The error envelope the contract documents, with the response's own request id.</summary>
    public static JsonNode ExpectedError(HttpResponseMessage response, string code, string message, object? details = null)
    {
        var error = new JsonObject
        {
            ["code"] = code,
            ["message"] = message,
            ["request_id"] = response.Header("X-Request-Id"),
        };
        if (details is not null)
        {
            error["details"] = JsonSerializer.SerializeToNode(details);
        }

        return new JsonObject { ["success"] = false, ["error"] = error };
    }

    public static void AssertJsonEqual(JsonNode expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected.ToJsonString()}\n  actual {actual.ToJsonString()}");
}

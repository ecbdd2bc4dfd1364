using System.Net;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Rest;

/// <summary>The envelope on every path, whatever went wrong and wherever (docs/API.md sections 2 and 3).</summary>
public sealed class RestShapeTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly TestServer server = shared.Server;

    [Fact]
    public async Task MalformedJson_Returns400BadRequest()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, "{\"from\":"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "request body is not valid JSON"), body);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("")]
    public async Task NonObjectBody_Returns400BadRequest(string requestBody)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, requestBody));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("BAD_REQUEST", (string)body["error"]!["code"]!);
    }

    [Fact]
    public async Task WrongContentType_Returns400BadRequest()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody, "text/plain"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "content type must be application/json"), body);
    }

    [Fact]
    public async Task WrongJsonTypeForAField_Returns400BadRequest()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"+15554443333","text":5}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("BAD_REQUEST", (string)body["error"]!["code"]!);
    }

    [Fact]
    public async Task BodyOver64KiB_Returns413()
    {
        var text = new string('a', 64 * 1024);
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"+15551112222","to":"+15554443333","text":"{{text}}"}"""));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "PAYLOAD_TOO_LARGE", "request body must be at most 65536 bytes"), body);
    }

    [Fact]
    public async Task ChunkedBodyOver64KiB_Returns413()
    {
        var request = Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, string.Empty);
        var payload = System.Text.Encoding.UTF8.GetBytes($$"""{"text":"{{new string('a', 70_000)}}"}""");
        request.Content = new StreamContent(new MemoryStream(payload));
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("PAYLOAD_TOO_LARGE", (string)body["error"]!["code"]!);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/v2/messages")]
    [InlineData("/v1/nothing/here")]
    public async Task UnknownPath_Returns404Envelope(string path)
    {
        var (response, body) = await server.Rest.CallAsync(Get(path, TestServer.DevKey));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "NOT_FOUND", "not found"), body);
    }

    [Fact]
    public async Task Healthz_AnswersInTheEnvelope()
    {
        var (response, body) = await server.Rest.CallAsync(Get("/healthz", null));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertJsonEqual(System.Text.Json.Nodes.JsonNode.Parse("""{"success":true,"data":{"status":"ok"}}""")!, body);
    }

    [Fact]
    public async Task Readyz_WithInMemoryState_IsReady()
    {
        var (response, body) = await server.Rest.CallAsync(Get("/readyz", null));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertJsonEqual(System.Text.Json.Nodes.JsonNode.Parse("""{"success":true,"data":{"status":"ready"}}""")!, body);
    }

    [Fact]
    public async Task RestPaths_AreAlsoServedOnTheHttp2Listener()
    {
        using var http2 = new HttpClient { BaseAddress = server.GrpcUrl };
        var request = Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody);
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;

        var (response, body) = await http2.CallAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("queued", (string)body["data"]!["status"]!);
    }
}

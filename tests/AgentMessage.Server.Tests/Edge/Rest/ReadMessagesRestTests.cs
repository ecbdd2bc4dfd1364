using System.Net;
using AgentMessage.Core.Access;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Rest;

/// <summary>GET /v1/messages/{id} and GET /v1/messages, always within the caller's organization.</summary>
public sealed class ReadMessagesRestTests
{
    [Fact]
    public async Task GetMessage_AfterSend_ReturnsTheSameMessage()
    {
        await using var server = await TestServer.StartAsync();
        var (_, sent) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        var id = (string)sent["data"]!["id"]!;

        var (response, body) = await server.Rest.CallAsync(Get($"/v1/messages/{id}", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertJsonEqual(sent, body);
    }

    [Theory]
    [InlineData("0b9f7a4e-8a52-4a43-9d3e-2f1b7c7b5a10")]
    [InlineData("not-a-uuid")]
    public async Task GetMessage_Unknown_Returns404(string id)
    {
        await using var server = await TestServer.StartAsync();

        var (response, body) = await server.Rest.CallAsync(Get($"/v1/messages/{id}", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "NOT_FOUND", "message not found"), body);
    }

    [Fact]
    public async Task GetAndList_FromAnotherOrganization_SeeNothing()
    {
        await using var server = await TestServer.StartAsync();
        var (_, sent) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        var other = await server.AddOrganizationAsync("org_other", Scopes.All);

        var (get, getBody) = await server.Rest.CallAsync(Get($"/v1/messages/{(string)sent["data"]!["id"]!}", other));
        var (list, listBody) = await server.Rest.CallAsync(Get("/v1/messages", other));

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        AssertJsonEqual(ExpectedError(get, "NOT_FOUND", "message not found"), getBody);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Empty(listBody["data"]!["messages"]!.AsArray());
    }

    [Fact]
    public async Task GetMessage_WithSendOnlyKey_Returns403()
    {
        await using var server = await TestServer.StartAsync();
        var sendOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesSend]);

        var (response, body) = await server.Rest.CallAsync(Get("/v1/messages/0b9f7a4e-8a52-4a43-9d3e-2f1b7c7b5a10", sendOnly));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "FORBIDDEN", "missing required scope", new Dictionary<string, string> { ["scope"] = "messages:read" }), body);
    }

    [Fact]
    public async Task ListMessages_PagesNewestFirstWithStableTokens()
    {
        await using var server = await TestServer.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var (_, sent) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
                $$"""{"from":"+15551112222","to":"+15554443333","text":"m{{i}}","tag":"{{(i % 2 == 0 ? "even" : "odd")}}"}"""));
            ids.Add((string)sent["data"]!["id"]!);
        }

        var (first, firstBody) = await server.Rest.CallAsync(Get("/v1/messages?page_size=2", TestServer.DevKey));
        var token = (string)firstBody["data"]!["next_page_token"]!;

        // A message sent between pages must not shift the pages already handed out.
        await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        var (_, secondBody) = await server.Rest.CallAsync(Get($"/v1/messages?page_size=2&page_token={token}", TestServer.DevKey));
        var (_, thirdBody) = await server.Rest.CallAsync(Get($"/v1/messages?page_size=2&page_token={(string)secondBody["data"]!["next_page_token"]!}", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal([ids[4], ids[3]], IdsOf(firstBody));
        Assert.Equal([ids[2], ids[1]], IdsOf(secondBody));
        Assert.Equal([ids[0]], IdsOf(thirdBody));
        Assert.Equal(string.Empty, (string)thirdBody["data"]!["next_page_token"]!);
    }

    [Fact]
    public async Task ListMessages_FiltersByTagAndStatus()
    {
        await using var server = await TestServer.StartAsync();
        var ids = new List<string>();
        foreach (var tag in new[] { "alpha", "beta", "alpha" })
        {
            var (_, sent) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
                $$"""{"from":"+15551112222","to":"+15554443333","text":"hi","tag":"{{tag}}"}"""));
            ids.Add((string)sent["data"]!["id"]!);
        }

        var (_, alpha) = await server.Rest.CallAsync(Get("/v1/messages?tag=alpha", TestServer.DevKey));
        var (_, queued) = await server.Rest.CallAsync(Get("/v1/messages?status=queued", TestServer.DevKey));
        var (_, delivered) = await server.Rest.CallAsync(Get("/v1/messages?status=delivered", TestServer.DevKey));

        Assert.Equal([ids[2], ids[0]], IdsOf(alpha));
        Assert.Equal(3, IdsOf(queued).Count);
        Assert.Empty(IdsOf(delivered));
    }

    [Theory]
    [InlineData("status=sleeping", "status", "must be one of: queued, sending, sent, delivered, undelivered, failed, scheduled, canceled, received")]
    [InlineData("page_size=abc", "page_size", "must be an integer")]
    [InlineData("page_size=101", "page_size", "must be 1..100")]
    [InlineData("page_size=-1", "page_size", "must be 1..100")]
    [InlineData("page_token=garbage", "page_token", "is not a token from a previous page")]
    [InlineData("tag=a%20b", "tag", "must be 1..64 characters of A-Z a-z 0-9 . _ : -")]
    public async Task ListMessages_BadQuery_Returns422NamingTheParameter(string query, string field, string problem)
    {
        await using var server = await TestServer.StartAsync();

        var (response, body) = await server.Rest.CallAsync(Get($"/v1/messages?{query}", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { [field] = problem }), body);
    }

    [Fact]
    public async Task ListMessages_BadQueryWithoutKey_Returns401()
    {
        await using var server = await TestServer.StartAsync();

        var (response, _) = await server.Rest.CallAsync(Get("/v1/messages?status=sleeping", null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static List<string> IdsOf(System.Text.Json.Nodes.JsonNode body) =>
        body["data"]!["messages"]!.AsArray().Select(m => (string)m!["id"]!).ToList();
}

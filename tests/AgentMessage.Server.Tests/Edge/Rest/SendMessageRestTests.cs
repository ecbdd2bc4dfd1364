using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Core.Access;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Rest;

/// <summary>POST /v1/messages as spec/agentmessage-send-message.txt documents it.</summary>
public sealed class SendMessageRestTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly TestServer server = shared.Server;

    [Fact]
    public async Task SendMessage_SpecExample_Returns202WithDocumentedBody()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var data = body["data"]!.AsObject();
        var id = (string)data["id"]!;
        Assert.True(Guid.TryParseExact(id, "D", out _), id);
        Assert.Equal($"/v1/messages/{id}", response.Header("Location"));
        var createdAt = (string)data["created_at"]!;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", createdAt);
        var validUntil = (string)data["valid_until"]!;
        Assert.Equal(
            DateTimeOffset.Parse(createdAt, System.Globalization.CultureInfo.InvariantCulture).AddHours(4),
            DateTimeOffset.Parse(validUntil, System.Globalization.CultureInfo.InvariantCulture));

        var expected = new JsonObject
        {
            ["success"] = true,
            ["data"] = new JsonObject
            {
                ["id"] = id,
                ["from"] = "+15551112222",
                ["to"] = "+15554443333",
                ["text"] = "hello from agentmessage",
                ["channel"] = "sms",
                ["priority"] = "default",
                ["status"] = "queued",
                ["tag"] = "order-7421",
                ["created_at"] = createdAt,
                ["updated_at"] = createdAt,
                ["segments"] = 1,
                ["encoding"] = "gsm7",
                ["media"] = new JsonArray(),
                ["valid_until"] = validUntil,
                ["direction"] = "outbound",
            },
        };
        AssertJsonEqual(expected, body);
    }

    [Fact]
    public async Task SendMessage_Accepted_CarriesRequestIdAndRateLimitHeaders()
    {
        var (response, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));

        Assert.Matches("^[0-9A-HJKMNP-TV-Z]{26}$", response.Header("X-Request-Id"));
        Assert.Equal("100", response.Header("RateLimit-Limit"));
        Assert.InRange(int.Parse(response.Header("RateLimit-Remaining")), 0, 99);
        Assert.InRange(int.Parse(response.Header("RateLimit-Reset")), 0, 2);
    }

    [Fact]
    public async Task SendMessage_WithoutTagOrPriority_DefaultsPriorityAndOmitsTag()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"+15554443333","text":"Привет"}"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("default", (string)body["data"]!["priority"]!);
        Assert.False(body["data"]!.AsObject().ContainsKey("tag"));
        Assert.Equal("ucs2", (string)body["data"]!["encoding"]!);
    }

    [Theory]
    [InlineData("high", "high")]
    [InlineData("HIGH", "high")]
    [InlineData("PRIORITY_HIGH", "high")]
    [InlineData("default", "default")]
    public async Task SendMessage_PriorityNames_AreReadCaseInsensitivelyAndWrittenLowerCase(string sent, string expected)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":"{{sent}}"}"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(expected, (string)body["data"]!["priority"]!);
    }

    [Fact]
    public async Task SendMessage_HostedHttpsMedia_IsAcceptedAsMms()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"+15554443333","text":"","media":["https://cdn.example.com/a.png"]}"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("mms", (string)body["data"]!["channel"]!);
        Assert.Equal("https://cdn.example.com/a.png", (string)body["data"]!["media"]![0]!);
    }

    [Fact]
    public async Task SendMessage_WithoutConsent_Returns453()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"+15559990000","text":"hi"}"""));

        Assert.Equal(453, (int)response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "CONSENT_REQUIRED", "consent required"), body);
    }

    [Fact]
    public async Task SendMessage_ToRecentLandlineLookup_Returns422LineTypeBlocked()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"+15550100000","text":"hi"}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "LINE_TYPE_BLOCKED", "recipient is a landline"), body);
    }

    [Fact]
    public async Task SendMessage_InvalidTo_Returns422WithTheSpecsDetails()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"5554443333","text":"hi"}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { ["to"] = "must be E.164" }), body);
    }

    [Theory]
    [InlineData("""{"from":"+15557770000","to":"+15554443333","text":"hi"}""", "from", "is not a number your organization owns")]
    [InlineData("""{"from":"+15551112222","to":"+15551112222","text":"hi"}""", "to", "must differ from from")]
    [InlineData("""{"from":"+15551112222","to":"+0551112222","text":"hi"}""", "to", "must be E.164")]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":""}""", "text", "must be 1..1600 characters")]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","tag":"has space"}""", "tag", "must be 1..64 characters of A-Z a-z 0-9 . _ : -")]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":"urgent"}""", "priority", "must be one of: default, high")]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","media":["http://insecure.example.com/a.png"]}""", "media[0]", "must be a media_id or an https:// URL")]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","media":["0b9f7a4e-8a52-4a43-9d3e-2f1b7c7b5a10"]}""", "media[0]", "is not an uploaded media_id of your organization")]
    public async Task SendMessage_BreakingAFieldRule_Returns422NamingTheField(string requestBody, string field, string problem)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, requestBody));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { [field] = problem }), body);
    }

    [Fact]
    public async Task SendMessage_TextOf1600Emoji_IsAcceptedAnd1601IsNot()
    {
        var emoji = string.Concat(Enumerable.Repeat("😀", 1600));
        var (accepted, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"+15551112222","to":"+15554443333","text":"{{emoji}}"}"""));
        var (refused, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"+15551112222","to":"+15554443333","text":"{{emoji}}a"}"""));

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("must be 1..1600 characters", (string)body["error"]!["details"]!["text"]!);
    }

    [Fact]
    public async Task SendMessage_SeveralProblems_ReportsEveryField()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"nope","to":"12","text":"","media":["a","b","c","d","e","f","g","h","i","j","k"]}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var details = body["error"]!["details"]!.AsObject();
        Assert.Equal(["from", "media", "to"], details.Select(d => d.Key).Order());
    }

    [Fact]
    public async Task SendMessage_WithoutKey_Returns401WithBearerChallenge()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", null, SpecExampleBody));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Header("WWW-Authenticate"));
        AssertJsonEqual(ExpectedError(response, "UNAUTHORIZED", "authentication failed"), body);
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer not-a-key")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer am_live_WellFormedButUnknown000000000000")]
    public async Task SendMessage_WithBadCredential_Returns401(string authorization)
    {
        var request = Json(HttpMethod.Post, "/v1/messages", null, SpecExampleBody);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "UNAUTHORIZED", "authentication failed"), body);
    }

    [Fact]
    public async Task SendMessage_WithRevokedKey_Returns401()
    {
        var revoked = await server.AddKeyAsync(revoked: true);

        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", revoked, SpecExampleBody));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "UNAUTHORIZED", "authentication failed"), body);
    }

    [Fact]
    public async Task SendMessage_WithReadOnlyKey_Returns403NamingTheScope()
    {
        var readOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);

        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", readOnly, SpecExampleBody));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "FORBIDDEN", "missing required scope", new Dictionary<string, string> { ["scope"] = "messages:send" }), body);
    }

    [Fact]
    public async Task SendMessage_MalformedJsonWithoutKey_IsAuthenticatedFirst()
    {
        var (response, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", null, "{\"from\":"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

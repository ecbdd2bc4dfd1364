using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static AgentMessage.Server.Tests.Edge.Grpc.RpcErrors;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge;

/// <summary>
/// Bodies a careless or hostile client sends: null in or for a list, values of the wrong JSON type,
/// bytes that are not UTF-8, control characters in a text. Each gets the error table's answer naming
/// the field, never the deserializer's words, and no error-level log line.
/// </summary>
public sealed class BadInputTests(BadInputTests.Server shared) : IClassFixture<BadInputTests.Server>
{
    private const string ControlProblem = "must not contain control characters other than tab, line feed and carriage return";

    private readonly TestServer server = shared.Value;

    [Fact]
    public async Task SendMessage_MediaNull_IsTheSameAsNoMedia()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"+15554443333","text":"hi","media":null,"tag":null,"send_at":null}"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("sms", (string)body["data"]!["channel"]!);
        Assert.Empty(body["data"]!["media"]!.AsArray());
        Assert.Null(body["data"]!["tag"]);
        AssertNoErrorLogged();
    }

    [Theory]
    [InlineData("\"media\":[null]", "media[0]", "must be a string")]
    [InlineData("\"media\":[\"https://cdn.example.com/a.png\",null]", "media[1]", "must be a string")]
    [InlineData("\"media\":[7]", "media[0]", "must be a string")]
    [InlineData("\"media\":\"https://cdn.example.com/a.png\"", "media", "must be an array")]
    [InlineData("\"text\":5", "text", "must be a string")]
    [InlineData("\"text\":{\"a\":1}", "text", "must be a string")]
    [InlineData("\"priority\":[1]", "priority", "must be one of: default, high")]
    [InlineData("\"priority\":true", "priority", "must be one of: default, high")]
    [InlineData("\"validity_period_seconds\":\"60\"", "validity_period_seconds", "must be a 32-bit integer")]
    [InlineData("\"validity_period_seconds\":99999999999", "validity_period_seconds", "must be a 32-bit integer")]
    [InlineData("\"send_at\":\"yesterday\"", "send_at", "must be an RFC 3339 timestamp")]
    [InlineData("\"send_at\":1700000000", "send_at", "must be an RFC 3339 timestamp")]
    public async Task SendMessage_AValueItsFieldCannotHold_Returns400NamingTheField(string member, string field, string problem)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"+15551112222","to":"+15554443333","text":"hi",{{member}}}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", $"{field} {problem}", new Dictionary<string, string> { [field] = problem }), body);
        AssertNoErrorLogged();
    }

    [Fact]
    public async Task SendMessage_NullInAListWithoutAKey_Returns401First()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", null,
            """{"from":"+15551112222","to":"+15554443333","text":"hi","media":[null]}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("UNAUTHORIZED", (string)body["error"]!["code"]!);
    }

    [Theory]
    [InlineData("""{"scopes":null}""", HttpStatusCode.UnprocessableEntity, "VALIDATION_FAILED", "scopes")]
    [InlineData("""{"scopes":[null]}""", HttpStatusCode.BadRequest, "BAD_REQUEST", "scopes[0]")]
    [InlineData("""{"scopes":["messages:send",null]}""", HttpStatusCode.BadRequest, "BAD_REQUEST", "scopes[1]")]
    [InlineData("""{"scopes":"messages:send"}""", HttpStatusCode.BadRequest, "BAD_REQUEST", "scopes")]
    public async Task CreateApiKey_NullScopes_AreNoScopesAndANullScopeIsNamed(string requestBody, HttpStatusCode status, string code, string field)
    {
        var organization = await server.CreateOrganizationAsync("bad input " + Guid.NewGuid().ToString("N")[..6]);

        var (response, body) = await server.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{organization}/api-keys", requestBody);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (string)body["error"]!["code"]!);
        Assert.True(body["error"]!["details"]![field] is not null, body.ToJsonString());
        AssertNoFrameworkText(body);
        AssertNoErrorLogged();
    }

    [Theory]
    [InlineData("/v1/messages/media-upload", """{"mime_type":"image/png","byte_size":"big"}""", "byte_size", "must be a 64-bit integer")]
    [InlineData("/v1/messages/media-upload", """{"mime_type":["image/png"],"byte_size":10}""", "mime_type", "must be a string")]
    [InlineData("/v1/consents", """{"number":"+15554443333","source":"form","opted_in_at":{}}""", "opted_in_at", "must be an RFC 3339 timestamp")]
    [InlineData("/v1/consents", """{"number":null,"source":7}""", "source", "must be a string")]
    public async Task OtherBodies_AValueItsFieldCannotHold_Returns400NamingTheField(string path, string requestBody, string field, string problem)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, path, TestServer.DevKey, requestBody));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", $"{field} {problem}", new Dictionary<string, string> { [field] = problem }), body);
    }

    [Theory]
    [InlineData("""{"name":"n","send_rate_limit":{"burst":"ten","per_second":1}}""", "send_rate_limit.burst", "must be a 32-bit integer")]
    [InlineData("""{"name":"n","send_rate_limit":{"burst":10,"per_second":"2.5"}}""", "send_rate_limit.per_second", "must be a number")]
    [InlineData("""{"name":"n","mms_enabled":"yes"}""", "mms_enabled", "must be true or false")]
    public async Task CreateOrganization_AValueItsFieldCannotHold_Returns400NamingItsPath(string requestBody, string field, string problem)
    {
        var (response, body) = await server.AdminAsync(HttpMethod.Post, "/v1/admin/organizations", requestBody);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", $"{field} {problem}", new Dictionary<string, string> { [field] = problem }), body);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    [InlineData(new byte[] { 0xE0, 0x80, 0xAF })]
    [InlineData(new byte[] { 0xED, 0xB0, 0x80 })]
    public async Task RecordConsent_SourceThatIsNotUtf8_Returns400(byte[] invalid)
    {
        var request = Json(HttpMethod.Post, "/v1/consents", TestServer.DevKey, string.Empty);
        request.Content = new ByteArrayContent([.. "{\"number\":\"+15554443333\",\"source\":\"web"u8, .. invalid, .. "\"}"u8]);
        request.Content.Headers.ContentType = new("application/json");

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "request body is not valid UTF-8"), body);
        AssertNoErrorLogged();
    }

    [Theory]
    [InlineData("a\\u0000b")]
    [InlineData("bell\\u0007")]
    [InlineData("\\u001b[31mred")]
    [InlineData("del\\u007f")]
    [InlineData("next line\\u0085")]
    public async Task SendMessage_TextWithAControlCharacter_Returns422NamingText(string escaped)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"+15551112222","to":"+15554443333","text":"{{escaped}}"}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { ["text"] = ControlProblem }), body);
    }

    [Theory]
    [InlineData("a\0b")]
    [InlineData("\u001b[31mred")]
    [InlineData("del\u007f")]
    public async Task SendMessage_TextWithAControlCharacterOverGrpc_FailsInvalidArgumentNamingText(string text)
    {
        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.SendMessageAsync(new SendMessageRequest { From = "+15551112222", To = "+15554443333", Text = text }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));

        AssertError(exception, StatusCode.InvalidArgument, "VALIDATION_FAILED", "validation failed");
        Assert.Equal(new Dictionary<string, string> { ["text"] = ControlProblem }, Violations(exception));
    }

    [Fact]
    public async Task SendMessage_TextWithTabsAndLineBreaks_IsAcceptedOnBothFaces()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"+15554443333","text":"line 1\r\nline 2\tend"}"""));
        var sent = await server.Messaging.SendMessageAsync(
            new SendMessageRequest { From = "+15551112222", To = "+15554443333", Text = "line 1\r\nline 2\tend" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("line 1\r\nline 2\tend", (string)body["data"]!["text"]!);
        Assert.Equal("line 1\r\nline 2\tend", sent.Message.Text);
    }

    private static void AssertNoFrameworkText(JsonNode body)
    {
        var text = body.ToJsonString();
        foreach (var internals in new[] { "Google.Protobuf", "System.", "Parameter", "RepeatedField", "Exception" })
        {
            Assert.DoesNotContain(internals, text, StringComparison.Ordinal);
        }
    }

    private void AssertNoErrorLogged() => Assert.Empty(shared.Log.Errors);

    /// <summary>A development server with an operator token and its log captured.</summary>
    public sealed class Server : IAsyncLifetime
    {
        public TestServer Value { get; private set; } = null!;

        public CapturingLoggerProvider Log { get; } = new();

        public async ValueTask InitializeAsync() =>
            Value = await TestServer.StartAsync(Operator.Settings(), services => services.AddSingleton<ILoggerProvider>(Log));

        public async ValueTask DisposeAsync() => await Value.DisposeAsync();
    }
}

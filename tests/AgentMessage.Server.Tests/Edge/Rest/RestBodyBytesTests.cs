using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentMessage.Server.Edge.Rest;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Rest;

/// <summary>
/// The REST bodies byte for byte, not only as JSON: compact, in the envelope, strings escaped the
/// same way whatever their characters, enum names rewritten only where a field holds an enum.
/// </summary>
public sealed class RestBodyBytesTests(SharedServer shared) : IClassFixture<SharedServer>
{
    /// <summary>Characters that JSON writers disagree about: HTML-sensitive ones, quotes,
    /// backslashes, the control characters a text may hold, line separators, non-ASCII and a
    /// surrogate pair.</summary>
    private const string TrickyText = "<b>&'+\"\\ /\n\t\r é ж \u2028 😀 MESSAGE_STATUS_SENT PRIORITY_HIGH high";

    private readonly TestServer server = shared.Server;

    [Fact]
    public async Task SendMessage_Success_IsCompactEnvelopeWithTheSameEscapingAsEveryRestBody()
    {
        var request = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["from"] = "+15551112222",
            ["to"] = "+15554443333",
            ["text"] = TrickyText,
            ["priority"] = "HIGH",
            ["tag"] = "high",
        });

        var (response, raw) = await SendRawAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, request));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(Encoding.UTF8.GetByteCount(raw), response.Content.Headers.ContentLength);
        Assert.StartsWith("""{"success":true,"data":{"id":""", raw);
        Assert.Equal(Canonical(raw), raw);
        Assert.Contains("""
            "text":"<b>&'+\"\\ /\n\t\r é ж \u2028 \uD83D\uDE00 MESSAGE_STATUS_SENT PRIORITY_HIGH high"
            """, raw);
        Assert.Contains("\"priority\":\"high\"", raw);
        Assert.Contains("\"status\":\"queued\"", raw);
        Assert.Contains("\"channel\":\"sms\"", raw);
        Assert.Contains("\"tag\":\"high\"", raw);
        var id = (string)JsonNode.Parse(raw)!["data"]!["id"]!;
        Assert.Equal($"/v1/messages/{id}", response.Header("Location"));
    }

    [Fact]
    public async Task GetMessage_Success_KeepsFreeTextThatLooksLikeEnumNames()
    {
        var (sent, sentBody) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"+15554443333","text":"MESSAGE_STATUS_QUEUED CHANNEL_SMS"}"""));
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var id = (string)sentBody["data"]!["id"]!;

        var (response, raw) = await SendRawAsync(Get($"/v1/messages/{id}", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Canonical(raw), raw);
        Assert.Contains("\"text\":\"MESSAGE_STATUS_QUEUED CHANNEL_SMS\"", raw);
        Assert.Contains("\"status\":\"queued\"", raw);
        Assert.False(response.Headers.Contains("Location"));
    }

    [Theory]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":"hig\u0068"}""", "high")]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":"PRIORITY_\u0048IGH"}""", "high")]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":1}""", "default")]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":null}""", "default")]
    [InlineData("""{ "to" : "+15554443333" , "text" : "hi", "from" : "+15551112222", "unknown": {"priority": "x", "a": [1, {"b": "high"}]}, "priority" : "High" }""", "high")]
    public async Task SendMessage_EnumValuesInAnyForm_AreRead(string requestBody, string expected)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, requestBody));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(expected, (string)body["data"]!["priority"]!);
    }

    [Theory]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":"unspecified"}""")]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":"PRIORITY_UNSPECIFIED"}""")]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":"h\u00efgh"}""")]
    [InlineData("""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":""}""")]
    public async Task SendMessage_UnknownEnumName_Returns422NamingTheField(string requestBody)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, requestBody));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { ["priority"] = "must be one of: default, high" }), body);
    }

    [Theory]
    [InlineData("""{"from":"+15551112222"} x""")]
    [InlineData("""{"from":"+15551112222",}""")]
    [InlineData("""{"from":"+15551112222"}{}""")]
    [InlineData("""{"text":"hi" /* note */}""")]
    [InlineData("""[1,2""")]
    [InlineData(" ")]
    [InlineData("\uFEFF{\"from\":\"+15551112222\",\"to\":\"+15554443333\",\"text\":\"hi\"}")]
    public async Task SendMessage_InvalidJson_Returns400NotValidJson(string requestBody)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, requestBody));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "request body is not valid JSON"), body);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("null")]
    [InlineData("7")]
    public async Task SendMessage_ValidJsonThatIsNotAnObject_Returns400NotAnObject(string requestBody)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, requestBody));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "request body must be a JSON object"), body);
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON")]
    public async Task SendMessage_JsonContentTypeVariants_AreAccepted(string contentType)
    {
        var request = Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, """{"from":"+15551112222","to":"+15554443333","text":"hi","priority":"high"}""");
        request.Content!.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("high", (string)body["data"]!["priority"]!);
    }

    [Fact]
    public async Task SendMessage_BodyOfExactly64KiB_IsReadWhole()
    {
        const string Template = "{\"from\":\"+15551112222\",\"to\":\"+15554443333\",\"text\":\"hi\",\"priority\":\"high\",\"note\":\"\"}";
        var padding = new string('n', RestFacadeMiddleware.MaxRequestBodyBytes - Template.Length);
        var requestBody = Template.Insert(Template.Length - 2, padding);
        Assert.Equal(RestFacadeMiddleware.MaxRequestBodyBytes, Encoding.UTF8.GetByteCount(requestBody));

        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, requestBody));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("high", (string)body["data"]!["priority"]!);
    }

    [Fact]
    public async Task SendMessage_ChunkedBodyWithEnum_IsRewritten()
    {
        var request = Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, string.Empty);
        var payload = Encoding.UTF8.GetBytes("""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":"high"}""");
        request.Content = new StreamContent(new MemoryStream(payload));
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("high", (string)body["data"]!["priority"]!);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    [InlineData(new byte[] { 0xFF })]
    public async Task SendMessage_TextThatIsNotUtf8_Is400AndNothingIsStored(byte[] invalid)
    {
        var tag = "utf8-" + Guid.NewGuid().ToString("N")[..8];
        var payload = Encoding.UTF8.GetBytes($$"""{"from":"+15551112222","to":"+15554443333","text":"a?b","priority":"high","tag":"{{tag}}"}""");
        var at = Array.IndexOf(payload, (byte)'?');
        payload = [.. payload[..at], .. invalid, .. payload[(at + 1)..]];
        var request = Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, string.Empty);
        request.Content = new ByteArrayContent(payload);
        request.Content.Headers.ContentType = new("application/json");

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "request body is not valid UTF-8"), body);
        var (_, listed) = await server.Rest.CallAsync(Get($"/v1/messages?tag={tag}", TestServer.DevKey));
        Assert.Empty(listed["data"]!["messages"]!.AsArray());
    }

    [Fact]
    public async Task SendMessage_TextWithAnEscapedSurrogatePair_IsReadAsTheCharacter()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"+15554443333","text":"a\ud83d\ude00b \\ud800"}"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("a😀b \\ud800", (string)body["data"]!["text"]!);
    }

    [Fact]
    public async Task SendMessage_TextWithALoneSurrogateEscape_Is400NotValidJson()
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"+15554443333","text":"a\uD800b"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "request body is not valid JSON"), body);
    }

    /// <summary>The body as the facade has always rendered it: compact, relaxed escaping.</summary>
    private static string Canonical(string json)
    {
        using var document = JsonDocument.Parse(json);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, RestEnvelope.WriterOptions))
        {
            document.RootElement.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private async Task<(HttpResponseMessage Response, string Raw)> SendRawAsync(HttpRequestMessage request)
    {
        var response = await server.Rest.SendAsync(request, TestContext.Current.CancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        return (response, Encoding.UTF8.GetString(bytes));
    }
}

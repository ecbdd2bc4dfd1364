using System.Net;

namespace AgentMessage.Server.Tests.Edge;

/// <summary>
/// Requests Kestrel refuses while parsing the request line and headers never reach the application:
/// no middleware runs, so no envelope, request id or request log line can be added. What docs/API.md
/// section 3 says of them is pinned here: the status, an empty body, the connection closed, and
/// nothing logged as a fault.
/// </summary>
public sealed class KestrelRefusalTests(LoggedServer shared) : IClassFixture<LoggedServer>
{
    private readonly TestServer server = shared.Server;

    [Fact]
    public async Task HeadersOver32KiB_Are431WithAnEmptyBody()
    {
        var response = await RawHttp.SendAsync(server.RestUrl, $"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: {new string('a', 40 * 1024)}");

        AssertEmptyRefusal(response, 431);
    }

    [Fact]
    public async Task HeadersOver32KiB_OverHttp2_Are431WithAnEmptyBody()
    {
        using var client = new HttpClient(new ProtocolHandler(http2: true)) { BaseAddress = server.GrpcUrl };
        var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        // Each field under HTTP/2's 16 KiB limit on one field (over it, the connection is closed
        // with COMPRESSION_ERROR), together over the 32 KiB of all headers.
        for (var i = 0; i < 3; i++)
        {
            request.Headers.Add($"X-Padding-{i}", new string('a', 12 * 1024));
        }

        // The server advertises its 32 KiB limit in its SETTINGS (MAX_HEADER_LIST_SIZE), and this
        // client honours it once that frame has arrived: then it refuses to send, naming the limit.
        // Which comes first is a race, so either is the server's limit at work; a request that
        // does go out is answered 431 with an empty body.
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException refused) when (refused.Message.Contains("server limit of 32768 bytes", StringComparison.Ordinal))
        {
            Assert.Empty(shared.Logs.Errors);
            return;
        }

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Empty(shared.Logs.Errors);
    }

    [Fact]
    public async Task RequestLineOver8KiB_Is414WithAnEmptyBody()
    {
        var response = await RawHttp.SendAsync(server.RestUrl, $"GET /healthz?padding={new string('a', 9 * 1024)} HTTP/1.1\r\nHost: localhost");

        AssertEmptyRefusal(response, 414);
    }

    [Theory]
    [InlineData("GARBAGE\r\nHost: localhost", 400)]
    [InlineData("GET /healthz HTTP/1.1 extra\r\nHost: localhost", 400)]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header: x", 400)]
    [InlineData("GET /healthz HTTP/1.1", 400)]
    [InlineData("GET /healthz HTTP/9.9\r\nHost: localhost", 505)]
    public async Task MalformedRequestLineOrHeaders_AreRefusedWithAnEmptyBody(string head, int status)
    {
        var response = await RawHttp.SendAsync(server.RestUrl, head);

        AssertEmptyRefusal(response, status);
    }

    private void AssertEmptyRefusal(RawResponse response, int status)
    {
        Assert.Equal(status, response.Status);
        Assert.Equal("0", response.Header("Content-Length"));
        Assert.Equal("close", response.Header("Connection"));
        Assert.Equal(string.Empty, response.Body);
        Assert.False(response.Headers.ContainsKey("X-Request-Id"));
        Assert.Empty(shared.Logs.Errors);
    }
}

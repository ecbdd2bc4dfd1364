using System.Net;
using System.Text.Json.Nodes;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge;

/// <summary>
/// A request body whose HTTP/1.1 chunked framing is broken cannot be read at all: it is the client's
/// mistake, answered 400 BAD_REQUEST in the envelope on every endpoint that reads a body, before
/// and whatever its authentication, and never logged as a fault.
/// </summary>
public sealed class MalformedFramingTests(LoggedServer shared) : IClassFixture<LoggedServer>
{
    private readonly TestServer server = shared.Server;

    /// <summary>A chunk size that is not hexadecimal, one that overflows a 32-bit integer (which
    /// Kestrel reports differently from the first), and chunk data not followed by its CRLF.</summary>
    public static TheoryData<string> Framings => new()
    {
        "zz\r\n{}\r\n0\r\n\r\n",
        "fffffffffff\r\n{}\r\n0\r\n\r\n",
        "80000000\r\n{}\r\n0\r\n\r\n",
        "2\r\n{}XX0\r\n\r\n",
    };

    public static TheoryData<string, string, bool> EndpointsAndFramings
    {
        get
        {
            var data = new TheoryData<string, string, bool>();
            string[] paths = ["/v1/messages", "/v1/consents", "/v1/messages/media-upload", "/v1/messages/01ARZ3NDEKTSV4RRFFQ69G5FAV:cancel", "/v1/carrier/receipts", "/v1/carrier/inbound"];
            foreach (var path in paths)
            {
                foreach (var framing in Framings)
                {
                    data.Add(path, framing, true);
                    data.Add(path, framing, false);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(EndpointsAndFramings))]
    public async Task MalformedChunkedBody_IsBadRequestInTheEnvelope(string path, string framing, bool authenticated)
    {
        var response = await RawHttp.SendAsync(server.RestUrl, RawHttp.ChunkedPost(path, authenticated ? TestServer.DevKey : null), framing);

        AssertMalformed(response);
        await shared.Logs.WaitForLineAsync($"request_id={response.Header("X-Request-Id")}");
        Assert.Contains(shared.Logs.Lines, line => line.Contains($"answered 400 error=BAD_REQUEST in ", StringComparison.Ordinal) && line.Contains(response.Header("X-Request-Id"), StringComparison.Ordinal));
        Assert.Empty(shared.Logs.Errors);
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task MalformedChunkedUpload_IsBadRequest_AndTheUploadUrlStillWorks(string framing)
    {
        var (_, slot) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages/media-upload", TestServer.DevKey, """{"mime_type":"image/png","byte_size":2}"""));
        var url = new Uri((string)slot["data"]!["upload_url"]!);

        var broken = await RawHttp.SendAsync(server.RestUrl, RawHttp.ChunkedPost(url.PathAndQuery, key: null, contentType: "image/png", method: "PUT"), framing);
        using var client = new HttpClient();
        var upload = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent([0x89, 0x50]) };
        upload.Content.Headers.ContentType = new("image/png");
        var retried = await client.SendAsync(upload, TestContext.Current.CancellationToken);

        AssertMalformed(broken);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Empty(shared.Logs.Errors);
    }

    [Fact]
    public async Task WellFramedChunkedBody_IsStillRead()
    {
        var json = """{"from":"+15551112222","to":"+15554443333","text":"chunked"}""";
        var response = await RawHttp.SendAsync(
            server.RestUrl,
            RawHttp.ChunkedPost("/v1/messages", TestServer.DevKey),
            $"{json.Length - 10:x}\r\n{json[..^10]}\r\na\r\n{json[^10..]}\r\n0\r\n\r\n");

        Assert.Equal(202, response.Status);
        Assert.Equal("chunked", (string)response.Json["data"]!["text"]!);
    }

    private static void AssertMalformed(RawResponse response)
    {
        Assert.Equal(400, response.Status);
        Assert.Equal("application/json", response.Header("Content-Type"));
        var expected = new JsonObject
        {
            ["success"] = false,
            ["error"] = new JsonObject
            {
                ["code"] = "BAD_REQUEST",
                ["message"] = "request body is malformed: invalid chunked encoding, or shorter than its Content-Length",
                ["request_id"] = response.Header("X-Request-Id"),
            },
        };
        AssertJsonEqual(expected, response.Json);
    }
}

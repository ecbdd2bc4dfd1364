using System.Net;
using System.Net.Http.Headers;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Rest;

/// <summary>
/// A REST path is answered by the REST face whatever the request's content type: a gRPC one does not
/// reach JSON transcoding's own answers (raw <c>google.rpc.Status</c> JSON, 200 for a send, an empty
/// 401). On both listeners: HTTP/1.1 and the gRPC one's HTTP/2.
/// </summary>
public sealed class RestContentTypeTests(LoggedServer shared) : IClassFixture<LoggedServer>
{
    private readonly TestServer server = shared.Server;

    public static TheoryData<string, bool> GrpcContentTypes
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var type in new[] { "application/grpc+json", "application/grpc-web+json", "application/grpc", "application/grpc+proto", "application/grpc-web" })
            {
                data.Add(type, false);
                data.Add(type, true);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(GrpcContentTypes))]
    public async Task SendMessage_WithAGrpcContentType_IsBadRequestInTheEnvelope(string contentType, bool http2)
    {
        using var client = Client(http2);

        var (response, body) = await client.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody, contentType));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "content type must be application/json"), body);
        Assert.Empty(shared.Logs.Errors);
    }

    [Theory]
    [MemberData(nameof(GrpcContentTypes))]
    public async Task SendMessage_WithAGrpcContentTypeAndNoKey_IsUnauthorizedInTheEnvelope(string contentType, bool http2)
    {
        using var client = Client(http2);

        var (response, body) = await client.CallAsync(Json(HttpMethod.Post, "/v1/messages", null, SpecExampleBody, contentType));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Header("WWW-Authenticate"));
        AssertJsonEqual(ExpectedError(response, "UNAUTHORIZED", "authentication failed"), body);
    }

    [Theory]
    [MemberData(nameof(GrpcContentTypes))]
    public async Task GetMessage_WithAGrpcContentType_IsAnsweredAsRest(string contentType, bool http2)
    {
        using var client = Client(http2);
        var (_, sent) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        var id = (string)sent["data"]!["id"]!;

        var (found, message) = await client.CallAsync(WithContentType(Get($"/v1/messages/{id}", TestServer.DevKey), contentType));
        var (missing, error) = await client.CallAsync(WithContentType(Get("/v1/messages/01ARZ3NDEKTSV4RRFFQ69G5FAV", TestServer.DevKey), contentType));

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.True((bool)message["success"]!);
        Assert.Equal("queued", (string)message["data"]!["status"]!);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        AssertJsonEqual(ExpectedError(missing, "NOT_FOUND", "message not found"), error);
    }

    [Fact]
    public async Task CancelMessage_PostedBareWithAGrpcContentType_IsAnsweredAsRest()
    {
        var (_, sent) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        var id = (string)sent["data"]!["id"]!;
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/messages/{id}:cancel") { Content = new ByteArrayContent([]) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc+json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.DevKey);

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("canceled", (string)body["data"]!["status"]!);
    }

    /// <summary>A client of the REST listener (HTTP/1.1), or of the gRPC one (cleartext HTTP/2).</summary>
    private HttpClient Client(bool http2) => new(new ProtocolHandler(http2)) { BaseAddress = http2 ? server.GrpcUrl : server.RestUrl };

    private static HttpRequestMessage WithContentType(HttpRequestMessage request, string contentType)
    {
        request.Content = new ByteArrayContent([]);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return request;
    }
}

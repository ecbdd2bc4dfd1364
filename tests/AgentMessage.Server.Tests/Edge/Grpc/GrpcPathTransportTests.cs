using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>
/// A gRPC method's path called without gRPC's framing is refused in the REST envelope, never 500 and
/// never an empty body: another content type (or none) is 415 UNSUPPORTED_MEDIA_TYPE, as the gRPC
/// over HTTP/2 protocol asks; gRPC's content type over HTTP/1.1 is 400 BAD_REQUEST naming HTTP/2.
/// </summary>
public sealed class GrpcPathTransportTests(LoggedServer shared) : IClassFixture<LoggedServer>
{
    private const string SendMessagePath = "/agentmessage.v1.MessagingService/SendMessage";

    private const string WrongTypeMessage = "content type must be application/grpc on a gRPC method; REST clients call the paths under /v1";

    private readonly TestServer server = shared.Server;

    public static TheoryData<string?, bool, string> NonGrpcContentTypes
    {
        get
        {
            var data = new TheoryData<string?, bool, string>();
            foreach (var path in new[] { SendMessagePath, "/grpc.health.v1.Health/Check" })
            {
                foreach (var type in new[] { null, "application/json", "text/plain", "application/x-www-form-urlencoded", "application/grpc-web", "application/grpcx" })
                {
                    data.Add(type, false, path);
                    data.Add(type, true, path);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(NonGrpcContentTypes))]
    public async Task GrpcMethod_WithAnotherContentType_Is415InTheEnvelope(string? contentType, bool http2, string path)
    {
        using var client = Client(http2);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent("{}"u8.ToArray()) };
        request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.DevKey);

        var (response, body) = await client.CallAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "UNSUPPORTED_MEDIA_TYPE", WrongTypeMessage), body);
        Assert.False(response.Headers.Contains("grpc-status"));
        var id = response.Header("X-Request-Id");
        await shared.Logs.WaitForLineAsync($"request_id={id}");
        Assert.Contains(shared.Logs.Lines, line => line.Contains($"POST {path} answered 415 error=UNSUPPORTED_MEDIA_TYPE in ", StringComparison.Ordinal) && line.Contains(id, StringComparison.Ordinal));
        Assert.Empty(shared.Logs.Errors);
    }

    [Theory]
    [InlineData("application/grpc", SendMessagePath)]
    [InlineData("application/grpc+proto", SendMessagePath)]
    [InlineData("application/grpc", "/agentmessage.v1.MessagingService/NoSuchMethod")]
    [InlineData("application/grpc", "/no.such.Service/Method")]
    public async Task GrpcMethod_OverHttp11_IsBadRequestNamingHttp2(string contentType, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent([0, 0, 0, 0, 0]) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.DevKey);

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "gRPC needs HTTP/2: call the gRPC listener, or the REST paths under /v1 over HTTP/1.1"), body);
        Assert.Empty(shared.Logs.Errors);
    }

    [Theory]
    [InlineData("/agentmessage.v1.MessagingService/NoSuchMethod")]
    [InlineData("/no.such.Service/Method")]
    public async Task UnknownGrpcMethod_WithAnotherContentType_IsNotFoundInTheEnvelope(string path)
    {
        using var client = Client(http2: true);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent("{}"u8.ToArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var (response, body) = await client.CallAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "NOT_FOUND", "not found"), body);
    }

    [Theory]
    [InlineData("agentmessage.v1.MessagingService")]
    [InlineData("no.such.Service")]
    public async Task UnknownGrpcMethod_CalledAsGrpc_IsUnimplementedWithErrorInfo_WithOrWithoutAKey(string service)
    {
        var marshaller = Marshallers.Create<Empty>(message => message.ToByteArray(), Empty.Parser.ParseFrom);
        var method = new Method<Empty, Empty>(MethodType.Unary, service, "NoSuchMethod", marshaller, marshaller);

        foreach (var headers in new[] { null, TestServer.Bearer(TestServer.DevKey) })
        {
            var call = server.Channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(headers, cancellationToken: TestContext.Current.CancellationToken), new Empty());
            var error = await Assert.ThrowsAsync<RpcException>(async () => await call);

            Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
            var info = error.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>()!;
            Assert.Equal("UNIMPLEMENTED", info.Reason);
            var id = info.Metadata["request_id"];
            await shared.Logs.WaitForLineAsync($"request_id={id}");
            Assert.Contains(shared.Logs.Lines, line => line.Contains($"/{service}/NoSuchMethod answered 200 grpc-status=12 error=UNIMPLEMENTED in ", StringComparison.Ordinal) && line.Contains(id, StringComparison.Ordinal));
        }

        Assert.Empty(shared.Logs.Errors);
    }

    [Fact]
    public async Task GrpcMethod_CalledAsGrpc_IsStillServed()
    {
        var health = new Health.HealthClient(server.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: TestContext.Current.CancellationToken);
        var sent = await server.Messaging.SendMessageAsync(Requests.Valid(), TestServer.Bearer(TestServer.DevKey), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
        Assert.False(string.IsNullOrEmpty(sent.Message.Id));
    }

    /// <summary>A client of the REST listener (HTTP/1.1), or of the gRPC one (cleartext HTTP/2).</summary>
    private HttpClient Client(bool http2) => new(new ProtocolHandler(http2)) { BaseAddress = http2 ? server.GrpcUrl : server.RestUrl };
}

using System.IO.Compression;
using System.Net;
using AgentMessage.V1;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>
/// Request frames a gRPC library would never write, hand-built and sent with a plain HTTP/2 client
/// to every service: each is a client's mistake, answered with the error table's status and
/// ErrorInfo (docs/API.md section 3), in words that name nothing of the server's insides, and
/// logged without a stack trace.
/// </summary>
public sealed class MalformedPayloadTests(MalformedPayloadTests.Fixture fixture) : IClassFixture<MalformedPayloadTests.Fixture>
{
    private const string Framing = "request must be exactly one gRPC message";
    private const string Malformed = "request message is malformed";
    private const string TooLarge = "request must be at most 65536 bytes";
    private const string StreamFraming = "request stream must be a sequence of gRPC messages";

    /// <summary>Each malformed request: its frame(s), its grpc-encoding, and the answer it gets.</summary>
    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["invalid UTF-8 in a string field"] = new(Frame(0x0A, 0x02, 0xFF, 0xFE), null, "BAD_REQUEST", Malformed),
        ["truncated length-delimited field"] = new(Frame(0x0A, 0x10, 0x61), null, "BAD_REQUEST", Malformed),
        ["wire type 7"] = new(Frame(0x0F, 0x00), null, "BAD_REQUEST", Malformed),
        ["field number 0"] = new(Frame(0x00, 0x00), null, "BAD_REQUEST", Malformed),
        ["garbage bytes"] = new(Frame(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), null, "BAD_REQUEST", Malformed),
        ["gzip flag with bytes that are not gzip"] = new(Frame(1, "not gzip at all"u8.ToArray()), "gzip", "BAD_REQUEST", "request message could not be decompressed"),
        ["compressed flag without grpc-encoding"] = new(Frame(1, Gzip(Requests.Valid().ToByteArray())), null, "BAD_REQUEST", "a compressed request message needs a grpc-encoding other than identity"),
        ["compressed flag with identity encoding"] = new(Frame(1, Gzip(Requests.Valid().ToByteArray())), "identity", "BAD_REQUEST", "a compressed request message needs a grpc-encoding other than identity"),
        ["unknown flag"] = new(Frame(2, [0x0A, 0x01, 0x61]), null, "BAD_REQUEST", Framing),
        ["length prefix of 4 GiB"] = new([0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A, 0x01, 0x61], null, "PAYLOAD_TOO_LARGE", TooLarge),
        ["message over the receive limit"] = new(Frame(0, new byte[(1024 * 1024) + 1]), null, "PAYLOAD_TOO_LARGE", TooLarge),
        ["truncated frame"] = new([0, 0, 0, 0, 10, 0x0A, 0x01, 0x61], null, "BAD_REQUEST", Framing),
        ["truncated frame header"] = new([0, 0, 0], null, "BAD_REQUEST", Framing),
        ["no message"] = new([], null, "BAD_REQUEST", Framing),
        ["a second message"] = new([.. Frame(0x0A, 0x01, 0x61), .. Frame(0x0A, 0x01, 0x61)], null, "BAD_REQUEST", Framing),
    };

    /// <summary>A unary and the server-streaming method of every service, with the credential each needs.</summary>
    private static readonly Dictionary<string, string?> Methods = new()
    {
        ["/agentmessage.v1.MessagingService/SendMessage"] = TestServer.DevKey,
        ["/agentmessage.v1.MessagingService/StreamStatus"] = TestServer.DevKey,
        ["/agentmessage.v1.ConsentService/GetConsent"] = TestServer.DevKey,
        ["/agentmessage.v1.LookupService/LookupNumber"] = TestServer.DevKey,
        ["/agentmessage.v1.AdminService/GetOrganization"] = Operator.Token,
        ["/grpc.health.v1.Health/Check"] = null,
    };

    public static TheoryData<string, string> EveryMethodAndCase()
    {
        var data = new TheoryData<string, string>();
        foreach (var method in Methods.Keys)
        {
            foreach (var name in Cases.Keys)
            {
                data.Add(method, name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryMethodAndCase))]
    public async Task MalformedRequest_IsRefusedWithTheTablesStatusAndNoStackTrace(string method, string name)
    {
        var @case = Cases[name];

        var response = await CallAsync(fixture.Server, method, @case.Body, Methods[method], @case.Encoding);

        // Another service's message is bounded by the framework's receive limit, not the contract's.
        var message = @case.Message == TooLarge && method.StartsWith("/grpc.", StringComparison.Ordinal) ? "request must be at most 1048576 bytes" : @case.Message;
        AssertRefused(response, code: 3, message, @case.Reason);
        await AssertLoggedWithoutStackTraceAsync(response, @case.Reason);
    }

    [Theory]
    [InlineData("v1alpha", "invalid UTF-8 in a string field", 3, "BAD_REQUEST", Malformed)]
    [InlineData("v1", "garbage bytes", 3, "BAD_REQUEST", Malformed)]
    [InlineData("v1alpha", "gzip flag with bytes that are not gzip", 3, "BAD_REQUEST", StreamFraming)]
    [InlineData("v1alpha", "compressed flag without grpc-encoding", 3, "BAD_REQUEST", StreamFraming)]
    [InlineData("v1alpha", "unknown flag", 3, "BAD_REQUEST", StreamFraming)]
    [InlineData("v1alpha", "truncated frame", 3, "BAD_REQUEST", StreamFraming)]
    [InlineData("v1alpha", "length prefix of 4 GiB", 3, "PAYLOAD_TOO_LARGE", "request must be at most 1048576 bytes")]
    [InlineData("v1", "message over the receive limit", 3, "PAYLOAD_TOO_LARGE", "request must be at most 1048576 bytes")]
    public async Task MalformedStreamMessage_IsRefusedWithoutAnErrorEntry(string version, string name, int code, string reason, string message)
    {
        // Server reflection (public, duplex) reads its messages as it goes, inside the call. The
        // framework notes each read fault at Information, with the exception, under the Grpc
        // category, which the shipped configuration keeps at Warning: with that configuration,
        // nothing is written.
        var sink = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { ["Logging:LogLevel:AgentMessage"] = "Information", ["Logging:LogLevel:Grpc"] = "Warning" },
            services => services.AddSingleton<ILoggerProvider>(sink));
        var @case = Cases[name];

        var response = await CallAsync(server, $"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo", @case.Body, key: null, @case.Encoding);

        AssertRefused(response, code, message, reason);
        var id = $"request_id={response.Header("x-request-id")}";
        await sink.WaitForLineAsync(id);
        Assert.Contains($"error={reason} in", Assert.Single(sink.Lines, line => line.Contains(id, StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Empty(sink.Errors);
        Assert.DoesNotContain(sink.Lines, line => line.Contains("   at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MalformedRequest_WithoutKey_IsUnauthenticatedFirst()
    {
        // The same order as a REST body problem: the caller is authenticated before the body is judged.
        var response = await CallAsync(fixture.Server, "/agentmessage.v1.MessagingService/SendMessage", Cases["garbage bytes"].Body, key: null);

        AssertRefused(response, code: 16, "authentication failed", "UNAUTHORIZED");
        await AssertLoggedWithoutStackTraceAsync(response, "UNAUTHORIZED");
    }

    [Fact]
    public async Task UnsupportedEncoding_IsUnimplementedNamingTheSupportedOnes()
    {
        var response = await CallAsync(fixture.Server, "/agentmessage.v1.MessagingService/SendMessage", Frame(1, [0x0A, 0x01, 0x61]), TestServer.DevKey, encoding: "snappy");

        AssertRefused(response, code: 12, "request message uses an unsupported grpc-encoding", "UNIMPLEMENTED");
        Assert.Equal("identity,gzip,deflate", response.Header("grpc-accept-encoding"));
        await AssertLoggedWithoutStackTraceAsync(response, "UNIMPLEMENTED");
    }

    [Fact]
    public async Task GzipCompressedRequest_IsAccepted()
    {
        var response = await CallAsync(fixture.Server, "/agentmessage.v1.MessagingService/SendMessage", Frame(1, Gzip(Requests.Valid().ToByteArray())), TestServer.DevKey, encoding: "gzip");

        Assert.Equal("0", response.Trailers["grpc-status"]);
        var payload = response.Body.AsSpan(5).ToArray();
        Assert.Equal("hello", SendMessageResponse.Parser.ParseFrom(payload).Message.Text);
    }

    [Fact]
    public async Task CompressedRequest_InflatingPastTheLimit_IsPayloadTooLarge()
    {
        // A few kilobytes that inflate to 2 MiB: read no further than the limit.
        var request = Requests.Valid();
        request.Text = new string('a', 2 * 1024 * 1024);

        var response = await CallAsync(fixture.Server, "/agentmessage.v1.MessagingService/SendMessage", Frame(1, Gzip(request.ToByteArray())), TestServer.DevKey, encoding: "gzip");

        AssertRefused(response, code: 3, TooLarge, "PAYLOAD_TOO_LARGE");
        await AssertLoggedWithoutStackTraceAsync(response, "PAYLOAD_TOO_LARGE");
    }

    [Fact]
    public async Task MalformedJson_OnTheGrpcPort_KeepsTheRestEnvelope()
    {
        // REST paths answer on the gRPC port too; their bodies are JSON, judged by the REST facade.
        using var client = new HttpClient { BaseAddress = fixture.Server.GrpcUrl };
        var request = RestRequests.Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, "{\"from\":");
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;

        var (response, body) = await client.CallAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        RestRequests.AssertJsonEqual(RestRequests.ExpectedError(response, "BAD_REQUEST", "request body is not valid JSON"), body);
        Assert.Empty(fixture.Sink.Errors);
    }

    private static void AssertRefused(RawGrpcResponse response, int code, string message, string reason) =>
        RawGrpc.AssertRefused(response, code, message, reason);

    /// <summary>The call's one request line names its error; nothing the server wrote carries a stack trace.</summary>
    private async Task AssertLoggedWithoutStackTraceAsync(RawGrpcResponse response, string reason)
    {
        var id = $"request_id={response.Header("x-request-id")}";
        await fixture.Sink.WaitForLineAsync(id);
        Assert.Contains($"error={reason} in", Assert.Single(fixture.Sink.Lines, line => line.Contains(id, StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Empty(fixture.Sink.Errors);
        Assert.DoesNotContain(fixture.Sink.Lines, line => line.Contains("   at ", StringComparison.Ordinal));
    }

    private static byte[] Frame(params byte[] payload) => Frame(0, payload);

    private static byte[] Frame(byte flag, byte[] payload) => RawGrpc.Frame(flag, payload);

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static Task<RawGrpcResponse> CallAsync(TestServer server, string path, byte[] body, string? key, string? encoding = null) =>
        RawGrpc.CallAsync(server, path, body, key, encoding);

    private sealed record Case(byte[] Body, string? Encoding, string Reason, string Message);

    /// <summary>One server for the class, with the operator API on and gRPC's own logging kept at
    /// Debug, so a stack trace at any level would be seen.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public CapturingLoggerProvider Sink { get; } = new();

        public TestServer Server { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Server = await TestServer.StartAsync(
            Operator.Settings(new Dictionary<string, string>
            {
                ["Logging:LogLevel:AgentMessage"] = "Information",
                ["Logging:LogLevel:Grpc"] = "Debug",
            }),
            services => services.AddSingleton<ILoggerProvider>(Sink));

        public async ValueTask DisposeAsync() => await Server.DisposeAsync();
    }
}

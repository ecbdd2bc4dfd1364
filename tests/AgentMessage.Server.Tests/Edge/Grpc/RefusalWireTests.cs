using AgentMessage.Core.Messaging;
using AgentMessage.V1;
using Google.Protobuf;
using Google.Rpc;
using Microsoft.Extensions.DependencyInjection;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>
/// The native face's refusals on the wire, read with a plain HTTP/2 client rather than a gRPC one:
/// a refusal returned as a value goes out exactly as a thrown one does, trailers-only (status,
/// details and metadata in the response headers, no message, no trailers).
/// </summary>
public sealed class RefusalWireTests
{
    [Fact]
    public async Task SendMessage_RateLimited_IsTrailersOnlyWithRetryInfoAndRetryAfter()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:RateLimits:Send:Burst"] = "1",
            ["AgentMessage:RateLimits:Send:PerSecond"] = "0.01",
        });
        var accepted = await SendRawAsync(server, Requests.Valid());
        Assert.Equal("0", accepted.Trailers["grpc-status"]);
        Assert.NotEmpty(accepted.Body);

        var refused = await SendRawAsync(server, Requests.Valid());

        var status = AssertTrailersOnly(refused, code: 8, "rate limited", "RATE_LIMITED");
        var retry = status.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.InRange(retry.RetryDelay.Seconds, 99, 100);
        Assert.Equal(retry.RetryDelay.Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Header("retry-after"));
        Assert.Equal("1", refused.Header("ratelimit-limit"));
        Assert.Equal("0", refused.Header("ratelimit-remaining"));
    }

    [Fact]
    public async Task SendMessage_WithoutConsent_IsTrailersOnlyWithRateLimitState()
    {
        await using var server = await TestServer.StartAsync();
        var request = Requests.Valid();
        request.To = "+15559990000";

        var refused = await SendRawAsync(server, request);

        var status = AssertTrailersOnly(refused, code: 9, "consent required", "CONSENT_REQUIRED");
        Assert.Null(status.GetDetail<RetryInfo>());
        Assert.False(refused.Headers.ContainsKey("retry-after"));
        Assert.NotNull(refused.Header("ratelimit-remaining"));
    }

    [Fact]
    public async Task SendMessage_InvalidFields_IsTrailersOnlyWithBadRequest()
    {
        await using var server = await TestServer.StartAsync();

        var refused = await SendRawAsync(server, new SendMessageRequest { From = "+15551112222", To = "12", Text = "hi" });

        var status = AssertTrailersOnly(refused, code: 3, "validation failed", "VALIDATION_FAILED");
        var violation = Assert.Single(status.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("to", violation.Field);
    }

    [Fact]
    public async Task SendMessage_WithoutKey_IsTrailersOnlyUnauthenticated()
    {
        await using var server = await TestServer.StartAsync();

        var refused = await SendRawAsync(server, Requests.Valid(), key: null);

        AssertTrailersOnly(refused, code: 16, "authentication failed", "UNAUTHORIZED");
    }

    [Fact]
    public async Task SendMessage_ThrownFailure_HasTheSameFormAsARefusal()
    {
        // A failure that is still thrown (the store breaks): the form the refusals above match.
        await using var server = await TestServer.StartAsync(overrideServices: s => s.AddSingleton<ISendAdmission>(new ThrowingSendAdmission()));

        var failed = await SendRawAsync(server, Requests.Valid());

        AssertTrailersOnly(failed, code: 13, "internal error", "INTERNAL");
    }

    [Fact]
    public async Task CreateMediaUpload_RateLimited_IsTrailersOnlyWithRetryInfo()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:RateLimits:MediaUpload:Burst"] = "1",
            ["AgentMessage:RateLimits:MediaUpload:PerSecond"] = "0.01",
        });
        var request = new CreateMediaUploadRequest { MimeType = "image/png", ByteSize = 1024 };
        var accepted = await CallRawAsync(server, "CreateMediaUpload", request);
        Assert.Equal("0", accepted.Trailers["grpc-status"]);

        var refused = await CallRawAsync(server, "CreateMediaUpload", request);

        var status = AssertTrailersOnly(refused, code: 8, "rate limited", "RATE_LIMITED");
        Assert.Equal(status.GetDetail<RetryInfo>()!.RetryDelay.Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Header("retry-after"));
    }

    /// <summary>A refusal, trailers-only: everything in the response headers, no trailers.</summary>
    private static Google.Rpc.Status AssertTrailersOnly(RawGrpcResponse response, int code, string message, string reason)
    {
        Assert.Empty(response.Trailers);
        return RawGrpc.AssertRefused(response, code, message, reason);
    }

    private static Task<RawGrpcResponse> SendRawAsync(TestServer server, SendMessageRequest request, string? key = TestServer.DevKey) =>
        CallRawAsync(server, "SendMessage", request, key);

    private static Task<RawGrpcResponse> CallRawAsync(TestServer server, string method, IMessage request, string? key = TestServer.DevKey) =>
        RawGrpc.CallAsync(server, $"/agentmessage.v1.MessagingService/{method}", RawGrpc.Frame(0, request.ToByteArray()), key);
}

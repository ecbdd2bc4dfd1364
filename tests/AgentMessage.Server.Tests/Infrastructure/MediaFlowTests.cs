using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using AgentMessage.Core.Access;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Infrastructure;

/// <summary>
/// CreateMediaUpload and MMS sends over real HTTP, from upload slot to 202, written once and run
/// against each store: the embedded local store and S3 (see the subclasses).
/// </summary>
public abstract class MediaFlowTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Store settings for the server under test.</summary>
    protected abstract IDictionary<string, string> StoreSettings { get; }

    [Fact]
    public async Task Mms_FromUploadSlotToAcceptedSend_Returns202WithMmsChannel()
    {
        await using var server = await StartAsync();
        var bytes = Png(2048);

        var (created, slot) = await server.Rest.CallAsync(Slot("image/png", bytes.Length));
        var upload = await UploadAsync(slot, bytes);
        var (sent, message) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"+15551112222","to":"+15554443333","text":"look","media":["{{MediaId(slot)}}"]}"""));

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.True(upload.IsSuccessStatusCode, $"upload answered {upload.StatusCode}");
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        Assert.Equal("mms", (string)message["data"]!["channel"]!);
        Assert.Equal(MediaId(slot), (string)message["data"]!["media"]![0]!);
    }

    [Fact]
    public async Task CreateMediaUpload_ReturnsTheDocumentedFields()
    {
        await using var server = await StartAsync();
        var before = DateTimeOffset.UtcNow;

        var (response, body) = await server.Rest.CallAsync(Slot("image/png", 102400));

        var data = body["data"]!.AsObject();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(Guid.TryParseExact((string)data["media_id"]!, "D", out _));
        Assert.StartsWith("http", (string)data["upload_url"]!, StringComparison.Ordinal);
        Assert.Equal(1048576, (long)data["max_byte_size"]!);
        var expiresAt = DateTimeOffset.Parse((string)data["expires_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt, before.AddMinutes(29), before.AddMinutes(31));
        Assert.Equal("image/png", (string)data["upload_headers"]!["Content-Type"]!);
        Assert.Equal("102400", (string)data["upload_headers"]!["Content-Length"]!);
        Assert.Equal("20", response.Header("RateLimit-Limit"));
    }

    [Fact]
    public async Task CarrierUrl_OfAnAcceptedMms_ServesTheUploadedBytes()
    {
        await using var server = await StartAsync();
        var bytes = Png(777);
        var (_, slot) = await server.Rest.CallAsync(Slot("image/png", bytes.Length));
        await UploadAsync(slot, bytes);
        var (_, sent) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"+15551112222","to":"+15554443333","text":"","media":["{{MediaId(slot)}}","https://cdn.example.com/b.png"]}"""));

        var stored = await server.Services.GetRequiredService<IMessageStore>().GetAsync(DevSeed.OrganizationId, (string)sent["data"]!["id"]!, Ct);
        using var carrier = new HttpClient();
        var fetched = await carrier.GetAsync(stored!.CarrierMediaUrls![0], Ct);

        Assert.Equal("https://cdn.example.com/b.png", stored.CarrierMediaUrls[1]);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal(bytes, await fetched.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("image/png", fetched.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Upload_OfAnotherSize_IsRefusedAndTheMediaCannotBeSent()
    {
        await using var server = await StartAsync();
        var (_, slot) = await server.Rest.CallAsync(Slot("image/png", 100));

        var upload = await UploadAsync(slot, Png(101));
        var (sent, body) = await SendWithMediaAsync(server, MediaId(slot));

        Assert.False(upload.IsSuccessStatusCode, $"upload answered {upload.StatusCode}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, sent.StatusCode);
        Assert.Equal("has not been uploaded", (string)body["error"]!["details"]!["media[0]"]!);
    }

    [Fact]
    public async Task Upload_OfAnotherType_IsRefused()
    {
        await using var server = await StartAsync();
        var (_, slot) = await server.Rest.CallAsync(Slot("image/png", 100));

        var upload = await UploadAsync(slot, Png(100), contentType: "image/jpeg");

        Assert.False(upload.IsSuccessStatusCode, $"upload answered {upload.StatusCode}");
    }

    [Fact]
    public async Task Upload_ToATamperedUrl_IsRefused()
    {
        await using var server = await StartAsync();
        var (_, slot) = await server.Rest.CallAsync(Slot("image/png", 100));
        var (_, other) = await server.Rest.CallAsync(Slot("image/png", 100));
        var url = (string)slot["data"]!["upload_url"]!;

        // The first slot's signature on the second slot's object.
        var tampered = url.Replace(MediaId(slot), MediaId(other), StringComparison.Ordinal);
        var upload = await UploadAsync(slot, Png(100), url: tampered);

        Assert.False(upload.IsSuccessStatusCode, $"upload answered {upload.StatusCode}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await SendWithMediaAsync(server, MediaId(other))).Response.StatusCode);
    }

    [Fact]
    public async Task Upload_AfterExpiry_IsRefused()
    {
        var clock = new ShiftedTimeProvider { Offset = TimeSpan.FromMinutes(-31) };
        await using var server = await StartAsync(clock);
        var (_, slot) = await server.Rest.CallAsync(Slot("image/png", 100));
        clock.Offset = TimeSpan.Zero;

        var upload = await UploadAsync(slot, Png(100));

        Assert.False(upload.IsSuccessStatusCode, $"upload answered {upload.StatusCode}");
    }

    [Fact]
    public async Task Send_WithAnotherOrganizationsMediaId_Returns422()
    {
        await using var server = await StartAsync();
        var other = await server.AddOrganizationAsync("org_other", Scopes.All, "+15553330000", "+15554443333");
        var request = Slot("image/png", 10);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", other);
        var (_, slot) = await server.Rest.CallAsync(request);
        await UploadAsync(slot, Png(10));

        var (sent, body) = await SendWithMediaAsync(server, MediaId(slot));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, sent.StatusCode);
        AssertJsonEqual(ExpectedError(sent, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { ["media[0]"] = "is not an uploaded media_id of your organization" }), body);
    }

    [Fact]
    public async Task MmsOff_AnswersMmsDisabledOnBothRpcsAndBothFaces()
    {
        await using var server = await StartAsync(settings: new Dictionary<string, string> { ["AgentMessage:Media:MmsEnabled"] = "false" });

        var (restUpload, restUploadBody) = await server.Rest.CallAsync(Slot("image/png", 10));
        var (restSend, _) = await SendWithMediaAsync(server, "https://cdn.example.com/a.png");
        var grpcUpload = await Assert.ThrowsAsync<RpcException>(async () => await server.Messaging.CreateMediaUploadAsync(
            new CreateMediaUploadRequest { MimeType = "image/png", ByteSize = 10 }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));
        var grpcSend = await Assert.ThrowsAsync<RpcException>(async () => await server.Messaging.SendMessageAsync(
            new SendMessageRequest { From = "+15551112222", To = "+15554443333", Text = "x", Media = { "https://cdn.example.com/a.png" } }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, restUpload.StatusCode);
        AssertJsonEqual(ExpectedError(restUpload, "MMS_DISABLED", "mms subsystem disabled"), restUploadBody);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, restSend.StatusCode);
        foreach (var failure in new[] { grpcUpload, grpcSend })
        {
            Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
            Assert.Equal("MMS_DISABLED", failure.GetRpcStatus()!.GetDetail<ErrorInfo>()!.Reason);
        }
    }

    [Fact]
    public async Task CreateMediaUpload_OverGrpc_ReturnsTheSlot()
    {
        await using var server = await StartAsync();
        var bytes = Png(64);

        var response = await server.Messaging.CreateMediaUploadAsync(
            new CreateMediaUploadRequest { MimeType = "image/png", ByteSize = bytes.Length }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var upload = await UploadAsync(response.UploadUrl, response.UploadHeaders["Content-Type"], bytes);

        Assert.True(upload.IsSuccessStatusCode, $"upload answered {upload.StatusCode}");
        Assert.Equal(1048576, response.MaxByteSize);
        Assert.Equal("64", response.UploadHeaders["Content-Length"]);
    }

    [Theory]
    [InlineData("image/bmp", 10, "mime_type", "must be one of: application/pdf, audio/mpeg, audio/ogg, image/gif, image/jpeg, image/png, text/vcard, video/3gpp, video/mp4")]
    [InlineData("image/png", 0, "byte_size", "must be 1..1048576")]
    [InlineData("image/png", 1048577, "byte_size", "must be 1..1048576")]
    public async Task CreateMediaUpload_BadTypeOrSize_Returns422PerField(string mimeType, long byteSize, string field, string problem)
    {
        await using var server = await StartAsync();

        var (response, body) = await server.Rest.CallAsync(Slot(mimeType, byteSize));
        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await server.Messaging.CreateMediaUploadAsync(
            new CreateMediaUploadRequest { MimeType = mimeType, ByteSize = byteSize }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));

        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { [field] = problem }), body);
        Assert.Equal(StatusCode.InvalidArgument, grpc.StatusCode);
        Assert.Equal(problem, grpc.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations.Single(v => v.Field == field).Description);
    }

    [Fact]
    public async Task CreateMediaUpload_WithSameIdempotencyKey_ReplaysTheSameSlot()
    {
        await using var server = await StartAsync();
        var first = Slot("image/png", 10);
        first.Headers.Add("Idempotency-Key", "upload-1");
        var again = Slot("image/png", 10);
        again.Headers.Add("Idempotency-Key", "upload-1");
        var different = Slot("image/gif", 10);
        different.Headers.Add("Idempotency-Key", "upload-1");

        var (_, firstBody) = await server.Rest.CallAsync(first);
        var (replayed, againBody) = await server.Rest.CallAsync(again);
        var (reused, _) = await server.Rest.CallAsync(different);

        AssertJsonEqual(firstBody, againBody);
        Assert.Equal("true", replayed.Header("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
    }

    [Fact]
    public async Task CreateMediaUpload_BeyondTheMediaBucket_Returns429()
    {
        await using var server = await StartAsync(settings: new Dictionary<string, string>
        {
            ["AgentMessage:RateLimits:MediaUpload:Burst"] = "1",
            ["AgentMessage:RateLimits:MediaUpload:PerSecond"] = "0.01",
        });

        var (first, _) = await server.Rest.CallAsync(Slot("image/png", 10));
        var (second, body) = await server.Rest.CallAsync(Slot("image/png", 10));
        var (send, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("RATE_LIMITED", (string)body["error"]!["code"]!);
        Assert.InRange(int.Parse(second.Header("Retry-After")), 99, 100);
        Assert.Equal(HttpStatusCode.Accepted, send.StatusCode);
    }

    [Fact]
    public async Task CreateMediaUpload_WithReadOnlyKey_Returns403()
    {
        await using var server = await StartAsync();
        var readOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);
        var request = Slot("image/png", 10);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", readOnly);

        var (response, _) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    protected async Task<TestServer> StartAsync(ShiftedTimeProvider? clock = null, IDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(StoreSettings);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        return await TestServer.StartAsync(all, clock is null ? null : services => services.AddSingleton<TimeProvider>(clock));
    }

    protected static HttpRequestMessage Slot(string mimeType, long byteSize) =>
        Json(HttpMethod.Post, "/v1/messages/media-upload", TestServer.DevKey, $$"""{"mime_type":"{{mimeType}}","byte_size":{{byteSize}}}""");

    protected static string MediaId(JsonNode slot) => (string)slot["data"]!["media_id"]!;

    /// <summary>PUTs the file as a client would: the URL and upload_headers of the slot, nothing else.</summary>
    protected static Task<HttpResponseMessage> UploadAsync(JsonNode slot, byte[] bytes, string? contentType = null, string? url = null) =>
        UploadAsync(url ?? (string)slot["data"]!["upload_url"]!, contentType ?? (string)slot["data"]!["upload_headers"]!["Content-Type"]!, bytes,
            slot["data"]!["upload_headers"]!.AsObject().Where(h => h.Key is not "Content-Type" and not "Content-Length").Select(h => (h.Key, (string)h.Value!)));

    protected static async Task<HttpResponseMessage> UploadAsync(string url, string contentType, byte[] bytes, IEnumerable<(string Name, string Value)>? headers = null)
    {
        using var client = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await client.SendAsync(request, Ct);
    }

    protected static byte[] Png(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        return bytes;
    }

    private static Task<(HttpResponseMessage Response, JsonNode Body)> SendWithMediaAsync(TestServer server, string media) =>
        server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"+15551112222","to":"+15554443333","text":"x","media":["{{media}}"]}"""));
}

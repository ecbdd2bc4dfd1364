using System.Net;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Infrastructure.S3;

/// <summary>
/// The same flows on S3 through AWSSDK.S3, against a real S3-compatible server (s3rver) that checks
/// SigV4 presigned signatures, including the signed Content-Length and Content-Type.
/// </summary>
public sealed class S3StoreMediaTests(S3Fixture s3) : MediaFlowTests, IClassFixture<S3Fixture>
{
    protected override IDictionary<string, string> StoreSettings => new Dictionary<string, string>
    {
        ["AgentMessage:Media:Store"] = "s3",
        ["AgentMessage:Media:S3:ServiceUrl"] = s3.Server.ServiceUrl.ToString(),
        ["AgentMessage:Media:S3:Bucket"] = s3.Server.Bucket,
        ["AgentMessage:Media:S3:Region"] = s3.Server.Region,
        ["AgentMessage:Media:S3:ForcePathStyle"] = "true",
        ["AgentMessage:Media:S3:AccessKey"] = s3.Server.AccessKey,
        ["AgentMessage:Media:S3:SecretKey"] = s3.Server.SecretKey,
    };

    [Fact]
    public async Task ConditionalWrites_SignIfNoneMatchIntoTheUploadUrl()
    {
        // s3rver does not evaluate If-None-Match, so single use on S3 cannot be shown here; what can
        // be shown is that the header is signed, so a client cannot leave it out.
        await using var server = await StartAsync(settings: new Dictionary<string, string> { ["AgentMessage:Media:S3:ConditionalWrites"] = "true" });
        var (_, slot) = await server.Rest.CallAsync(Slot("image/png", 10));
        var url = (string)slot["data"]!["upload_url"]!;

        var withoutHeader = await UploadAsync(url, "image/png", Png(10));
        var asInstructed = await UploadAsync(slot, Png(10));

        Assert.Equal("*", (string)slot["data"]!["upload_headers"]!["If-None-Match"]!);
        Assert.Contains("if-none-match", Uri.UnescapeDataString(url), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, withoutHeader.StatusCode);
        Assert.Equal(HttpStatusCode.OK, asInstructed.StatusCode);
    }
}

using System.Net;
using System.Net.Http.Headers;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>Media across instances: the slot is made on one, the MMS sent from the other.</summary>
public sealed class SharedMediaTests(RedisFixture redis, S3Fixture s3) : IClassFixture<RedisFixture>, IClassFixture<S3Fixture>
{
    [Fact]
    public async Task Mms_UploadSlotFromOneInstance_IsSendableFromTheOther()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, new Dictionary<string, string>
        {
            ["AgentMessage:Media:Store"] = "s3",
            ["AgentMessage:Media:S3:ServiceUrl"] = s3.Server.ServiceUrl.ToString(),
            ["AgentMessage:Media:S3:Bucket"] = s3.Server.Bucket,
            ["AgentMessage:Media:S3:ForcePathStyle"] = "true",
            ["AgentMessage:Media:S3:AccessKey"] = s3.Server.AccessKey,
            ["AgentMessage:Media:S3:SecretKey"] = s3.Server.SecretKey,
        });
        var (_, slot) = await instances.A.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages/media-upload", TestServer.DevKey, """{"mime_type":"application/pdf","byte_size":3}"""));
        using var client = new HttpClient();
        var put = new HttpRequestMessage(HttpMethod.Put, (string)slot["data"]!["upload_url"]!) { Content = new ByteArrayContent("pdf"u8.ToArray()) };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        var uploaded = await client.SendAsync(put, TestContext.Current.CancellationToken);

        var (sent, body) = await instances.B.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"+15551112222","to":"+15554443333","text":"invoice","media":["{{(string)slot["data"]!["media_id"]!}}"]}"""));

        Assert.Equal(HttpStatusCode.OK, uploaded.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        Assert.Equal("mms", (string)body["data"]!["channel"]!);
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Web;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace AgentMessage.Server.Tests.Support;

/// <summary>
/// The s3rver fixture driven by the real AWSSDK.S3 v4: objects round-trip, and presigned PUT URLs signed
/// over content-length, content-type and host are honoured exactly as signed and refused (403) otherwise.
/// </summary>
public sealed class S3ServerTests(S3Fixture fixture) : IClassFixture<S3Fixture>
{
    private const string Png = "image/png";

    private S3Server Server => fixture.Server;

    [Fact]
    public void Fixture_IsLoopbackHttp_WithTheMediaBucketAndS3rversCredentials()
    {
        Assert.Equal("http", Server.ServiceUrl.Scheme);
        Assert.Equal("127.0.0.1", Server.ServiceUrl.Host);
        Assert.Equal(S3Fixture.BucketName, Server.Bucket);
        Assert.Equal("agentmessage-media", Server.Bucket);
        Assert.Equal("S3RVER", Server.AccessKey);
        Assert.Equal("S3RVER", Server.SecretKey);
        Assert.Equal("us-east-1", Server.Region);
        Assert.True(Server.IsRunning);
    }

    [Fact]
    public async Task PutObject_ThenGetObject_RoundTripsTheBytes()
    {
        var ct = TestContext.Current.CancellationToken;
        var bytes = RandomBytes(70_000);
        var config = new AmazonS3Config
        {
            ServiceURL = Server.ServiceUrl.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            // Without this, v4 sends every PutObject with a CRC32 trailer, which s3rver refuses (see the next test).
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        };
        using var client = new AmazonS3Client(new BasicAWSCredentials(Server.AccessKey, Server.SecretKey), config);

        var put = await client.PutObjectAsync(
            new PutObjectRequest { BucketName = Server.Bucket, Key = "roundtrip/a.bin", InputStream = new MemoryStream(bytes), ContentType = "application/octet-stream" },
            ct);
        Assert.Equal(HttpStatusCode.OK, put.HttpStatusCode);

        using var get = await client.GetObjectAsync(Server.Bucket, "roundtrip/a.bin", ct);
        using var read = new MemoryStream();
        await get.ResponseStream.CopyToAsync(read, ct);

        Assert.Equal(bytes, read.ToArray());
        Assert.Equal(bytes.Length, get.ContentLength);
        Assert.Equal("application/octet-stream", get.Headers.ContentType);
    }

    [Fact]
    public async Task PutObject_WithTheSdksDefaultChecksums_IsRefusedByS3rver()
    {
        var config = Server.CreateClientConfig();
        config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_SUPPORTED;
        using var client = new AmazonS3Client(new BasicAWSCredentials(Server.AccessKey, Server.SecretKey), config);

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => client.PutObjectAsync(
            new PutObjectRequest { BucketName = Server.Bucket, Key = "checksum/default.bin", InputStream = new MemoryStream([1, 2, 3]) },
            TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("InvalidArgument", error.ErrorCode);
    }

    [Fact]
    public async Task CreateClient_WorksAndAWrongSecretIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Server.CreateClient();
        await client.PutObjectAsync(new PutObjectRequest { BucketName = Server.Bucket, Key = "client/ok.txt", ContentBody = "ok" }, ct);

        using var wrong = new AmazonS3Client(new BasicAWSCredentials(Server.AccessKey, "not-the-secret"), Server.CreateClientConfig());
        var error = await Assert.ThrowsAsync<AmazonS3Exception>(
            () => wrong.PutObjectAsync(new PutObjectRequest { BucketName = Server.Bucket, Key = "client/wrong.txt", ContentBody = "no" }, ct));

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", error.ErrorCode);
        Assert.False(await ExistsAsync("client/wrong.txt"));
    }

    [Fact]
    public async Task PresignedPut_AcceptsExactlyTheSignedLengthAndContentType()
    {
        var bytes = RandomBytes(12_345);
        var url = await PresignPutAsync("presigned/exact.png", Png, bytes.Length, DateTime.UtcNow.AddMinutes(30));
        Assert.StartsWith($"{Server.ServiceUrl.ToString().TrimEnd('/')}/{Server.Bucket}/presigned/exact.png?", url, StringComparison.Ordinal);
        Assert.Contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost", url, StringComparison.Ordinal);

        var (status, body) = await HttpPutAsync(url, bytes, Png);

        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        using var client = Server.CreateClient();
        var metadata = await client.GetObjectMetadataAsync(Server.Bucket, "presigned/exact.png", TestContext.Current.CancellationToken);
        Assert.Equal(bytes.Length, metadata.ContentLength);
        Assert.Equal(Png, metadata.Headers.ContentType);
    }

    [Fact]
    public async Task PresignedPut_RefusesAnotherLength()
    {
        var url = await PresignPutAsync("presigned/length.png", Png, 100, DateTime.UtcNow.AddMinutes(30));

        var (longer, longerBody) = await HttpPutAsync(url, RandomBytes(101), Png);
        var (shorter, shorterBody) = await HttpPutAsync(url, RandomBytes(99), Png);

        Assert.Equal(HttpStatusCode.Forbidden, longer);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", longerBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, shorter);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", shorterBody, StringComparison.Ordinal);
        Assert.False(await ExistsAsync("presigned/length.png"));
    }

    [Fact]
    public async Task PresignedPut_RefusesAnotherContentType()
    {
        var url = await PresignPutAsync("presigned/type.png", Png, 100, DateTime.UtcNow.AddMinutes(30));

        var (jpeg, jpegBody) = await HttpPutAsync(url, RandomBytes(100), "image/jpeg");
        var (none, noneBody) = await HttpPutAsync(url, RandomBytes(100), contentType: null);

        Assert.Equal(HttpStatusCode.Forbidden, jpeg);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", jpegBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, none);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", noneBody, StringComparison.Ordinal);
        Assert.False(await ExistsAsync("presigned/type.png"));
    }

    [Fact]
    public async Task PresignedPut_RefusesAChangedPath()
    {
        var url = await PresignPutAsync("presigned/mine.png", Png, 100, DateTime.UtcNow.AddMinutes(30));
        var otherKey = url.Replace("/presigned/mine.png?", "/presigned/other.png?", StringComparison.Ordinal);
        Assert.NotEqual(url, otherKey);

        var (status, body) = await HttpPutAsync(otherKey, RandomBytes(100), Png);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", body, StringComparison.Ordinal);
        Assert.False(await ExistsAsync("presigned/other.png"));
        Assert.False(await ExistsAsync("presigned/mine.png"));
    }

    [Fact]
    public async Task PresignedPut_RefusesAChangedExpiry()
    {
        var url = await PresignPutAsync("presigned/expiry.png", Png, 100, DateTime.UtcNow.AddMinutes(30));
        var longer = url.Replace("X-Amz-Expires=1800&", "X-Amz-Expires=3600&", StringComparison.Ordinal);
        Assert.NotEqual(url, longer);

        var (status, body) = await HttpPutAsync(longer, RandomBytes(100), Png);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", body, StringComparison.Ordinal);
        Assert.False(await ExistsAsync("presigned/expiry.png"));
    }

    [Fact]
    public async Task PresignedPut_RefusesAnExpiredUrl()
    {
        var ct = TestContext.Current.CancellationToken;

        // Expires in the past: the SDK signs a negative X-Amz-Expires, and s3rver finds it expired.
        var past = await PresignPutAsync("presigned/past.png", Png, 100, DateTime.UtcNow.AddMinutes(-5));
        Assert.Contains("X-Amz-Expires=-", past, StringComparison.Ordinal);
        var (pastStatus, pastBody) = await HttpPutAsync(past, RandomBytes(100), Png);
        Assert.Equal(HttpStatusCode.Forbidden, pastStatus);
        Assert.Contains("<Code>AccessDenied</Code>", pastBody, StringComparison.Ordinal);
        Assert.Contains("Request has expired", pastBody, StringComparison.Ordinal);

        // A few seconds of life: good at once, refused once they are over. s3rver expires the URL at
        // X-Amz-Date (whole seconds) + X-Amz-Expires on its own clock, which no test can move: retry
        // until it refuses, and check that it did not refuse early.
        var shortLived = await PresignPutAsync("presigned/short.png", Png, 100, DateTime.UtcNow.AddSeconds(4));
        var query = HttpUtility.ParseQueryString(new Uri(shortLived).Query);
        var lifetime = int.Parse(query["X-Amz-Expires"]!, NumberStyles.None, CultureInfo.InvariantCulture);
        Assert.InRange(lifetime, 3, 4);
        var expiresAt = DateTime.ParseExact(query["X-Amz-Date"]!, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)
            .AddSeconds(lifetime);
        var (freshStatus, freshBody) = await HttpPutAsync(shortLived, RandomBytes(100), Png);
        Assert.True(freshStatus == HttpStatusCode.OK, $"{freshStatus}: {freshBody}");

        var (lateStatus, lateBody) = (freshStatus, freshBody);
        Assert.True(await Eventually.HoldsAsync(async () =>
        {
            (lateStatus, lateBody) = await HttpPutAsync(shortLived, RandomBytes(100), Png);
            return lateStatus != HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(lifetime + 10), ct), "the URL was still accepted well after it expired");
        Assert.True(DateTime.UtcNow >= expiresAt, $"refused before {expiresAt:O}");
        Assert.Equal(HttpStatusCode.Forbidden, lateStatus);
        Assert.Contains("<Code>AccessDenied</Code>", lateBody, StringComparison.Ordinal);
        Assert.Contains("Request has expired", lateBody, StringComparison.Ordinal);
        Assert.False(await ExistsAsync("presigned/past.png"));
    }

    [Fact]
    public async Task DisposeAsync_StopsNodeAndDeletesTheDataDirectory()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await S3Server.StartAsync("scratch", ct);
        using (var client = server.CreateClient())
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = "scratch", Key = "k", ContentBody = "v" }, ct);
        }

        Assert.True(Directory.Exists(Path.Combine(server.DataDirectory, "scratch")));
        Assert.NotEqual(Server.Port, server.Port);

        await server.DisposeAsync();

        Assert.False(server.IsRunning);
        Assert.False(Directory.Exists(server.DataDirectory));
        using var tcp = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => tcp.ConnectAsync(IPAddress.Loopback, server.Port, ct).AsTask());
    }

    private async Task<string> PresignPutAsync(string key, string contentType, long contentLength, DateTime expires)
    {
        using var client = Server.CreateClient();
        var request = new GetPreSignedUrlRequest
        {
            BucketName = Server.Bucket,
            Key = key,
            Verb = HttpVerb.PUT,
            ContentType = contentType,
            Expires = expires,
            // The presigner does not take the scheme from ServiceURL (nor from UseHttp): without this the URL is https.
            Protocol = Protocol.HTTP,
        };
        request.Headers.ContentLength = contentLength;
        return await client.GetPreSignedURLAsync(request);
    }

    private static async Task<(HttpStatusCode Status, string Body)> HttpPutAsync(string url, byte[] body, string? contentType)
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient();
        using var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using var response = await http.PutAsync(url, content, ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private async Task<bool> ExistsAsync(string key)
    {
        using var client = Server.CreateClient();
        try
        {
            await client.GetObjectMetadataAsync(Server.Bucket, key, TestContext.Current.CancellationToken);
            return true;
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}

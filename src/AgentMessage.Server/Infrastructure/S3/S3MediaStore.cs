using System.Net;
using AgentMessage.Core.Media;
using AgentMessage.Core.Refusals;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Infrastructure.S3;

/// <summary>
/// Media in an S3-compatible bucket (AWS S3, R2, MinIO) through AWSSDK.S3. Upload URLs are SigV4
/// presigned PUTs with Content-Type and Content-Length among the signed headers, so the store
/// itself refuses another type or size; with <c>ConditionalWrites</c> they also sign
/// <c>If-None-Match: *</c>, so the store refuses a second upload.
/// </summary>
public sealed class S3MediaStore : IMediaStore, IDisposable
{
    private readonly AmazonS3Client client;
    private readonly MediaOptions.S3StoreOptions options;
    private readonly Protocol protocol;
    private readonly TimeProvider time;
    private readonly ILogger<S3MediaStore> logger;

    public S3MediaStore(IOptions<MediaOptions> mediaOptions, TimeProvider time, ILogger<S3MediaStore> logger)
    {
        options = mediaOptions.Value.S3;
        this.time = time;
        this.logger = logger;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,

            // Checksums only where the API requires them: a presigned PUT cannot carry the SDK's
            // default CRC32 header, and S3-compatible stores do not all implement it.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.ServiceUrl is { Length: > 0 } serviceUrl)
        {
            config.ServiceURL = serviceUrl;
            protocol = serviceUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? Protocol.HTTP : Protocol.HTTPS;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
            protocol = Protocol.HTTPS;
        }

        client = options.AccessKey is { } accessKey
            ? new AmazonS3Client(new BasicAWSCredentials(accessKey, options.SecretKey), config)
            : new AmazonS3Client(config);
    }

    public async ValueTask<UploadSlot> CreateUploadSlotAsync(MediaRecord media, CancellationToken cancellationToken)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = options.Bucket,
            Key = media.ObjectKey,
            Verb = HttpVerb.PUT,
            Expires = media.UploadExpiresAt.UtcDateTime,
            ContentType = media.MimeType,
            Protocol = protocol,
        };
        request.Headers.ContentLength = media.ByteSize;
        var headers = new Dictionary<string, string>
        {
            ["Content-Type"] = media.MimeType,
            ["Content-Length"] = media.ByteSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (options.ConditionalWrites)
        {
            request.Headers["If-None-Match"] = "*";
            headers["If-None-Match"] = "*";
        }

        var url = await Guard(() => client.GetPreSignedURLAsync(request));
        return new UploadSlot(new Uri(url), headers);
    }

    public async ValueTask<StoredObject?> InspectAsync(MediaRecord media, CancellationToken cancellationToken)
    {
        try
        {
            var head = await Guard(() => client.GetObjectMetadataAsync(options.Bucket, media.ObjectKey, cancellationToken));
            return new StoredObject(head.Headers.ContentType, head.ContentLength);
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async ValueTask<Uri> CreateFetchUrlAsync(MediaRecord media, TimeSpan validity, CancellationToken cancellationToken) =>
        new(await Guard(() => client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = options.Bucket,
            Key = media.ObjectKey,
            Verb = HttpVerb.GET,
            Expires = (time.GetUtcNow() + validity).UtcDateTime,
            Protocol = protocol,
        })));

    public void Dispose() => client.Dispose();

    /// <summary>A store that cannot be reached is a dependency outage: 503, not 500.</summary>
    private async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException
            || (exception is AmazonServiceException service && (int)service.StatusCode >= 500)
            || (exception is AmazonClientException && exception is not AmazonServiceException))
        {
            logger.LogWarning("Object store unreachable: {Reason}", exception.Message);
            throw new StoreUnavailableException("object store", TimeSpan.FromSeconds(2), exception);
        }
    }
}

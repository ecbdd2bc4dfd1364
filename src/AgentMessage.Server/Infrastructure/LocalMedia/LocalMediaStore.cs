using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AgentMessage.Core.Media;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Infrastructure.LocalMedia;

/// <summary>
/// The embedded default store: files in a folder, uploaded and fetched through URLs this server
/// signs and serves itself (<see cref="LocalMediaEndpoints"/>). An upload URL is an HMAC over the
/// verb, path, expiry, content type and exact size, so a tampered, expired or reused URL, or a
/// body of another type or size, is refused just as S3 refuses it.
/// </summary>
public sealed class LocalMediaStore : IMediaStore
{
    public const string RoutePrefix = "/v1/media";

    private readonly byte[] key;
    private readonly Uri baseUrl;
    private readonly TimeProvider time;

    public LocalMediaStore(IOptions<MediaOptions> options, IConfiguration configuration, TimeProvider time)
    {
        var local = options.Value.Local;
        this.time = time;
        Root = local.Directory ?? Path.Combine(Path.GetTempPath(), "agentmessage-media");
        Directory.CreateDirectory(Root);
        key = local.SigningKey is { Length: > 0 } configured ? Convert.FromBase64String(configured) : RandomNumberGenerator.GetBytes(32);
        var publicBase = local.PublicBaseUrl ?? configuration["Kestrel:Endpoints:Rest:Url"] ?? "http://localhost:8080";
        baseUrl = new Uri(publicBase.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal).TrimEnd('/') + "/");
    }

    public string Root { get; }

    public ValueTask<UploadSlot> CreateUploadSlotAsync(MediaRecord media, CancellationToken cancellationToken)
    {
        var expires = media.UploadExpiresAt.ToUnixTimeSeconds();
        var signature = Sign("PUT", media.OrganizationId, media.Id, expires, media.MimeType, media.ByteSize);
        var url = new Uri(baseUrl, $"{RoutePrefix.TrimStart('/')}/{media.OrganizationId}/{media.Id}" +
            $"?expires={expires}&type={Uri.EscapeDataString(media.MimeType)}&size={media.ByteSize}&signature={signature}");
        var headers = new Dictionary<string, string>
        {
            ["Content-Type"] = media.MimeType,
            ["Content-Length"] = media.ByteSize.ToString(CultureInfo.InvariantCulture),
        };
        return ValueTask.FromResult(new UploadSlot(url, headers));
    }

    public ValueTask<StoredObject?> InspectAsync(MediaRecord media, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(media.OrganizationId, media.Id));

        // Only an upload that matched the signed type is ever stored, so the type is the declared one.
        return ValueTask.FromResult(file.Exists ? new StoredObject(media.MimeType, file.Length) : null);
    }

    public ValueTask<Uri> CreateFetchUrlAsync(MediaRecord media, TimeSpan validity, CancellationToken cancellationToken)
    {
        var expires = (time.GetUtcNow() + validity).ToUnixTimeSeconds();
        var signature = Sign("GET", media.OrganizationId, media.Id, expires, string.Empty, 0);
        return ValueTask.FromResult(new Uri(baseUrl, $"{RoutePrefix.TrimStart('/')}/{media.OrganizationId}/{media.Id}?expires={expires}&signature={signature}"));
    }

    /// <summary>Whether the signature covers exactly these values and the URL has not expired.</summary>
    public bool IsValid(string verb, string organizationId, string mediaId, long expires, string contentType, long size, string? signature)
    {
        if (signature is null || time.GetUtcNow().ToUnixTimeSeconds() > expires)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(verb, organizationId, mediaId, expires, contentType, size));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }

    public string PathOf(string organizationId, string mediaId) => Path.Combine(Root, organizationId, mediaId);

    private string Sign(string verb, string organizationId, string mediaId, long expires, string contentType, long size)
    {
        var canonical = string.Join('\n', verb, organizationId, mediaId, expires.ToString(CultureInfo.InvariantCulture), contentType, size.ToString(CultureInfo.InvariantCulture));
        return Base64UrlEncode(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(canonical)));
    }

    private static string Base64UrlEncode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}

namespace AgentMessage.Core.Media;

/// <summary>AgentMessage:Media: MMS on or off, and where media is stored.</summary>
public sealed class MediaOptions
{
    public const string Section = "AgentMessage:Media";

    /// <summary>False answers MMS_DISABLED to uploads and to sends with media.</summary>
    public bool MmsEnabled { get; set; } = true;

    /// <summary>"local" (the server stores media and serves its own signed URLs) or "s3".</summary>
    public string Store { get; set; } = "local";

    /// <summary>How long an uploaded media_id may be referenced by sends.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Validity of the URL a message keeps for the carrier to fetch each item (carriers retry for hours).</summary>
    public TimeSpan CarrierUrlValidity { get; set; } = TimeSpan.FromHours(48);

    public S3StoreOptions S3 { get; set; } = new();

    public LocalStoreOptions Local { get; set; } = new();

    public sealed class S3StoreOptions
    {
        /// <summary>Endpoint of an S3-compatible store (R2, MinIO); absent for AWS S3 itself.</summary>
        public string? ServiceUrl { get; set; }

        public string Bucket { get; set; } = string.Empty;

        public string Region { get; set; } = "us-east-1";

        /// <summary>Path-style URLs (bucket in the path), which most S3-compatible stores need.</summary>
        public bool ForcePathStyle { get; set; }

        /// <summary>With <see cref="SecretKey"/>; both absent, the AWS default credential chain applies.</summary>
        public string? AccessKey { get; set; }

        public string? SecretKey { get; set; }

        /// <summary>
        /// Sign <c>If-None-Match: *</c> into upload URLs, so the store itself refuses a second upload
        /// (AWS S3 and R2 support it). Off for stores that do not implement it.
        /// </summary>
        public bool ConditionalWrites { get; set; }
    }

    public sealed class LocalStoreOptions
    {
        /// <summary>Where uploads are kept; default a folder under the system temp directory.</summary>
        public string? Directory { get; set; }

        /// <summary>Base of the signed URLs; default the Rest listener's URL.</summary>
        public string? PublicBaseUrl { get; set; }

        /// <summary>Key of the URL signatures (base64, 32 bytes or more); default random per process,
        /// so instances sharing a folder must set the same one.</summary>
        public string? SigningKey { get; set; }
    }
}

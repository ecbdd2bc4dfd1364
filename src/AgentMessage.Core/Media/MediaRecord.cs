namespace AgentMessage.Core.Media;

/// <summary>An upload slot and, once the file is there, the media a send may reference.</summary>
public sealed record MediaRecord(
    string Id,
    string OrganizationId,
    string MimeType,
    long ByteSize,
    DateTimeOffset CreatedAt,
    DateTimeOffset UploadExpiresAt,
    DateTimeOffset ExpiresAt)
{
    /// <summary>Where the object lives in the store: one prefix per organization.</summary>
    public string ObjectKey => $"uploads/{OrganizationId}/{Id}";
}

using AgentMessage.Core.Access;
using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Organizations;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Core.Refusals;
using Microsoft.Extensions.Options;

namespace AgentMessage.Core.Media;

/// <summary>The result of CreateMediaUpload, with the bucket state to report (none on a replay).</summary>
public sealed record MediaUploadResult(MediaUpload Upload, RateLimitDecision? RateLimit, bool Replayed);

/// <summary>The media of a send once checked: the URL a carrier fetches each item from, in order.</summary>
public sealed record ResolvedMedia(IReadOnlyList<string> CarrierUrls)
{
    /// <summary>A send without media.</summary>
    public static readonly ResolvedMedia None = new([]);
}

/// <summary>
/// Upload slots (docs/API.md section 8) and the checks a send's media must pass: a media_id must be
/// this organization's, unexpired, and uploaded with its declared type and a size within the limit.
/// </summary>
public sealed class MediaService(
    IMediaStore store,
    IMediaCatalog catalog,
    IOrganizationStore organizations,
    IRateLimiter rateLimiter,
    IIdempotencyStore idempotency,
    IOptions<RateLimitOptions> rateLimits,
    IOptions<MediaOptions> options,
    TimeProvider time)
{
    public bool IsMmsEnabled(Organization organization) => options.Value.MmsEnabled && organization.MmsEnabled;

    /// <summary>An upload slot; validation, MMS off and the rate limit are returned as refusals.</summary>
    public async Task<Result<MediaUploadResult>> CreateUploadAsync(Caller caller, string mimeType, long byteSize, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string>();
        if (idempotencyKey is not null && IdempotencyOptions.KeyProblem(idempotencyKey) is { } keyProblem)
        {
            problems["Idempotency-Key"] = keyProblem;
        }

        if (MediaRules.MimeTypeProblem(mimeType) is { } typeProblem)
        {
            problems["mime_type"] = typeProblem;
        }

        if (MediaRules.ByteSizeProblem(byteSize) is { } sizeProblem)
        {
            problems["byte_size"] = sizeProblem;
        }

        if (problems.Count > 0)
        {
            return Refusal.Validation(problems);
        }

        var organization = await organizations.GetAsync(caller.OrganizationId, cancellationToken) ?? throw new RefusalException(RefusalKind.Unauthorized);
        if (!IsMmsEnabled(organization))
        {
            return new Refusal(RefusalKind.MmsDisabled);
        }

        IdempotencyClaim? claim = null;
        if (idempotencyKey is not null)
        {
            var scope = new IdempotencyScope(organization.Id, IdempotentOperation.CreateMediaUpload, idempotencyKey);
            (claim, var replay) = await idempotency.ClaimOrReplayAsync(scope, $"{mimeType}\n{byteSize}", cancellationToken);
            if (replay is not null)
            {
                return new MediaUploadResult(MediaUpload.FromJson(replay), RateLimit: null, Replayed: true);
            }
        }

        var committed = false;
        try
        {
            var policy = organization.LimitFor(RateLimitedOperation.MediaUpload) ?? rateLimits.Value.For(RateLimitedOperation.MediaUpload);
            var decision = await rateLimiter.TryAcquireAsync(organization.Id, RateLimitedOperation.MediaUpload, policy, cancellationToken);
            if (!decision.Allowed)
            {
                return new Refusal(RefusalKind.RateLimited) { RetryAfter = decision.RetryAfter, RateLimit = decision };
            }

            // Whole seconds: the expiry clients see is the one the URL signs.
            var now = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
            var media = new MediaRecord(
                Guid.NewGuid().ToString("D"), organization.Id, mimeType, byteSize, now, now + MediaRules.UploadUrlValidity, now + options.Value.Retention);
            await catalog.PutAsync(media, cancellationToken);
            var slot = await store.CreateUploadSlotAsync(media, cancellationToken);
            var upload = new MediaUpload(media.Id, slot.Url.AbsoluteUri, media.UploadExpiresAt, MediaRules.MaxByteSize, slot.Headers);
            if (claim is not null)
            {
                committed = await idempotency.CommitAsync(claim, upload.ToJson(), cancellationToken);
            }

            return new MediaUploadResult(upload, decision, Replayed: false);
        }
        finally
        {
            if (claim is not null && !committed)
            {
                await idempotency.ReleaseAsync(claim, CancellationToken.None);
            }
        }
    }

    /// <summary>Checks each entry of a send's media list; the problems by <c>media[i]</c>, or the carrier URLs.</summary>
    public async Task<(IReadOnlyDictionary<string, string> Problems, ResolvedMedia Media)> ResolveAsync(string organizationId, IReadOnlyList<string> entries, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string>();
        var urls = new List<string>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (SendRules.IsExternalUrl(entry))
            {
                urls.Add(entry);
                continue;
            }

            var media = await catalog.GetAsync(organizationId, entry, cancellationToken);
            var problem = media is null ? "is not an uploaded media_id of your organization" : await UploadProblemAsync(media, cancellationToken);
            if (problem is not null)
            {
                problems[$"media[{i}]"] = problem;
                continue;
            }

            urls.Add((await store.CreateFetchUrlAsync(media!, options.Value.CarrierUrlValidity, cancellationToken)).AbsoluteUri);
        }

        return (problems, new ResolvedMedia(urls));
    }

    private async ValueTask<string?> UploadProblemAsync(MediaRecord media, CancellationToken cancellationToken)
    {
        var stored = await store.InspectAsync(media, cancellationToken);
        if (stored is null)
        {
            return "has not been uploaded";
        }

        if (!string.Equals(stored.ContentType, media.MimeType, StringComparison.OrdinalIgnoreCase))
        {
            return $"was uploaded as {stored.ContentType ?? "an unknown type"}, not {media.MimeType}";
        }

        return stored.Length is < 1 or > MediaRules.MaxByteSize ? $"must be 1..{MediaRules.MaxByteSize} bytes" : null;
    }
}

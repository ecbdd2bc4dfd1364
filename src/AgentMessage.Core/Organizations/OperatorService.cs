using System.Security.Cryptography;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Core.Refusals;
using Microsoft.Extensions.Logging;

namespace AgentMessage.Core.Organizations;

/// <summary>
/// A rate-limit change of an update: absent leaves the bucket as it is, <see cref="IsDefault"/> (burst and rate both 0)
/// returns to the configured default, anything else is the organization's own bucket (validated).
/// </summary>
public readonly record struct RateLimitChange(bool Present, int Burst, double PerSecond)
{
    public static readonly RateLimitChange Absent = default;

    public bool IsDefault => Present && Burst == 0 && PerSecond == 0;
}

/// <summary>A key as created or rotated: the plaintext, shown once, and the stored record.</summary>
public sealed record IssuedApiKey(string Plaintext, ApiKeyRecord Record);

/// <summary>
/// The operator's rules (AdminService): organizations, their API keys and their numbers. Every
/// input is validated here, all problems of a request reported together with per-field details;
/// ids taken from a path are checked before any store sees them, since they become parts of Redis
/// keys. No secret (plaintext key, hash) is ever logged.
/// </summary>
public sealed class OperatorService(
    IOrganizationStore organizations,
    IApiKeyStore keys,
    INumberRegistry numbers,
    OpenStreams streams,
    TimeProvider time,
    ILogger<OperatorService> logger)
{
    public const int MaxNameLength = 200;
    public const int MaxBurst = 1_000_000;
    public const double MaxPerSecond = 1_000_000;
    public const double MaxPacePerSecond = 1000;
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    private const string IdAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public Task<Organization> CreateOrganizationAsync(string name, RateLimitChange send, RateLimitChange mediaUpload, bool? mmsEnabled, CancellationToken cancellationToken) =>
        CreateOrganizationAsync(name, send, mediaUpload, mmsEnabled, keywordReplies: null, cancellationToken);

    /// <param name="keywordReplies">The keyword reply texts; a text left null is the default.</param>
    public async Task<Organization> CreateOrganizationAsync(string name, RateLimitChange send, RateLimitChange mediaUpload, bool? mmsEnabled, KeywordReplyTexts? keywordReplies, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        CheckName(name, problems);
        var sendLimit = CheckLimit(send, "send_rate_limit", problems);
        var mediaLimit = CheckLimit(mediaUpload, "media_upload_rate_limit", problems);
        CheckKeywordReplies(keywordReplies, problems);
        ThrowIfAny(problems);

        var replies = keywordReplies is { StopText: null, StartText: null, HelpText: null } ? null : keywordReplies;
        var organization = new Organization(NewId("org_"), name, sendLimit, mediaLimit, mmsEnabled ?? true, replies);
        await organizations.PutAsync(organization, cancellationToken);
        logger.LogInformation("Operator created organization {OrganizationId}", organization.Id);
        return organization;
    }

    public async Task<Organization> GetOrganizationAsync(string organizationId, CancellationToken cancellationToken)
    {
        ThrowIfAny(CheckOrganizationId(organizationId, []));
        return await ExistingAsync(organizationId, cancellationToken);
    }

    /// <summary>A page of organizations in id order; the token is the last id of the previous page.</summary>
    public async Task<(IReadOnlyList<Organization> Page, string? NextPageToken)> ListOrganizationsAsync(int pageSize, string pageToken, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        if (pageSize is < 0 or > MaxPageSize)
        {
            problems["page_size"] = $"must be 1 to {MaxPageSize} (0: {DefaultPageSize})";
        }

        if (pageToken.Length > 0 && !IsOrganizationId(pageToken))
        {
            problems["page_token"] = "must be the next_page_token of a previous page";
        }

        ThrowIfAny(problems);
        var size = pageSize == 0 ? DefaultPageSize : pageSize;
        var ids = (await organizations.ListIdsAsync(cancellationToken))
            .Where(id => string.CompareOrdinal(id, pageToken) > 0)
            .Order(StringComparer.Ordinal)
            .Take(size + 1)
            .ToList();
        var page = new List<Organization>(Math.Min(size, ids.Count));
        foreach (var id in ids.Take(size))
        {
            if (await organizations.GetAsync(id, cancellationToken) is { } organization)
            {
                page.Add(organization);
            }
        }

        return (page, ids.Count > size ? ids[size - 1] : null);
    }

    /// <param name="keywordReplies">Keyword reply texts to replace; a text left null keeps the current one.</param>
    public async Task<Organization> UpdateOrganizationAsync(string organizationId, string? name, RateLimitChange send, RateLimitChange mediaUpload, bool? mmsEnabled, KeywordReplyTexts? keywordReplies, CancellationToken cancellationToken)
    {
        var problems = CheckOrganizationId(organizationId, new Dictionary<string, string>(StringComparer.Ordinal));
        if (name is not null)
        {
            CheckName(name, problems);
        }

        var sendLimit = CheckLimit(send, "send_rate_limit", problems);
        var mediaLimit = CheckLimit(mediaUpload, "media_upload_rate_limit", problems);
        CheckKeywordReplies(keywordReplies, problems);
        ThrowIfAny(problems);

        var current = await ExistingAsync(organizationId, cancellationToken);
        var replies = current.KeywordReplies;
        if (keywordReplies is not null)
        {
            replies = new KeywordReplyTexts(
                keywordReplies.StopText ?? replies?.StopText,
                keywordReplies.StartText ?? replies?.StartText,
                keywordReplies.HelpText ?? replies?.HelpText);
        }

        var updated = current with
        {
            Name = name ?? current.Name,
            SendLimit = send.Present ? sendLimit : current.SendLimit,
            MediaUploadLimit = mediaUpload.Present ? mediaLimit : current.MediaUploadLimit,
            MmsEnabled = mmsEnabled ?? current.MmsEnabled,
            KeywordReplies = replies is { StopText: null, StartText: null, HelpText: null } ? null : replies,
        };
        await organizations.PutAsync(updated, cancellationToken);
        logger.LogInformation("Operator updated organization {OrganizationId}", organizationId);
        return updated;
    }

    public async Task<IssuedApiKey> CreateApiKeyAsync(string organizationId, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var problems = CheckOrganizationId(organizationId, new Dictionary<string, string>(StringComparer.Ordinal));
        if (scopes.Count == 0)
        {
            problems["scopes"] = "at least one scope is required: " + string.Join(", ", Scopes.All);
        }

        for (var i = 0; i < scopes.Count; i++)
        {
            if (!Scopes.All.Contains(scopes[i], StringComparer.Ordinal))
            {
                problems[$"scopes[{i}]"] = "unknown scope; must be one of: " + string.Join(", ", Scopes.All);
            }
        }

        ThrowIfAny(problems);
        await ExistingAsync(organizationId, cancellationToken);
        var issued = await IssueAsync(organizationId, [.. scopes.Distinct(StringComparer.Ordinal)], cancellationToken);
        logger.LogInformation("Operator created API key {KeyId} for organization {OrganizationId}", issued.Record.Id, organizationId);
        return issued;
    }

    /// <summary>The organization's keys, oldest first.</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string organizationId, CancellationToken cancellationToken)
    {
        ThrowIfAny(CheckOrganizationId(organizationId, []));
        await ExistingAsync(organizationId, cancellationToken);
        return [.. (await keys.ListAsync(organizationId, cancellationToken)).OrderBy(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal)];
    }

    /// <summary>Revokes the key (a revoked key stays as it was revoked).</summary>
    public async Task<ApiKeyRecord> RevokeApiKeyAsync(string organizationId, string keyId, CancellationToken cancellationToken)
    {
        var key = await ExistingKeyAsync(organizationId, keyId, cancellationToken);
        if (!key.IsActive || await keys.RevokeAsync(key.Hash, time.GetUtcNow(), cancellationToken) is not { } revoked)
        {
            // Revoked already, perhaps a moment ago by another call: answer with the stored record.
            return await ExistingKeyAsync(organizationId, keyId, cancellationToken);
        }

        logger.LogInformation("Operator revoked API key {KeyId} of organization {OrganizationId}", keyId, organizationId);

        // This instance's streams of the key end now; other instances' at their next credential check.
        streams.EndKey(keyId);
        return revoked;
    }

    /// <summary>A new key with the old one's scopes; the old one revoked once the new one is stored,
    /// so the customer is never without a working key. Of two rotations of one key at the same time,
    /// one wins; the other's new key is revoked before it is ever shown, and it is refused as for a
    /// revoked key, so a rotation never leaves two live successors.</summary>
    public async Task<(IssuedApiKey Issued, ApiKeyRecord Revoked)> RotateApiKeyAsync(string organizationId, string keyId, CancellationToken cancellationToken)
    {
        var old = await ExistingKeyAsync(organizationId, keyId, cancellationToken);
        if (!old.IsActive)
        {
            throw RevokedKey();
        }

        var issued = await IssueAsync(organizationId, old.Scopes, cancellationToken);
        if (await keys.RevokeAsync(old.Hash, time.GetUtcNow(), cancellationToken) is not { } revoked)
        {
            await keys.RevokeAsync(issued.Record.Hash, time.GetUtcNow(), CancellationToken.None);
            throw RevokedKey();
        }

        logger.LogInformation("Operator rotated API key {KeyId} of organization {OrganizationId} to {NewKeyId}", keyId, organizationId, issued.Record.Id);
        streams.EndKey(keyId);
        return (issued, revoked);
    }

    public async Task<OwnedNumberRecord> AddNumberAsync(string organizationId, string number, double? pacePerSecond, CancellationToken cancellationToken)
    {
        var problems = CheckOrganizationId(organizationId, new Dictionary<string, string>(StringComparer.Ordinal));
        CheckNumber(number, problems);
        if (pacePerSecond is { } pace && !(double.IsFinite(pace) && pace > 0 && pace <= MaxPacePerSecond))
        {
            problems["send_pace_per_second"] = $"must be more than 0 and at most {MaxPacePerSecond}";
        }

        ThrowIfAny(problems);
        await ExistingAsync(organizationId, cancellationToken);
        var owned = new OwnedNumberRecord(number, pacePerSecond);
        if (!await numbers.PutAsync(organizationId, owned, cancellationToken))
        {
            throw new RefusalException(RefusalKind.NumberInUse, $"{number} belongs to another organization; remove it there first");
        }

        logger.LogInformation("Operator gave number {Number} to organization {OrganizationId}", number, organizationId);
        return owned;
    }

    public async Task RemoveNumberAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        var problems = CheckOrganizationId(organizationId, new Dictionary<string, string>(StringComparer.Ordinal));
        CheckNumber(number, problems);
        ThrowIfAny(problems);
        await ExistingAsync(organizationId, cancellationToken);
        if (!await numbers.RemoveAsync(organizationId, number, cancellationToken))
        {
            throw new RefusalException(RefusalKind.NotFound, "number not found");
        }

        logger.LogInformation("Operator removed number {Number} from organization {OrganizationId}", number, organizationId);
    }

    public async Task<IReadOnlyList<OwnedNumberRecord>> ListNumbersAsync(string organizationId, CancellationToken cancellationToken)
    {
        ThrowIfAny(CheckOrganizationId(organizationId, []));
        await ExistingAsync(organizationId, cancellationToken);
        return await numbers.ListAsync(organizationId, cancellationToken);
    }

    /// <summary>Server ids: the prefix and 20 lower-case Crockford base32 characters (100 random bits).</summary>
    public static string NewId(string prefix) => prefix + RandomNumberGenerator.GetString(IdAlphabet, 20);

    /// <summary>
    /// What an organization id from a request may look like: "org_" and 1 to 64 of [a-z0-9_]. Server
    /// ids and the development organization's fit; braces (Redis hash tags), colons and anything
    /// else that could change a Redis key never do.
    /// </summary>
    public static bool IsOrganizationId(string id) => IsId(id, "org_");

    public static bool IsKeyId(string id) => IsId(id, "key_");

    private static bool IsId(string id, string prefix) =>
        id.Length > prefix.Length && id.Length <= prefix.Length + 64 && id.StartsWith(prefix, StringComparison.Ordinal)
        && id.AsSpan(prefix.Length).IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789_") < 0;

    private async Task<Organization> ExistingAsync(string organizationId, CancellationToken cancellationToken) =>
        await organizations.GetAsync(organizationId, cancellationToken) ?? throw new RefusalException(RefusalKind.NotFound, "organization not found");

    private static RefusalException RevokedKey() => RefusalException.Validation("key_id", "the key is revoked; create a new key instead");

    private async Task<ApiKeyRecord> ExistingKeyAsync(string organizationId, string keyId, CancellationToken cancellationToken)
    {
        var problems = CheckOrganizationId(organizationId, new Dictionary<string, string>(StringComparer.Ordinal));
        if (!IsKeyId(keyId))
        {
            problems["key_id"] = "must be key_ followed by 1 to 64 of a-z, 0-9, _";
        }

        ThrowIfAny(problems);
        await ExistingAsync(organizationId, cancellationToken);
        return (await keys.ListAsync(organizationId, cancellationToken)).FirstOrDefault(k => k.Id == keyId)
            ?? throw new RefusalException(RefusalKind.NotFound, "api key not found");
    }

    private async Task<IssuedApiKey> IssueAsync(string organizationId, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var plaintext = ApiKeyFormat.Generate();
        var record = new ApiKeyRecord(NewId("key_"), organizationId, ApiKeyFormat.Hash(plaintext), ApiKeyFormat.DisplayPrefix(plaintext), scopes, time.GetUtcNow());
        await keys.PutAsync(record, cancellationToken);
        return new IssuedApiKey(plaintext, record);
    }

    private static Dictionary<string, string> CheckOrganizationId(string organizationId, Dictionary<string, string> problems)
    {
        if (!IsOrganizationId(organizationId))
        {
            problems["organization_id"] = "must be org_ followed by 1 to 64 of a-z, 0-9, _";
        }

        return problems;
    }

    private static void CheckName(string name, Dictionary<string, string> problems)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            problems["name"] = $"must be 1 to {MaxNameLength} characters, not blank, without control characters";
        }
    }

    /// <summary>A keyword reply text is empty (no reply) or a text a send could carry.</summary>
    private static void CheckKeywordReplies(KeywordReplyTexts? texts, Dictionary<string, string> problems)
    {
        foreach (var (field, text) in new[] { ("stop_text", texts?.StopText), ("start_text", texts?.StartText), ("help_text", texts?.HelpText) })
        {
            if (text is { Length: > 0 } && SendRules.TextProblem(text, hasMedia: false) is { } problem)
            {
                problems[$"keyword_replies.{field}"] = problem + " (empty: no reply)";
            }
        }
    }

    private static void CheckNumber(string number, Dictionary<string, string> problems)
    {
        if (!SendRules.IsE164(number))
        {
            problems["number"] = "must be E.164";
        }
    }

    /// <summary>The bucket a change asks for: null for absent or the configured default.</summary>
    private static RateLimitPolicy? CheckLimit(RateLimitChange change, string field, Dictionary<string, string> problems)
    {
        if (!change.Present || change.IsDefault)
        {
            return null;
        }

        if (change.Burst is < 1 or > MaxBurst)
        {
            problems[$"{field}.burst"] = $"must be 1 to {MaxBurst}";
        }

        if (!(double.IsFinite(change.PerSecond) && change.PerSecond > 0 && change.PerSecond <= MaxPerSecond))
        {
            problems[$"{field}.per_second"] = $"must be more than 0 and at most {MaxPerSecond}";
        }

        return new RateLimitPolicy(change.Burst, change.PerSecond);
    }

    private static void ThrowIfAny(Dictionary<string, string> problems)
    {
        if (problems.Count > 0)
        {
            throw RefusalException.Validation(problems);
        }
    }
}

using System.Buffers.Text;
using System.Text;
using AgentMessage.Core.Access;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Refusals;

namespace AgentMessage.Core.Compliance;

/// <summary>
/// The ConsentService's rules: what a valid opt-in is, and every read and write confined to the
/// caller's organization (another organization's record is simply not there: NOT_FOUND).
/// </summary>
public sealed class ConsentManager(IConsentRegistry consents, TimeProvider time)
{
    public const int MaxSourceLength = 200;
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;

    /// <summary>How far in the future a client's clock may put an opt-in.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private const string NumberProblem = "must be E.164";

    public async Task<ConsentRecord> RecordAsync(Caller caller, string number, string source, DateTimeOffset? optedInAt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var problems = new Dictionary<string, string>();
        if (!SendRules.IsE164(number))
        {
            problems["number"] = NumberProblem;
        }

        if (SourceProblem(source) is { } sourceProblem)
        {
            problems["source"] = sourceProblem;
        }

        if (optedInAt > now + ClockSkew)
        {
            problems["opted_in_at"] = "must not be in the future";
        }

        if (problems.Count > 0)
        {
            throw RefusalException.Validation(problems);
        }

        var record = new ConsentRecord(number, source, optedInAt ?? now);
        await consents.RecordAsync(caller.OrganizationId, record, cancellationToken);
        return record;
    }

    public async Task<ConsentRecord> GetAsync(Caller caller, string number, CancellationToken cancellationToken)
    {
        RequireNumber(number);
        return await consents.GetAsync(caller.OrganizationId, number, cancellationToken) ?? throw NotFound();
    }

    public async Task<ConsentRecord> RevokeAsync(Caller caller, string number, CancellationToken cancellationToken)
    {
        RequireNumber(number);
        return await consents.RevokeAsync(caller.OrganizationId, number, time.GetUtcNow(), cancellationToken) ?? throw NotFound();
    }

    public async Task<(IReadOnlyList<ConsentRecord> Records, string? NextPageToken)> ListAsync(Caller caller, int pageSize, string pageToken, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string>();
        if (pageSize is < 0 or > MaxPageSize)
        {
            problems["page_size"] = $"must be 1..{MaxPageSize}";
        }

        string? after = null;
        if (pageToken.Length > 0 && (after = DecodeToken(pageToken)) is null)
        {
            problems["page_token"] = "is not a token this service issued";
        }

        if (problems.Count > 0)
        {
            throw RefusalException.Validation(problems);
        }

        var page = await consents.ListAsync(caller.OrganizationId, after, pageSize == 0 ? DefaultPageSize : pageSize, cancellationToken);
        var next = page.HasMore && page.Records.Count > 0 ? EncodeToken(page.Records[^1].Number) : null;
        return (page.Records, next);
    }

    public static string? SourceProblem(string source) =>
        source.Trim().Length == 0 || source.Length > MaxSourceLength || source.Any(char.IsControl)
            ? $"must be 1..{MaxSourceLength} characters, not blank, without control characters"
            : null;

    private static void RequireNumber(string number)
    {
        if (!SendRules.IsE164(number))
        {
            throw RefusalException.Validation("number", NumberProblem);
        }
    }

    private static RefusalException NotFound() => new(RefusalKind.NotFound, "consent not found");

    // The token is the last number of the page; opaque to clients, and checked when it comes back.
    private static string EncodeToken(string lastNumber) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(lastNumber));

    private static string? DecodeToken(string token)
    {
        try
        {
            var number = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(token));
            return SendRules.IsE164(number) ? number : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

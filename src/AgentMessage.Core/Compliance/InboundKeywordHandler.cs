using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Compliance;

/// <summary>The outcome of one inbound message: the keyword's action and whether it changed a record.</summary>
public sealed record InboundOutcome(KeywordAction Action, string? Keyword, bool Applied);

/// <summary>
/// Applies inbound keywords to the consent of the organization that owns the receiving number.
/// STOP (and synonyms) marks the sender's record opted out, keeping it; START/UNSTOP restores a
/// record that was opted out, as a new opt-in from source "inbound keyword START". Neither creates
/// consent that was never given: a START from a number with no record, or any keyword to a number
/// no organization owns, is answered "not applied" and changes nothing.
/// </summary>
public sealed class InboundKeywordHandler(INumberRegistry numbers, IConsentRegistry consents, TimeProvider time)
{
    public async Task<InboundOutcome> ApplyAsync(string from, string to, string text, CancellationToken cancellationToken)
    {
        var (action, keyword) = InboundKeywords.Parse(text);
        if (action == KeywordAction.None || await numbers.FindOwnerAsync(to, cancellationToken) is not { } organizationId)
        {
            return new InboundOutcome(action, keyword, false);
        }

        var now = time.GetUtcNow();
        if (action == KeywordAction.OptOut)
        {
            var before = await consents.GetAsync(organizationId, from, cancellationToken);
            var after = before is { IsGranted: true } ? await consents.RevokeAsync(organizationId, from, now, cancellationToken) : null;
            return new InboundOutcome(action, keyword, after is { IsGranted: false });
        }

        if (await consents.GetAsync(organizationId, from, cancellationToken) is { IsGranted: false })
        {
            await consents.RecordAsync(organizationId, new ConsentRecord(from, $"inbound keyword {keyword}", now), cancellationToken);
            return new InboundOutcome(action, keyword, true);
        }

        return new InboundOutcome(action, keyword, false);
    }

    /// <summary>Field problems of an inbound message, for the 422.</summary>
    public static Dictionary<string, string> Problems(string? from, string? to, string? text)
    {
        var problems = new Dictionary<string, string>();
        if (!SendRules.IsE164(from))
        {
            problems["from"] = "must be E.164";
        }

        if (!SendRules.IsE164(to))
        {
            problems["to"] = "must be E.164";
        }

        if (text is null)
        {
            problems["text"] = "is required";
        }

        return problems;
    }
}

using AgentMessage.Server.Messaging;

namespace AgentMessage.Server.Compliance;

/// <summary>What an inbound message's text asks for.</summary>
public enum KeywordAction
{
    /// <summary>Not a keyword: the message changes no consent.</summary>
    None,

    /// <summary>STOP and its synonyms: the sender opts out of the organization that owns the number.</summary>
    OptOut,

    /// <summary>START, UNSTOP: the sender opts back in after an opt-out.</summary>
    OptIn,
}

/// <summary>
/// The opt-out and opt-in keywords carriers require us to honour. A message is a keyword when its
/// whole text, trimmed of whitespace, equals one of them ignoring case: " stop ", "Stop" and
/// "STOPALL" are; "stop it" and "STOP." are not.
/// </summary>
public static class InboundKeywords
{
    public static readonly IReadOnlyList<string> OptOut = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];

    public static readonly IReadOnlyList<string> OptIn = ["START", "UNSTOP"];

    /// <summary>The action and the keyword as listed (upper case), or (None, null).</summary>
    public static (KeywordAction Action, string? Keyword) Parse(string? text)
    {
        var word = (text ?? string.Empty).Trim();
        if (OptOut.FirstOrDefault(k => k.Equals(word, StringComparison.OrdinalIgnoreCase)) is { } stop)
        {
            return (KeywordAction.OptOut, stop);
        }

        return OptIn.FirstOrDefault(k => k.Equals(word, StringComparison.OrdinalIgnoreCase)) is { } start
            ? (KeywordAction.OptIn, start)
            : (KeywordAction.None, null);
    }
}

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

namespace AgentMessage.Core.Compliance;

/// <summary>The outcome of one inbound message: the keyword's action, whether it changed a consent
/// record, and the id of the message stored for the organization that owns the receiving number
/// (null when none does).</summary>
public sealed record InboundOutcome(KeywordAction Action, string? Keyword, bool Applied, string? MessageId = null);

/// <summary>
/// Applies inbound keywords to the sender's consent with the organization that owns the receiving
/// number. STOP (and synonyms) always leaves a record: a record that is opted in is marked opted
/// out, keeping it, and a number with no record at all gets one in opted-out state (source "inbound
/// keyword STOP"), so that nothing is sent to it until it sends START. START/UNSTOP restores a
/// record that was opted out, as a new opt-in from source "inbound keyword START"; it never creates
/// consent that was never given, so a START from a number with no record changes nothing.
/// </summary>
public sealed class InboundKeywordHandler(IConsentRegistry consents, TimeProvider time)
{
    /// <summary>Whether the keyword changed the sender's record (false for a message that is no keyword, and for HELP).</summary>
    public async Task<bool> ApplyAsync(string organizationId, string from, KeywordAction action, string? keyword, CancellationToken cancellationToken)
    {
        if (action is KeywordAction.None or KeywordAction.Help)
        {
            return false;
        }

        var now = time.GetUtcNow();
        var before = await consents.GetAsync(organizationId, from, cancellationToken);
        if (action == KeywordAction.OptOut)
        {
            if (before is null)
            {
                await consents.RecordAsync(organizationId, new ConsentRecord(from, $"inbound keyword {keyword}", OptedInAt: null, OptedOutAt: now), cancellationToken);
                return true;
            }

            var after = before.IsGranted ? await consents.RevokeAsync(organizationId, from, now, cancellationToken) : null;
            return after is { IsGranted: false };
        }

        if (before is { IsGranted: false })
        {
            await consents.RecordAsync(organizationId, new ConsentRecord(from, $"inbound keyword {keyword}", now), cancellationToken);
            return true;
        }

        return false;
    }
}

namespace AgentMessage.Core.Compliance;

/// <summary>
/// At most one keyword reply per organization, person's number and keyword action within a window
/// (<see cref="KeywordReplier.Window"/>), so a person who texts STOP ten times, or a carrier that
/// repeats a delivery without an id, gets one confirmation. Shared state on the Redis configuration
/// (a key set with NX and an expiry), so two instances receiving the same keyword do not both answer.
/// A store that is down throws <see cref="Refusals.StoreUnavailableException"/>.
/// </summary>
public interface IKeywordReplyLimiter
{
    /// <summary>True when no reply for this organization, person and action was taken within
    /// <paramref name="window"/> (positive), which starts one; false otherwise, which changes nothing.</summary>
    ValueTask<bool> TryTakeAsync(string organizationId, string person, KeywordAction action, TimeSpan window, CancellationToken cancellationToken);
}

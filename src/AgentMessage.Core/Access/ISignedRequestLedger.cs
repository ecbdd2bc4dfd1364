namespace AgentMessage.Core.Access;

/// <summary>
/// The signed requests already applied (carrier receipts and inbound messages, which a carrier
/// signs instead of presenting an API key), each remembered by its signature for as long as its
/// timestamp would still be accepted. A captured request replayed inside the replay window is
/// found here and changes nothing. It is shared state (in Redis on the Redis configuration), so a
/// replay sent to another instance is found too. A store that is down throws
/// <see cref="Refusals.StoreUnavailableException"/>.
/// <para>
/// A request is remembered once it has been applied, not before: a request whose application
/// failed (a store outage) is not remembered, so the carrier's retry of it is applied.
/// </para>
/// </summary>
public interface ISignedRequestLedger
{
    /// <summary>Whether <paramref name="signature"/> is remembered (added, and its keep not yet over).</summary>
    ValueTask<bool> ContainsAsync(string signature, CancellationToken cancellationToken);

    /// <summary>Remembers <paramref name="signature"/> for <paramref name="keep"/> (positive); false when
    /// it was remembered already, which then changes nothing (its first keep stands).</summary>
    ValueTask<bool> AddAsync(string signature, TimeSpan keep, CancellationToken cancellationToken);
}

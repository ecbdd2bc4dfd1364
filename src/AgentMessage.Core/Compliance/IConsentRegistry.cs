namespace AgentMessage.Core.Compliance;

/// <summary>Which recipients have opted in to messages from which organization.</summary>
public interface IConsentRegistry
{
    ValueTask<bool> HasConsentAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Stores the record, replacing any earlier one of the number (an opt-out included).</summary>
    ValueTask RecordAsync(string organizationId, ConsentRecord consent, CancellationToken cancellationToken);

    /// <summary>The number's record, opted in or out; null when there is none. Always read fresh.</summary>
    ValueTask<ConsentRecord?> GetAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> records with numbers after <paramref name="afterNumber"/>
    /// (ordinal order), and whether more follow.</summary>
    ValueTask<ConsentPage> ListAsync(string organizationId, string? afterNumber, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the number opted out at <paramref name="at"/>, keeping the record; a record already
    /// opted out keeps its first opt-out time. Returns the record as it now is, or null when the
    /// number has no record (nothing is created).
    /// </summary>
    ValueTask<ConsentRecord?> RevokeAsync(string organizationId, string number, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>An opt-in (or, once <see cref="OptedOutAt"/> is set, an opt-out) of one recipient.
/// <see cref="OptedInAt"/> is null for the opt-out of someone who never opted in (an inbound STOP
/// from a number with no record).</summary>
public sealed record ConsentRecord(string Number, string Source, DateTimeOffset? OptedInAt, DateTimeOffset? OptedOutAt = null)
{
    public bool IsGranted => OptedOutAt is null;

    /// <summary>This record opted out at <paramref name="at"/>, or itself when it already is.</summary>
    public ConsentRecord OptedOut(DateTimeOffset at) => IsGranted ? this with { OptedOutAt = at } : this;
}

/// <summary>One page of consent records in number order.</summary>
public sealed record ConsentPage(IReadOnlyList<ConsentRecord> Records, bool HasMore);

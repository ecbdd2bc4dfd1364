namespace AgentMessage.Core.Compliance;

/// <summary>A sender number an organization owns, with its own dispatch pace when it has one.</summary>
public sealed record OwnedNumberRecord(string Number, double? PacePerSecond = null);

/// <summary>The numbers each organization owns and may send from, and each one's send pace.</summary>
public interface INumberRegistry
{
    ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Makes the number owned, leaving a pace it already has as it is. A number has one owner:
    /// false, and nothing changed, when another organization owns it.</summary>
    ValueTask<bool> AddAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Makes the number owned with exactly this pace (null: the configured pace). False, and
    /// nothing changed, when another organization owns it.</summary>
    ValueTask<bool> PutAsync(string organizationId, OwnedNumberRecord number, CancellationToken cancellationToken);

    /// <summary>False when the organization did not own the number. Frees the number for others.</summary>
    ValueTask<bool> RemoveAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>The owned number with its pace, or null when not owned.</summary>
    ValueTask<OwnedNumberRecord?> GetAsync(string organizationId, string number, CancellationToken cancellationToken);

    /// <summary>Every number of the organization, in ordinal order.</summary>
    ValueTask<IReadOnlyList<OwnedNumberRecord>> ListAsync(string organizationId, CancellationToken cancellationToken);

    /// <summary>The organization that owns the number (inbound messages find theirs this way); null when none does.</summary>
    ValueTask<string?> FindOwnerAsync(string number, CancellationToken cancellationToken);
}

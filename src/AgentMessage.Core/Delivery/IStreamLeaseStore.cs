namespace AgentMessage.Core.Delivery;

/// <summary>One open stream's place in its key's and its organization's count.</summary>
public readonly record struct StreamLease(string OrganizationId, string KeyId, string Id);

/// <summary>Which maximum refused a stream.</summary>
public enum StreamCap
{
    /// <summary>The API key holds <see cref="StreamOptions.MaxPerKey"/> streams.</summary>
    Key,

    /// <summary>The organization holds <see cref="StreamOptions.MaxPerOrganization"/> streams.</summary>
    Organization,
}

/// <summary>
/// The open streams of every instance sharing the store, counted per API key and per organization.
/// A lease lives until it is released or until its expiry passes without renewal, so the streams of
/// an instance that died stop counting once their leases run out.
/// </summary>
public interface IStreamLeaseStore
{
    /// <summary>Takes <paramref name="lease"/>, valid until <paramref name="expiresAt"/>, unless its key
    /// already holds <paramref name="maxPerKey"/> or its organization <paramref name="maxPerOrganization"/>
    /// leases unexpired at <paramref name="now"/>: then nothing is taken and the cap is returned.</summary>
    ValueTask<StreamCap?> TryAcquireAsync(StreamLease lease, int maxPerKey, int maxPerOrganization, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Moves the expiry of leases still held to <paramref name="expiresAt"/>; a lease already
    /// released or expired stays gone.</summary>
    ValueTask RenewAsync(IReadOnlyCollection<StreamLease> leases, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    ValueTask ReleaseAsync(StreamLease lease, CancellationToken cancellationToken);
}

using System.Collections.Concurrent;
using System.Globalization;
using AgentMessage.Core.Access;
using AgentMessage.Core.Refusals;
using AgentMessage.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// This instance's open StreamStatus streams, and what may end them from outside: each stream
/// holds a lease in <see cref="IStreamLeaseStore"/> (so the per-key and per-organization caps count
/// the streams of every instance), and ends with a refusal as its last word when its API key is
/// revoked (<see cref="EndKey"/> at once on this instance; <see cref="CheckCredentialsAsync"/> for
/// revocations made elsewhere) or when the server shuts down (<see cref="EndAll"/>).
/// </summary>
public sealed partial class OpenStreams(IStreamLeaseStore leases, IApiKeyStore keys, IOptions<StreamOptions> options, AgentMessageTelemetry telemetry, TimeProvider time, ILogger<OpenStreams> logger)
{
    /// <summary>How long a lease counts without renewal: the streams of an instance that died stop
    /// counting at most this long after it stopped renewing.</summary>
    public static readonly TimeSpan LeaseLifetime = TimeSpan.FromSeconds(30);

    /// <summary>How often this instance renews the leases of its streams.</summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(10);

    /// <summary>The retry delay of a stream refused by a cap.</summary>
    public static readonly TimeSpan CapRetryAfter = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<OpenStream, byte> open = new();
    private Refusal? closing;

    /// <summary>Streams open on this instance.</summary>
    public int Count => open.Count;

    /// <summary>The refusal a stream of a key that is no longer active ends with.</summary>
    public static Refusal KeyNoLongerValid { get; } = new(RefusalKind.Unauthorized, "the API key of this stream was revoked");

    /// <summary>
    /// Counts a new stream of <paramref name="caller"/>, or refuses it: <c>RATE_LIMITED</c> when its
    /// key or organization holds its maximum of open streams, the closing refusal once
    /// <see cref="EndAll"/> was called. The stream's <see cref="OpenStream.Token"/> fires when the
    /// client goes away (<paramref name="cancellationToken"/>) or something ends the stream.
    /// </summary>
    public async ValueTask<OpenStream> OpenAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref closing) is { } refusal)
        {
            throw new RefusalException(refusal);
        }

        var settings = options.Value;
        var lease = new StreamLease(caller.OrganizationId, caller.KeyId, Guid.NewGuid().ToString("N"));
        var now = time.GetUtcNow();
        if (await leases.TryAcquireAsync(lease, settings.MaxPerKey, settings.MaxPerOrganization, now, now + LeaseLifetime, cancellationToken) is { } cap)
        {
            throw new RefusalException(CapReached(cap, settings));
        }

        var stream = new OpenStream(this, lease, caller.KeyHash, cancellationToken);
        if (open.TryAdd(stream, 0))
        {
            telemetry.StreamOpened();
        }

        // The server may have begun to close while the lease was taken.
        if (Volatile.Read(ref closing) is { } late)
        {
            stream.End(late);
        }

        return stream;
    }

    /// <summary>Ends this instance's streams of the key <paramref name="keyId"/> (just revoked here).</summary>
    public void EndKey(string keyId)
    {
        foreach (var stream in open.Keys)
        {
            if (string.Equals(stream.Lease.KeyId, keyId, StringComparison.Ordinal))
            {
                stream.End(KeyNoLongerValid);
            }
        }
    }

    /// <summary>Ends every open stream with <paramref name="reason"/> and refuses new ones with it.</summary>
    public void EndAll(Refusal reason)
    {
        Interlocked.CompareExchange(ref closing, reason, null);
        foreach (var stream in open.Keys)
        {
            stream.End(reason);
        }
    }

    /// <summary>
    /// Reads the keys of the open streams from the key store itself and ends the streams of keys
    /// that are revoked or gone (a revocation on another instance, or state that was lost). A store
    /// that cannot be reached leaves the streams open until the next check.
    /// </summary>
    public async Task CheckCredentialsAsync(CancellationToken cancellationToken)
    {
        var streams = open.Keys.ToList();
        if (streams.Count == 0)
        {
            return;
        }

        var hashes = streams.Select(s => s.KeyHash).Distinct(StringComparer.Ordinal).ToList();
        IReadOnlyList<ApiKeyRecord?> found;
        try
        {
            found = await keys.FindCurrentAsync(hashes, cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            return;
        }

        var active = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < hashes.Count; i++)
        {
            if (found[i] is { IsActive: true } key)
            {
                active.Add(key.Hash);
            }
        }

        foreach (var stream in streams)
        {
            if (!active.Contains(stream.KeyHash))
            {
                LogKeyNoLongerValid(stream.Lease.OrganizationId, stream.Lease.KeyId);
                stream.End(KeyNoLongerValid);
            }
        }
    }

    /// <summary>Renews the leases of this instance's open streams.</summary>
    public async Task RenewLeasesAsync(CancellationToken cancellationToken)
    {
        var held = open.Keys.Select(s => s.Lease).ToList();
        if (held.Count > 0)
        {
            await leases.RenewAsync(held, time.GetUtcNow() + LeaseLifetime, cancellationToken);
        }
    }

    internal async ValueTask CloseAsync(OpenStream stream)
    {
        if (!open.TryRemove(stream, out _))
        {
            return;
        }

        telemetry.StreamClosed();

        try
        {
            await leases.ReleaseAsync(stream.Lease, CancellationToken.None);
        }
        catch (StoreUnavailableException)
        {
            // The lease runs out by itself.
        }
    }

    private static Refusal CapReached(StreamCap cap, StreamOptions settings)
    {
        var (scope, limit) = cap == StreamCap.Key ? ("api_key", settings.MaxPerKey) : ("organization", settings.MaxPerOrganization);
        var message = cap == StreamCap.Key
            ? $"this API key already has {limit} open streams"
            : $"this organization already has {limit} open streams";
        return new Refusal(RefusalKind.RateLimited, message, new Dictionary<string, string>
        {
            ["limit"] = limit.ToString(CultureInfo.InvariantCulture),
            ["scope"] = scope,
        })
        {
            RetryAfter = CapRetryAfter,
        };
    }

    [LoggerMessage(LogLevel.Information, "Ending a status stream of organization {OrganizationId}: API key {KeyId} is no longer active")]
    private partial void LogKeyNoLongerValid(string organizationId, string keyId);
}

/// <summary>
/// One open stream's lease. <see cref="Token"/> fires when the client goes away or when something
/// ends the stream; then <see cref="EndReason"/> says why (null: the client left). Disposing it
/// releases the lease.
/// </summary>
public sealed class OpenStream : IAsyncDisposable
{
    private readonly OpenStreams owner;
    private readonly CancellationTokenSource ending;
    private Refusal? endReason;

    internal OpenStream(OpenStreams owner, StreamLease lease, string keyHash, CancellationToken client)
    {
        this.owner = owner;
        Lease = lease;
        KeyHash = keyHash;
        ending = CancellationTokenSource.CreateLinkedTokenSource(client);
    }

    public StreamLease Lease { get; }

    internal string KeyHash { get; }

    public CancellationToken Token => ending.Token;

    /// <summary>Why the stream was ended from outside, once it was; the stream's last word.</summary>
    public Refusal? EndReason => Volatile.Read(ref endReason);

    internal void End(Refusal reason)
    {
        if (Interlocked.CompareExchange(ref endReason, reason, null) is null)
        {
            try
            {
                ending.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Closed meanwhile: nothing is left to end.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await owner.CloseAsync(this);
        ending.Dispose();
    }
}

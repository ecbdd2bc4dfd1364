namespace AgentMessage.Core.Refusals;

/// <summary>
/// A store this instance depends on (Redis, the object store) cannot be reached. Thrown by the
/// infrastructure, never by the domain's own rules; each edge answers it as <c>UNAVAILABLE</c> with
/// <see cref="RetryAfter"/>, and background work retries later.
/// </summary>
public sealed class StoreUnavailableException(string store, TimeSpan retryAfter, Exception? cause = null)
    : Exception($"{store} is unavailable", cause)
{
    public string Store { get; } = store;

    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>The refusal a caller is given.</summary>
    public Refusal ToRefusal() => new(RefusalKind.Unavailable) { RetryAfter = RetryAfter };
}

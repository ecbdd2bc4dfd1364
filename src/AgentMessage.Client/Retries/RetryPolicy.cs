using Grpc.Core;

namespace AgentMessage.Client.Retries;

/// <summary>How a call may be repeated after a failure.</summary>
internal enum Repeat
{
    /// <summary>Running it twice may do something twice: never retried.</summary>
    Never,

    /// <summary>A read, or a call whose effect is the same however often it runs.</summary>
    Safe,

    /// <summary>A call the server deduplicates by the idempotency key it carries (sends, upload slots).</summary>
    Keyed,
}

/// <summary>
/// Decides whether and when a failed call is tried again: which errors, how many attempts, how long
/// to wait (backoff with jitter, never shorter than the server's hint, never longer than MaxDelay).
/// </summary>
internal sealed class RetryPolicy(AgentMessageRetryOptions options, TimeProvider time)
{
    private const string RateLimited = "RATE_LIMITED";
    private const string IdempotencyInProgress = "IDEMPOTENCY_IN_PROGRESS";
    private const string MmsDisabled = "MMS_DISABLED";

    public AgentMessageRetryOptions Options => options;

    public TimeProvider Time => time;

    /// <summary>The wait before attempt <paramref name="failedAttempts"/> + 1 of a unary call, or null: throw the error.</summary>
    public TimeSpan? DelayBeforeRetry(RpcException error, Repeat repeat, int failedAttempts)
    {
        if (repeat == Repeat.Never || failedAttempts >= options.MaxAttempts || !IsTransient(error, repeat == Repeat.Keyed))
        {
            return null;
        }

        return Delay(error, failedAttempts);
    }

    /// <summary>The wait before reconnecting a status stream after its <paramref name="failures"/>-th failure in a row, or null: throw.</summary>
    public TimeSpan? DelayBeforeReconnect(RpcException? error, int failures)
    {
        if (failures > options.MaxStreamReconnects)
        {
            return null;
        }

        if (error is null)
        {
            // The stream ended without a status: the connection went away under it.
            return Backoff(failures);
        }

        if (!IsTransient(error, keyed: false) && !IsTransportFailure(error))
        {
            return null;
        }

        return Delay(error, failures);
    }

    /// <summary>An outage, a rate limit, or (keyed calls) the first attempt still running on the server.</summary>
    internal static bool IsTransient(RpcException error, bool keyed) => error.StatusCode switch
    {
        // MMS switched off is a setting, not an outage: asking again changes nothing.
        StatusCode.Unavailable => ServerError.ReasonOf(error) != MmsDisabled,

        // Only the server's rate limit: a message over the client's own size limit is also RESOURCE_EXHAUSTED.
        StatusCode.ResourceExhausted => ServerError.ReasonOf(error) == RateLimited,

        // The earlier attempt whose answer was lost is still running: its answer will be replayed.
        StatusCode.Aborted => keyed && ServerError.ReasonOf(error) == IdempotencyInProgress,
        _ => false,
    };

    /// <summary>A stream cut by the transport (a reset connection) rather than ended by the server.</summary>
    private static bool IsTransportFailure(RpcException error) =>
        error.StatusCode == StatusCode.Internal && error.Status.DebugException is IOException or HttpRequestException;

    private TimeSpan? Delay(RpcException error, int failures)
    {
        var backoff = Backoff(failures);
        if (ServerError.RetryDelayOf(error, time) is not { } hint)
        {
            return backoff;
        }

        // Retrying before the server's hint would only be refused again; a hint beyond the bound
        // is the caller's decision, not a wait hidden inside a call.
        return hint > options.MaxDelay ? null : hint > backoff ? hint : backoff;
    }

    /// <summary>Exponential backoff with "equal jitter": between half and all of InitialBackoff x 2^(n-1), capped by MaxDelay.</summary>
    internal TimeSpan Backoff(int failures)
    {
        var exponent = Math.Min(failures - 1, 30);
        var ceiling = Math.Min(options.InitialBackoff.Ticks * Math.Pow(2, exponent), options.MaxDelay.Ticks);
        var half = ceiling / 2;
        return TimeSpan.FromTicks((long)(half + (Random.Shared.NextDouble() * half)));
    }
}

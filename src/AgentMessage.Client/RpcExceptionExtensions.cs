using AgentMessage.Client.Retries;
using Grpc.Core;

namespace AgentMessage.Client;

/// <summary>Reads the AgentMessage error carried by a failed call.</summary>
public static class RpcExceptionExtensions
{
    /// <summary>
    /// The error code of the API's error table (<c>ErrorInfo.reason</c>: <c>CONSENT_REQUIRED</c>,
    /// <c>VALIDATION_FAILED</c>, <c>RATE_LIMITED</c>, ...), or null when the error did not come
    /// from an AgentMessage server (a transport failure, a proxy).
    /// </summary>
    /// <param name="exception">The failed call's exception.</param>
    /// <returns>The code, or null.</returns>
    public static string? GetErrorCode(this RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return ServerError.ReasonOf(exception);
    }

    /// <summary>
    /// How long the server asked the caller to wait before trying again (<c>google.rpc.RetryInfo</c>,
    /// else <c>retry-after</c>), or null when it gave no hint.
    /// </summary>
    /// <param name="exception">The failed call's exception.</param>
    /// <returns>The delay, or null.</returns>
    public static TimeSpan? GetRetryDelay(this RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return ServerError.RetryDelayOf(exception, TimeProvider.System);
    }
}

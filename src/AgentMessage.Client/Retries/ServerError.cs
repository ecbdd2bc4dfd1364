using System.Globalization;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;

namespace AgentMessage.Client.Retries;

/// <summary>
/// What the server said about a failed call, read from the <c>google.rpc.Status</c> it sends in
/// <c>grpc-status-details-bin</c> (ErrorInfo, RetryInfo) and from the <c>retry-after</c> metadata.
/// </summary>
internal static class ServerError
{
    private const string StatusDetailsKey = "grpc-status-details-bin";
    private const string RetryAfterKey = "retry-after";

    /// <summary>The <c>ErrorInfo.reason</c> (e.g. <c>RATE_LIMITED</c>), or null when the error carries none.</summary>
    public static string? ReasonOf(RpcException error)
    {
        var status = StatusOf(error);
        if (status is null)
        {
            return null;
        }

        foreach (var detail in status.Details)
        {
            if (detail.Is(ErrorInfo.Descriptor))
            {
                return detail.Unpack<ErrorInfo>().Reason;
            }
        }

        return null;
    }

    /// <summary>The server's retry hint: <c>RetryInfo.retry_delay</c>, else <c>retry-after</c> (seconds or an HTTP date); null when neither is there.</summary>
    public static TimeSpan? RetryDelayOf(RpcException error, TimeProvider time)
    {
        if (StatusOf(error) is { } status)
        {
            foreach (var detail in status.Details)
            {
                if (detail.Is(RetryInfo.Descriptor) && detail.Unpack<RetryInfo>().RetryDelay is { } delay)
                {
                    var span = delay.ToTimeSpan();
                    return span < TimeSpan.Zero ? TimeSpan.Zero : span;
                }
            }
        }

        var retryAfter = error.Trailers.GetValue(RetryAfterKey)?.Trim();
        if (string.IsNullOrEmpty(retryAfter))
        {
            return null;
        }

        if (int.TryParse(retryAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (DateTimeOffset.TryParseExact(retryAfter, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static Google.Rpc.Status? StatusOf(RpcException error)
    {
        var entry = error.Trailers.Get(StatusDetailsKey);
        if (entry is not { IsBinary: true })
        {
            return null;
        }

        try
        {
            return Google.Rpc.Status.Parser.ParseFrom(entry.ValueBytes);
        }
        catch (InvalidProtocolBufferException)
        {
            // A proxy's or another server's bytes: no hint to honour, the error stands as it is.
            return null;
        }
    }
}

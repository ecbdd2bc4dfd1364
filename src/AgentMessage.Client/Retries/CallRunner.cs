using System.Runtime.ExceptionServices;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentMessage.Client.Retries;

/// <summary>
/// Runs unary calls with the client's credentials, an idempotency key where one applies, and the
/// retry policy; owns the channel.
/// </summary>
internal sealed class CallRunner : IDisposable
{
    private const string IdempotencyKeyHeader = "idempotency-key";

    private readonly string authorization;

    public CallRunner(AgentMessageConnectionOptions options, string credential)
    {
        options.Validate();
        authorization = $"Bearer {credential}";
        Policy = new RetryPolicy(options.Retry, options.TimeProvider ?? TimeProvider.System);
        Channel = GrpcChannel.ForAddress(options.Endpoint!, new GrpcChannelOptions
        {
            HttpHandler = options.HttpHandler ?? new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,

                // Finds a dead connection under an idle stream, so the stream reconnects.
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            },

            // Not ThrowOperationCanceledOnCancellation: with it, grpc-dotnet reports a stream whose
            // connection could not be made as a bare cancellation, hiding the UNAVAILABLE to retry on.
            // The caller's own cancellation is turned into OperationCanceledException here instead.
        });
    }

    public GrpcChannel Channel { get; }

    public RetryPolicy Policy { get; }

    /// <summary>Call options carrying the credentials (and the idempotency key, when given).</summary>
    public CallOptions Options(CancellationToken cancellationToken, string? idempotencyKey = null)
    {
        var headers = new Metadata { { "authorization", authorization } };
        if (idempotencyKey is not null)
        {
            headers.Add(IdempotencyKeyHeader, idempotencyKey);
        }

        return new CallOptions(headers, cancellationToken: cancellationToken);
    }

    /// <summary>Runs <paramref name="call"/>, again after a transient failure when <paramref name="repeat"/> allows.</summary>
    public async Task<TResponse> UnaryAsync<TResponse>(Func<CallOptions, AsyncUnaryCall<TResponse>> call, Repeat repeat, CancellationToken cancellationToken, string? idempotencyKey = null)
    {
        var options = Options(cancellationToken, idempotencyKey);
        for (var failures = 0; ; )
        {
            cancellationToken.ThrowIfCancellationRequested();
            RpcException error;
            try
            {
                using var pending = call(options);
                return await pending.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The call was cancelled.", exception, cancellationToken);
            }
            catch (RpcException exception)
            {
                error = exception;
            }

            failures++;
            var delay = Policy.DelayBeforeRetry(error, repeat, failures);
            if (delay is null)
            {
                ExceptionDispatchInfo.Throw(error);
            }

            await Task.Delay(delay.Value, Policy.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => Channel.Dispose();
}

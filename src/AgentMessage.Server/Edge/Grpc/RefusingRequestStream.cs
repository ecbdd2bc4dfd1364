using AgentMessage.Core.Refusals;
using Google.Protobuf;
using Grpc.Core;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>
/// The request stream of a client-streaming or duplex call (server reflection is one, and public),
/// with a fault in what the client sent turned into a refusal: grpc-dotnet reads each message as
/// the service asks for it, and a bad frame, bad compression or bad protobuf would otherwise reach
/// the framework as an exception of the service's, answered <c>UNKNOWN</c> with an error-level
/// stack trace. <see cref="RequestMessageGuard"/> does the same for a single request message, before
/// the call starts.
/// </summary>
/// <remarks>Everything grpc-dotnet's reader throws, other than for a cancelled call, comes from
/// the bytes the client sent: protobuf's parser, the decompressor (an <see cref="InvalidDataException"/>,
/// as for a compressed flag other than 0 or 1), the frame reader (an <see cref="RpcException"/>, or
/// an <see cref="IOException"/> for a length over 2 GiB).</remarks>
public sealed class RefusingRequestStream<TRequest>(IAsyncStreamReader<TRequest> inner, ServerCallContext context) : IAsyncStreamReader<TRequest>
{
    private static readonly Refusal Framing = new(RefusalKind.BadRequest, "request stream must be a sequence of gRPC messages");
    private static readonly Refusal TooLarge = new(RefusalKind.PayloadTooLarge, $"request must be at most {ApiCallInterceptor.MaxFrameBytes} bytes");

    public TRequest Current => inner.Current;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        try
        {
            return await inner.MoveNext(cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested && RefusalOf(exception) is { } refusal)
        {
            throw new RefusalException(refusal);
        }
    }

    private static Refusal? RefusalOf(Exception exception) => exception switch
    {
        InvalidProtocolBufferException => RequestMessageGuard.Malformed,
        RpcException { StatusCode: StatusCode.ResourceExhausted } or IOException => TooLarge,
        RpcException { StatusCode: StatusCode.Unimplemented } => RequestMessageGuard.UnsupportedEncoding,
        RpcException or InvalidDataException => Framing,
        _ => null,
    };
}

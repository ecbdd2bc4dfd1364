using System.IO.Pipelines;
using AgentMessage.Core.Refusals;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>
/// Ends a unary call with a refusal without throwing, on the wire exactly as a thrown
/// <see cref="RpcException"/> would: the same status, message, grpc-status-details-bin and metadata,
/// in a trailers-only response. A refusal is an expected answer on the hot path (an organization at
/// its rate limit is refused thousands of times a second), and an exception costs more server CPU
/// than the refused call itself, once thrown and rethrown at every await up to the framework.
/// </summary>
public static class CallRefusal
{
    /// <summary>
    /// Records <paramref name="failure"/> as this call's outcome and returns an empty response to
    /// hand back to the framework in place of an answer (grpc-dotnet refuses a null one).
    /// </summary>
    /// <remarks>
    /// <para>grpc-dotnet sends <see cref="ServerCallContext.Status"/>, with
    /// <see cref="ServerCallContext.ResponseTrailers"/>, when a unary method returns, but writes the
    /// returned message first; a thrown RpcException sends no message, and the status in the
    /// response headers (trailers-only). So the message is written into a discarding body: the
    /// response has not started when grpc-dotnet ends the call, and it puts the status in the
    /// headers as for a throw.</para>
    /// <para>JSON transcoding turns a status other than OK back into a thrown RpcException. It is
    /// left OK there: the REST facade answers a transcoded call that recorded a failure with the
    /// error envelope, whatever transcoding wrote (here, the empty response).</para>
    /// </remarks>
    public static TResponse Refuse<TResponse>(this ServerCallContext context, Refusal failure)
        where TResponse : class
    {
        var http = context.GetHttpContext();
        if (!GrpcRequest.IsTranscoded(http))
        {
            var status = GrpcRefusals.Record(http, failure);
            context.Status = new Status((StatusCode)status.Code, status.Message);
            context.ResponseTrailers.SetRpcStatus(status);
            http.Features.Set<IHttpResponseBodyFeature>(new DiscardingBody());
        }
        else
        {
            EdgeRefusals.Record(http, failure);
        }

        return Unanswered<TResponse>.Response;
    }

    /// <summary>One empty message per response type (every protobuf message has a parameterless
    /// constructor); never filled in, and what it serializes to is never sent.</summary>
    private static class Unanswered<TResponse>
        where TResponse : class
    {
        public static readonly TResponse Response = Activator.CreateInstance<TResponse>();
    }

    /// <summary>A response body that drops what is written: the refused call's unused message.</summary>
    private sealed class DiscardingBody : IHttpResponseBodyFeature
    {
        public Stream Stream => Stream.Null;

        public PipeWriter Writer { get; } = new DiscardingWriter();

        public void DisableBuffering()
        {
        }

        public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task CompleteAsync() => Task.CompletedTask;
    }

    private sealed class DiscardingWriter : PipeWriter
    {
        private byte[] buffer = [];

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            var size = Math.Max(sizeHint, 64);
            if (buffer.Length < size)
            {
                buffer = new byte[size];
            }

            return buffer;
        }

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => default;

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }
    }
}

using System.Buffers;
using Google.Protobuf.Reflection;

namespace AgentMessage.Server.Edge.Rest;

/// <summary>
/// The response body of a server-streaming REST call. Until the first write it cannot tell a stream
/// from an error; at the first write, a call that is succeeding (or whose headers already went
/// out) becomes newline-delimited JSON passed straight through, one rewritten line per event and
/// flushed per line, while a call that failed before it started is held so the facade can answer
/// with the envelope and status instead. A failure after the start ends the stream with one last
/// line: the envelope's error object.
/// </summary>
internal sealed class StreamingCapture(HttpContext context, Stream inner, MessageDescriptor line) : Stream
{
    private readonly ArrayBufferWriter<byte> pending = new();
    private readonly ArrayBufferWriter<byte> output = new();
    private bool decided;

    public bool IsPassingThrough { get; private set; }

    /// <summary>What was written while the call was failing.</summary>
    public ReadOnlyMemory<byte> Held => pending.WrittenMemory;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!decided)
        {
            decided = true;
            IsPassingThrough = context.Response.HasStarted ||
                (context.Response.StatusCode == StatusCodes.Status200OK && CallState.Of(context).Refusal is null);
        }

        pending.Write(buffer.Span);
        if (IsPassingThrough)
        {
            await DrainLinesAsync(cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous writes are not allowed");

    public override Task FlushAsync(CancellationToken cancellationToken) => IsPassingThrough ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

    public override void Flush()
    {
    }

    public async Task FlushRemainderAsync(CancellationToken cancellationToken)
    {
        if (pending.WrittenCount > 0)
        {
            await WriteLineAsync(pending.WrittenMemory, cancellationToken);
            pending.ResetWrittenCount();
        }

        await inner.FlushAsync(cancellationToken);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private async Task DrainLinesAsync(CancellationToken cancellationToken)
    {
        var consumed = 0;
        int newline;
        while ((newline = pending.WrittenSpan[consumed..].IndexOf((byte)'\n')) >= 0)
        {
            await WriteLineAsync(pending.WrittenMemory.Slice(consumed, newline), cancellationToken);
            consumed += newline + 1;
        }

        if (consumed > 0)
        {
            // Transcoding writes whole lines, so there is rarely a partial one to keep.
            var rest = pending.WrittenSpan[consumed..].ToArray();
            pending.ResetWrittenCount();
            pending.Write(rest);
        }

        await inner.FlushAsync(cancellationToken);
    }

    private async Task WriteLineAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        if (json.Span.Trim((byte)' ').IsEmpty)
        {
            return;
        }

        output.ResetWrittenCount();
        if (CallState.Of(context).Refusal is { } failure)
        {
            // Transcoding's closing google.rpc.Status line, after the stream had started.
            RestEnvelope.WriteError(output, context, failure.Kind, failure.Message, failure.Details);
        }
        else
        {
            ProtoJsonEnums.WriteOutgoing(json.Span, line, output);
        }

        output.Write("\n"u8);
        await inner.WriteAsync(output.WrittenMemory, cancellationToken);
    }
}

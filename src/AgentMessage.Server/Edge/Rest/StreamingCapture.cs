using System.Buffers;
using Google.Protobuf.Reflection;

namespace AgentMessage.Server.Edge.Rest;

/// <summary>
/// The response body of a server-streaming REST call. Until the first write it cannot tell a stream
/// from an error; at the first write, a call that is succeeding (or whose headers already went
/// out) becomes newline-delimited JSON passed straight through, one rewritten line per event and
/// flushed per line, while a call that failed before it started is held so the facade can answer
/// with the envelope and status instead. A failure after the start ends the stream with one last
/// line: the envelope's error object. A flush before the first line (the stream subscribed) decides
/// the same way and sends the headers at once; heartbeat lines go straight out between events.
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
        Decide();
        pending.Write(buffer.Span);
        if (IsPassingThrough)
        {
            await DrainLinesAsync(cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous writes are not allowed");

    /// <summary>
    /// A flush before the first line is the stream announcing itself (the service flushes once it
    /// is subscribed): a call that is succeeding starts passing through and sends its status and
    /// headers now, not with its first event.
    /// </summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!decided && Decide())
        {
            await context.Response.StartAsync(cancellationToken);
        }

        if (IsPassingThrough)
        {
            await inner.FlushAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Writes a heartbeat line, <c>{"heartbeat":"&lt;RFC 3339 time&gt;"}</c>, and flushes it, so an idle
    /// stream is not cut by a proxy; nothing before the stream has started. Never called while
    /// transcoding writes (the service writes one thing at a time).
    /// </summary>
    public async Task WriteHeartbeatAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (!IsPassingThrough)
        {
            return;
        }

        output.ResetWrittenCount();
        using (var writer = new System.Text.Json.Utf8JsonWriter(output, RestEnvelope.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("heartbeat", at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        output.Write("\n"u8);
        await inner.WriteAsync(output.WrittenMemory, cancellationToken);
        await inner.FlushAsync(cancellationToken);
    }

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

    /// <summary>At the first write or flush: pass through a call that is succeeding (or whose
    /// headers already went out), hold one that failed before it started.</summary>
    private bool Decide()
    {
        if (!decided)
        {
            decided = true;
            IsPassingThrough = context.Response.HasStarted ||
                (context.Response.StatusCode == StatusCodes.Status200OK && CallState.Of(context).Refusal is null);
        }

        return IsPassingThrough;
    }

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

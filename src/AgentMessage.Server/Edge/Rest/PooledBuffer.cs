using System.Buffers;

namespace AgentMessage.Server.Edge.Rest;

/// <summary>
/// Bytes collected in an array rented from the shared pool and returned when disposed. The facade
/// copies every REST request and response body once; these keep those copies off the GC heap. It is
/// a write-only stream so that transcoding can serialize into it, and a buffer writer so that JSON
/// can be rewritten into it.
/// </summary>
/// <param name="initialCapacity">What the first write rents; nothing is rented before it.</param>
internal sealed class PooledBuffer(int initialCapacity) : Stream, IBufferWriter<byte>
{
    private byte[] array = [];
    private int written;
    private bool disposed;

    public int WrittenCount => written;

    public ReadOnlyMemory<byte> WrittenMemory => array.AsMemory(0, written);

    public ReadOnlySpan<byte> WrittenSpan => array.AsSpan(0, written);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => written;

    public override long Position { get => written; set => throw new NotSupportedException(); }

    /// <summary>A read-only stream over what was written, valid until this buffer is disposed.</summary>
    public MemoryStream OpenRead() => new(array, 0, written, writable: false);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, array.Length - written);
        written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return array.AsMemory(written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return array.AsSpan(written);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Reserve(buffer.Length);
        buffer.CopyTo(array.AsSpan(written));
        written += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !disposed)
        {
            disposed = true;
            if (array.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(array);
            }

            array = [];
            written = 0;
        }

        base.Dispose(disposing);
    }

    private void Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (array.Length - written >= needed)
        {
            return;
        }

        ObjectDisposedException.ThrowIf(disposed, this);
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(array.Length * 2, initialCapacity), written + needed));
        array.AsSpan(0, written).CopyTo(larger);
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        array = larger;
    }
}

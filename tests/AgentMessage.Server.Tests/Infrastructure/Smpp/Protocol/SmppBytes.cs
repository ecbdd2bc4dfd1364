using System.Buffers;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol;

/// <summary>Byte helpers for the SMPP protocol tests.</summary>
internal static class SmppBytes
{
    /// <summary>Bytes from hex written with any spacing: "00000010 00000015".</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    /// <summary>The bytes as one sequence of several segments, cut at <paramref name="cuts"/>.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, params int[] cuts)
    {
        int[] bounds = [0, .. cuts, bytes.Length];
        Segment first = new(bytes.AsMemory(bounds[0], bounds[1] - bounds[0]), 0);
        Segment last = first;
        for (int i = 1; i < bounds.Length - 1; i++)
        {
            last = last.Append(bytes.AsMemory(bounds[i], bounds[i + 1] - bounds[i]));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

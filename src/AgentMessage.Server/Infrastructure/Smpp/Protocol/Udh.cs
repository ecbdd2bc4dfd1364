using System.Buffers.Binary;

namespace AgentMessage.Server.Infrastructure.Smpp.Protocol;

/// <summary>
/// The user data header of a short_message (3GPP TS 23.040 9.2.3.24), as far as concatenation goes,
/// and its SMPP alternative, the sar_* optional parameters.
/// </summary>
public static class Udh
{
    /// <summary>esm_class bit that says short_message starts with a user data header (UDHI).</summary>
    public const byte UdhiFlag = 0x40;

    /// <summary>Information element: concatenated message, 8-bit reference.</summary>
    public const byte ConcatIe8 = 0x00;

    /// <summary>Information element: concatenated message, 16-bit reference.</summary>
    public const byte ConcatIe16 = 0x08;

    /// <summary>The length of the header <see cref="WithConcat"/> writes.</summary>
    public const int ConcatHeaderLength = 6;

    /// <summary>
    /// <paramref name="payload"/> behind a header holding one 8-bit-reference concatenation element:
    /// <c>05 00 03 reference total part</c>. Send it with <see cref="UdhiFlag"/> in esm_class.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="total"/> is 0, or
    /// <paramref name="part"/> is not 1 to <paramref name="total"/>.</exception>
    public static byte[] WithConcat(ReadOnlySpan<byte> payload, byte reference, byte total, byte part)
    {
        ArgumentOutOfRangeException.ThrowIfZero(total);
        ArgumentOutOfRangeException.ThrowIfZero(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(part, total);

        byte[] message = new byte[ConcatHeaderLength + payload.Length];
        message[0] = ConcatHeaderLength - 1;
        message[1] = ConcatIe8;
        message[2] = 3;
        message[3] = reference;
        message[4] = total;
        message[5] = part;
        payload.CopyTo(message.AsSpan(ConcatHeaderLength));
        return message;
    }

    /// <summary>
    /// Reads the concatenation element of the header that starts <paramref name="shortMessage"/> (call it
    /// when esm_class has <see cref="UdhiFlag"/>): true with the reference, total and 1-based part when
    /// there is a sane one (total at least 1, part 1 to total; of several, the last counts, as 23.040
    /// asks). <paramref name="payloadOffset"/> is where the text starts, just past the header, whenever
    /// the header is well formed, concatenation or not; when it is not (its length or an element's runs
    /// past the end), false with <paramref name="payloadOffset"/> 0.
    /// </summary>
    public static bool TryReadConcat(ReadOnlySpan<byte> shortMessage, out int reference, out int total, out int part, out int payloadOffset)
    {
        reference = total = part = payloadOffset = 0;
        if (shortMessage.IsEmpty || shortMessage[0] + 1 > shortMessage.Length)
        {
            return false;
        }

        int end = shortMessage[0] + 1;
        bool found = false;
        for (int at = 1; at < end;)
        {
            if (at + 2 > end || at + 2 + shortMessage[at + 1] > end)
            {
                reference = total = part = 0;
                return false;
            }

            byte ie = shortMessage[at];
            ReadOnlySpan<byte> data = shortMessage.Slice(at + 2, shortMessage[at + 1]);
            if (ie == ConcatIe8 && data.Length == 3)
            {
                (reference, total, part, found) = (data[0], data[1], data[2], true);
            }
            else if (ie == ConcatIe16 && data.Length == 4)
            {
                (reference, total, part, found) = (BinaryPrimitives.ReadUInt16BigEndian(data), data[2], data[3], true);
            }

            at += 2 + data.Length;
        }

        payloadOffset = end;
        if (!found || !IsSane(total, part))
        {
            reference = total = part = 0;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Reads concatenation from the sar_msg_ref_num, sar_total_segments and sar_segment_seqnum optional
    /// parameters: true when all three are there with their spec sizes (2, 1 and 1 octets) and sane values.
    /// </summary>
    public static bool TryReadConcat(IReadOnlyList<Tlv> tlvs, out int reference, out int total, out int part)
    {
        reference = total = part = 0;
        if (tlvs.Find(TlvTag.SarMsgRefNum) is { } refTlv && refTlv.TryGetUInt16(out ushort r)
            && tlvs.Find(TlvTag.SarTotalSegments) is { } totalTlv && totalTlv.TryGetByte(out byte t)
            && tlvs.Find(TlvTag.SarSegmentSeqnum) is { } partTlv && partTlv.TryGetByte(out byte p)
            && IsSane(t, p))
        {
            (reference, total, part) = (r, t, p);
            return true;
        }

        return false;
    }

    private static bool IsSane(int total, int part) => total >= 1 && part >= 1 && part <= total;
}

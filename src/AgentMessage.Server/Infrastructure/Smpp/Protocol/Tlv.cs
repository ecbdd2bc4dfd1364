using System.Buffers.Binary;
using System.Text;

namespace AgentMessage.Server.Infrastructure.Smpp.Protocol;

/// <summary>
/// An SMPP optional parameter (tag, length, value; section 3.2.4.1). Equality compares the value's
/// memory, not its bytes: compare <c>Value.Span.SequenceEqual</c> for content.
/// </summary>
public readonly record struct Tlv(ushort Tag, ReadOnlyMemory<byte> Value)
{
    /// <summary>A one-octet integer parameter (message_state, sar_total_segments...).</summary>
    public static Tlv FromByte(ushort tag, byte value) => new(tag, new[] { value });

    /// <summary>A two-octet big-endian integer parameter (sar_msg_ref_num, user_message_reference...).</summary>
    public static Tlv FromUInt16(ushort tag, ushort value)
    {
        byte[] bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return new Tlv(tag, bytes);
    }

    /// <summary>A C-octet string parameter (receipted_message_id...): the text and its NUL.</summary>
    /// <exception cref="ArgumentException">The text has a NUL or a character above U+00FF.</exception>
    public static Tlv FromCString(ushort tag, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        byte[] bytes = new byte[value.Length + 1];
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c is '\0' or > '\u00FF')
            {
                throw new ArgumentException($"A C-octet string cannot hold U+{(int)c:X4}.", nameof(value));
            }

            bytes[i] = (byte)c;
        }

        return new Tlv(tag, bytes);
    }

    /// <summary>Reads a one-octet integer value; false when the value is not exactly one octet.</summary>
    public bool TryGetByte(out byte value)
    {
        value = Value.Length == 1 ? Value.Span[0] : (byte)0;
        return Value.Length == 1;
    }

    /// <summary>Reads a two-octet big-endian value; false when the value is not exactly two octets.</summary>
    public bool TryGetUInt16(out ushort value)
    {
        value = Value.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(Value.Span) : (ushort)0;
        return Value.Length == 2;
    }

    /// <summary>
    /// Reads a C-octet string value up to its NUL. Lenient: a value without its NUL (some SMSCs
    /// leave it off receipted_message_id) is read whole. Octets are read as Latin-1, so nothing throws.
    /// </summary>
    public string GetCString()
    {
        ReadOnlySpan<byte> span = Value.Span;
        int end = span.IndexOf((byte)0);
        return Encoding.Latin1.GetString(end < 0 ? span : span[..end]);
    }
}

/// <summary>Look-ups in a PDU's optional parameters.</summary>
public static class TlvList
{
    /// <summary>The first parameter with <paramref name="tag"/>, or null when there is none.</summary>
    public static Tlv? Find(this IReadOnlyList<Tlv> tlvs, ushort tag)
    {
        ArgumentNullException.ThrowIfNull(tlvs);
        for (int i = 0; i < tlvs.Count; i++)
        {
            if (tlvs[i].Tag == tag)
            {
                return tlvs[i];
            }
        }

        return null;
    }
}

/// <summary>SMPP 3.4 optional parameter tags (section 5.3.2).</summary>
public static class TlvTag
{
    public const ushort DestAddrSubunit = 0x0005;
    public const ushort DestNetworkType = 0x0006;
    public const ushort DestBearerType = 0x0007;
    public const ushort DestTelematicsId = 0x0008;
    public const ushort SourceAddrSubunit = 0x000D;
    public const ushort SourceNetworkType = 0x000E;
    public const ushort SourceBearerType = 0x000F;
    public const ushort SourceTelematicsId = 0x0010;
    public const ushort QosTimeToLive = 0x0017;
    public const ushort PayloadType = 0x0019;
    public const ushort AdditionalStatusInfoText = 0x001D;
    public const ushort ReceiptedMessageId = 0x001E;
    public const ushort MsMsgWaitFacilities = 0x0030;
    public const ushort PrivacyIndicator = 0x0201;
    public const ushort SourceSubaddress = 0x0202;
    public const ushort DestSubaddress = 0x0203;
    public const ushort UserMessageReference = 0x0204;
    public const ushort UserResponseCode = 0x0205;
    public const ushort SourcePort = 0x020A;
    public const ushort DestinationPort = 0x020B;
    public const ushort SarMsgRefNum = 0x020C;
    public const ushort LanguageIndicator = 0x020D;
    public const ushort SarTotalSegments = 0x020E;
    public const ushort SarSegmentSeqnum = 0x020F;
    public const ushort ScInterfaceVersion = 0x0210;
    public const ushort CallbackNumPresInd = 0x0302;
    public const ushort CallbackNumAtag = 0x0303;
    public const ushort NumberOfMessages = 0x0304;
    public const ushort CallbackNum = 0x0381;
    public const ushort DpfResult = 0x0420;
    public const ushort SetDpf = 0x0421;
    public const ushort MsAvailabilityStatus = 0x0422;
    public const ushort NetworkErrorCode = 0x0423;
    public const ushort MessagePayload = 0x0424;
    public const ushort DeliveryFailureReason = 0x0425;
    public const ushort MoreMessagesToSend = 0x0426;
    public const ushort MessageState = 0x0427;
    public const ushort UssdServiceOp = 0x0501;
    public const ushort DisplayTime = 0x1201;
    public const ushort SmsSignal = 0x1203;
    public const ushort MsValidity = 0x1204;
    public const ushort AlertOnMessageDelivery = 0x130C;
    public const ushort ItsReplyType = 0x1380;
    public const ushort ItsSessionInfo = 0x1383;
}

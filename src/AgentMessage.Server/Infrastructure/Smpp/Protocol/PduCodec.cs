using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace AgentMessage.Server.Infrastructure.Smpp.Protocol;

/// <summary>What <see cref="PduCodec.TryReadFrame"/> found at the start of a buffer.</summary>
public enum FrameResult
{
    /// <summary>Not a whole PDU yet: read more and try again.</summary>
    NeedMore,

    /// <summary>A whole PDU, handed out and skipped.</summary>
    Frame,

    /// <summary>A command_length no PDU can have: the stream cannot be re-synchronised, close it.</summary>
    BadLength,
}

/// <summary>The four header fields as they were on the wire.</summary>
public readonly record struct PduHeader(uint Length, uint CommandId, uint Status, uint Sequence);

/// <summary>
/// The outcome of <see cref="PduCodec.Decode(ReadOnlySequence{byte})"/>: the PDU, or null with the
/// <see cref="CommandStatus"/> to answer with (in a generic_nack carrying the header's sequence).
/// </summary>
public readonly record struct DecodeResult(Pdu? Pdu, PduHeader Header, uint ErrorStatus);

/// <summary>
/// SMPP 3.4 PDUs to and from bytes (sections 3 and 4). Pure: no I/O, and decoding never throws,
/// whatever the bytes.
/// </summary>
/// <remarks>
/// Decoding is strict about structure and lenient about what is harmless:
/// <list type="bullet">
/// <item>A body that ends inside a field, or a C-octet string without its NUL:
/// <see cref="CommandStatus.InvalidCommandLength"/> (command_length disagrees with the body).</item>
/// <item>A C-octet string longer than its field allows: the spec's status for that field where it has
/// one (system_id <see cref="CommandStatus.InvalidSystemId"/>, source_addr
/// <see cref="CommandStatus.InvalidSourceAddress"/>, message_id <see cref="CommandStatus.InvalidMessageId"/>...),
/// else <see cref="CommandStatus.InvalidCommandLength"/>.</item>
/// <item>sm_length over 254 or past the end of the body: <see cref="CommandStatus.InvalidMessageLength"/>.</item>
/// <item>Optional parameters that run past the end of the body:
/// <see cref="CommandStatus.InvalidOptionalParameter"/> (ESME_RINVOPTPARSTREAM, the spec's status for
/// an unreadable optional part).</item>
/// <item>An unknown command_id, and submit_multi (which this link never sends, so never gets a
/// response to): <see cref="CommandStatus.InvalidCommandId"/>.</item>
/// <item>A response with no body at all (the spec lets an error response leave it out; some SMSCs do it
/// on success too) reads with empty fields, so an accepted submission is never taken for a broken one.</item>
/// <item>Octets after the last field of a PDU that has no optional parameters in 3.4 are ignored.</item>
/// </list>
/// The decoded PDU owns its bytes (a copy of the frame's body), so the frame's buffer may be reused.
/// </remarks>
public static class PduCodec
{
    public const int HeaderLength = 16;

    /// <summary>The longest command_length accepted; the spec sets no limit, this bounds what one
    /// peer can make us buffer.</summary>
    public const int MaxLength = 65536;

    /// <summary>The longest short_message (section 4.4.1: sm_length 0 to 254).</summary>
    public const int MaxShortMessageLength = 254;

    // C-octet string field sizes, the NUL included (section 4).
    private const int SystemIdSize = 16;
    private const int PasswordSize = 9;
    private const int SystemTypeSize = 13;
    private const int AddressRangeSize = 41;
    private const int ServiceTypeSize = 6;
    private const int AddressSize = 21;
    private const int LongAddressSize = 65;
    private const int TimeSize = 17;
    private const int MessageIdSize = 65;

    /// <summary>The PDU's bytes, command_length included.</summary>
    /// <exception cref="ArgumentException">A field does not fit its spec size (a C-octet string too long
    /// or holding a NUL or a character above U+00FF, a short_message over 254 octets, a TLV value over
    /// 65535 octets), the whole is over <see cref="MaxLength"/>, or the PDU is of a type this codec does
    /// not write.</exception>
    public static byte[] Encode(Pdu pdu)
    {
        ArgumentNullException.ThrowIfNull(pdu);

        // One pass measures (and validates), the second writes: one exact allocation.
        var measure = new PduWriter([], measuring: true);
        WriteBody(pdu, ref measure);
        int length = HeaderLength + measure.Length;
        if (length > MaxLength)
        {
            throw new ArgumentException($"The PDU is {length} octets, over the {MaxLength} limit.", nameof(pdu));
        }

        byte[] bytes = new byte[length];
        Span<byte> span = bytes;
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)length);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)pdu.Command);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], pdu.Status);
        BinaryPrimitives.WriteUInt32BigEndian(span[12..], pdu.Sequence);
        var writer = new PduWriter(span[HeaderLength..], measuring: false);
        WriteBody(pdu, ref writer);
        return bytes;
    }

    /// <summary>
    /// Takes the first whole PDU off <paramref name="buffer"/>: on <see cref="FrameResult.Frame"/>,
    /// <paramref name="frame"/> is it and <paramref name="buffer"/> is advanced past it; otherwise both
    /// are left alone (<paramref name="frame"/> empty).
    /// </summary>
    public static FrameResult TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < 4)
        {
            return FrameResult.NeedMore;
        }

        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        if (length is < HeaderLength or > MaxLength)
        {
            return FrameResult.BadLength;
        }

        if (buffer.Length < length)
        {
            return FrameResult.NeedMore;
        }

        frame = buffer.Slice(0, length);
        buffer = buffer.Slice(length);
        return FrameResult.Frame;
    }

    /// <summary>Reads one PDU (a frame from <see cref="TryReadFrame"/>). Never throws.</summary>
    public static DecodeResult Decode(ReadOnlySequence<byte> frame)
    {
        if (frame.IsSingleSegment)
        {
            return Decode(frame.FirstSpan);
        }

        Span<byte> head = stackalloc byte[HeaderLength];
        head.Clear();
        frame.Slice(0, Math.Min(frame.Length, HeaderLength)).CopyTo(head);
        PduHeader header = ReadHeader(head);
        if (frame.Length < HeaderLength || frame.Length > MaxLength || header.Length != frame.Length)
        {
            return new DecodeResult(null, header, CommandStatus.InvalidCommandLength);
        }

        return DecodeBody(header, frame.Slice(HeaderLength).ToArray());
    }

    /// <summary>Reads one PDU from contiguous bytes. Never throws.</summary>
    public static DecodeResult Decode(ReadOnlySpan<byte> frame)
    {
        Span<byte> head = stackalloc byte[HeaderLength];
        head.Clear();
        frame[..Math.Min(frame.Length, HeaderLength)].CopyTo(head);
        PduHeader header = ReadHeader(head);
        if (frame.Length < HeaderLength || frame.Length > MaxLength || header.Length != frame.Length)
        {
            return new DecodeResult(null, header, CommandStatus.InvalidCommandLength);
        }

        return DecodeBody(header, frame[HeaderLength..].ToArray());
    }

    private static PduHeader ReadHeader(ReadOnlySpan<byte> head) => new(
        BinaryPrimitives.ReadUInt32BigEndian(head),
        BinaryPrimitives.ReadUInt32BigEndian(head[4..]),
        BinaryPrimitives.ReadUInt32BigEndian(head[8..]),
        BinaryPrimitives.ReadUInt32BigEndian(head[12..]));

    private static DecodeResult DecodeBody(PduHeader header, byte[] body)
    {
        var reader = new PduReader(body);
        Pdu? pdu = (CommandId)header.CommandId switch
        {
            CommandId.GenericNack => new GenericNack(),
            CommandId.BindTransmitter => ReadBind(ref reader, static (s, p, t, v, ton, npi, r) => new BindTransmitter(s, p, t, v, ton, npi, r)),
            CommandId.BindReceiver => ReadBind(ref reader, static (s, p, t, v, ton, npi, r) => new BindReceiver(s, p, t, v, ton, npi, r)),
            CommandId.BindTransceiver => ReadBind(ref reader, static (s, p, t, v, ton, npi, r) => new BindTransceiver(s, p, t, v, ton, npi, r)),
            CommandId.BindTransmitterResp => new BindTransmitterResp(ReadRespSystemId(ref reader)) { Tlvs = reader.Tlvs() },
            CommandId.BindReceiverResp => new BindReceiverResp(ReadRespSystemId(ref reader)) { Tlvs = reader.Tlvs() },
            CommandId.BindTransceiverResp => new BindTransceiverResp(ReadRespSystemId(ref reader)) { Tlvs = reader.Tlvs() },
            CommandId.Outbind => new Outbind(
                reader.CString(SystemIdSize, CommandStatus.InvalidSystemId),
                reader.CString(PasswordSize, CommandStatus.InvalidPassword)),
            CommandId.Unbind => new Unbind(),
            CommandId.UnbindResp => new UnbindResp(),
            CommandId.EnquireLink => new EnquireLink(),
            CommandId.EnquireLinkResp => new EnquireLinkResp(),
            CommandId.SubmitSm => ReadShortMessage(ref reader, new SubmitSm()),
            CommandId.DeliverSm => ReadShortMessage(ref reader, new DeliverSm()),
            CommandId.SubmitSmResp => new SubmitSmResp(ReadRespMessageId(ref reader)),
            CommandId.DeliverSmResp => ReadDeliverSmResp(ref reader),
            CommandId.DataSm => ReadDataSm(ref reader),
            CommandId.DataSmResp => new DataSmResp(ReadRespMessageId(ref reader)) { Tlvs = reader.Tlvs() },
            CommandId.QuerySm => new QuerySm(
                reader.CString(MessageIdSize, CommandStatus.InvalidMessageId),
                reader.Byte(),
                reader.Byte(),
                reader.CString(AddressSize, CommandStatus.InvalidSourceAddress)),
            CommandId.QuerySmResp => ReadQuerySmResp(ref reader),
            CommandId.CancelSm => ReadCancelSm(ref reader),
            CommandId.CancelSmResp => new CancelSmResp(),
            CommandId.ReplaceSm => ReadReplaceSm(ref reader),
            CommandId.ReplaceSmResp => new ReplaceSmResp(),
            CommandId.AlertNotification => ReadAlertNotification(ref reader),
            _ => null,
        };

        if (pdu is null)
        {
            return new DecodeResult(null, header, CommandStatus.InvalidCommandId);
        }

        if (reader.Error != CommandStatus.Ok)
        {
            return new DecodeResult(null, header, reader.Error);
        }

        return new DecodeResult(pdu with { Status = header.Status, Sequence = header.Sequence }, header, CommandStatus.Ok);
    }

    private static T ReadBind<T>(ref PduReader reader, Func<string, string, string, byte, byte, byte, string, T> create) =>
        create(
            reader.CString(SystemIdSize, CommandStatus.InvalidSystemId),
            reader.CString(PasswordSize, CommandStatus.InvalidPassword),
            reader.CString(SystemTypeSize, CommandStatus.InvalidSystemType),
            reader.Byte(),
            reader.Byte(),
            reader.Byte(),
            reader.CString(AddressRangeSize, CommandStatus.InvalidCommandLength));

    // A response's identifier is read leniently, whatever its length and with or without its NUL at
    // the end of the body: SMSCs send system_ids and message_ids longer than SMPP 3.4 allows, and
    // refusing the answer would turn a bind into a refused one or an accepted message into a resend.
    private static string ReadRespSystemId(ref PduReader reader) =>
        reader.AtEnd ? "" : reader.LenientCString();

    private static string ReadRespMessageId(ref PduReader reader) =>
        reader.AtEnd ? "" : reader.LenientCString();

    private static DeliverSmResp ReadDeliverSmResp(ref PduReader reader)
    {
        // message_id is unused here; read it only to check the body is well formed.
        ReadRespMessageId(ref reader);
        return new DeliverSmResp();
    }

    private static T ReadShortMessage<T>(ref PduReader reader, T empty)
        where T : ShortMessagePdu => empty with
        {
            ServiceType = reader.CString(ServiceTypeSize, CommandStatus.InvalidServiceType),
            SourceTon = reader.Byte(),
            SourceNpi = reader.Byte(),
            SourceAddr = reader.CString(AddressSize, CommandStatus.InvalidSourceAddress),
            DestTon = reader.Byte(),
            DestNpi = reader.Byte(),
            DestAddr = reader.CString(AddressSize, CommandStatus.InvalidDestinationAddress),
            EsmClass = reader.Byte(),
            ProtocolId = reader.Byte(),
            PriorityFlag = reader.Byte(),
            ScheduleDeliveryTime = reader.CString(TimeSize, CommandStatus.InvalidScheduledDeliveryTime),
            ValidityPeriod = reader.CString(TimeSize, CommandStatus.InvalidValidityPeriod),
            RegisteredDelivery = reader.Byte(),
            ReplaceIfPresent = reader.Byte(),
            DataCoding = reader.Byte(),
            SmDefaultMsgId = reader.Byte(),
            ShortMessage = reader.ShortMessage(),
            Tlvs = reader.Tlvs(),
        };

    private static DataSm ReadDataSm(ref PduReader reader) => new()
    {
        ServiceType = reader.CString(ServiceTypeSize, CommandStatus.InvalidServiceType),
        SourceTon = reader.Byte(),
        SourceNpi = reader.Byte(),
        SourceAddr = reader.CString(LongAddressSize, CommandStatus.InvalidSourceAddress),
        DestTon = reader.Byte(),
        DestNpi = reader.Byte(),
        DestAddr = reader.CString(LongAddressSize, CommandStatus.InvalidDestinationAddress),
        EsmClass = reader.Byte(),
        RegisteredDelivery = reader.Byte(),
        DataCoding = reader.Byte(),
        Tlvs = reader.Tlvs(),
    };

    private static QuerySmResp ReadQuerySmResp(ref PduReader reader) => reader.AtEnd
        ? new QuerySmResp("", "", 0, 0)
        : new QuerySmResp(
            reader.CString(MessageIdSize, CommandStatus.InvalidMessageId),
            reader.CString(TimeSize, CommandStatus.InvalidCommandLength),
            reader.Byte(),
            reader.Byte());

    private static CancelSm ReadCancelSm(ref PduReader reader) => new()
    {
        ServiceType = reader.CString(ServiceTypeSize, CommandStatus.InvalidServiceType),
        MessageId = reader.CString(MessageIdSize, CommandStatus.InvalidMessageId),
        SourceTon = reader.Byte(),
        SourceNpi = reader.Byte(),
        SourceAddr = reader.CString(AddressSize, CommandStatus.InvalidSourceAddress),
        DestTon = reader.Byte(),
        DestNpi = reader.Byte(),
        DestAddr = reader.CString(AddressSize, CommandStatus.InvalidDestinationAddress),
    };

    private static ReplaceSm ReadReplaceSm(ref PduReader reader) => new()
    {
        MessageId = reader.CString(MessageIdSize, CommandStatus.InvalidMessageId),
        SourceTon = reader.Byte(),
        SourceNpi = reader.Byte(),
        SourceAddr = reader.CString(AddressSize, CommandStatus.InvalidSourceAddress),
        ScheduleDeliveryTime = reader.CString(TimeSize, CommandStatus.InvalidScheduledDeliveryTime),
        ValidityPeriod = reader.CString(TimeSize, CommandStatus.InvalidValidityPeriod),
        RegisteredDelivery = reader.Byte(),
        SmDefaultMsgId = reader.Byte(),
        ShortMessage = reader.ShortMessage(),
    };

    private static AlertNotification ReadAlertNotification(ref PduReader reader) => new()
    {
        SourceTon = reader.Byte(),
        SourceNpi = reader.Byte(),
        SourceAddr = reader.CString(LongAddressSize, CommandStatus.InvalidSourceAddress),
        EsmeTon = reader.Byte(),
        EsmeNpi = reader.Byte(),
        EsmeAddr = reader.CString(LongAddressSize, CommandStatus.InvalidDestinationAddress),
        Tlvs = reader.Tlvs(),
    };

    private static void WriteBody(Pdu pdu, ref PduWriter w)
    {
        switch (pdu)
        {
            case GenericNack or Unbind or UnbindResp or EnquireLink or EnquireLinkResp or CancelSmResp or ReplaceSmResp:
                break;
            case BindPdu bind:
                w.CString(bind.SystemId, SystemIdSize, nameof(bind.SystemId));
                w.CString(bind.Password, PasswordSize, nameof(bind.Password));
                w.CString(bind.SystemType, SystemTypeSize, nameof(bind.SystemType));
                w.Byte(bind.InterfaceVersion);
                w.Byte(bind.AddrTon);
                w.Byte(bind.AddrNpi);
                w.CString(bind.AddressRange, AddressRangeSize, nameof(bind.AddressRange));
                break;
            case BindRespPdu resp:
                w.CString(resp.SystemId, MaxLength, nameof(resp.SystemId));
                w.Tlvs(resp.Tlvs);
                break;
            case Outbind outbind:
                w.CString(outbind.SystemId, SystemIdSize, nameof(outbind.SystemId));
                w.CString(outbind.Password, PasswordSize, nameof(outbind.Password));
                break;
            case ShortMessagePdu sm:
                w.CString(sm.ServiceType, ServiceTypeSize, nameof(sm.ServiceType));
                w.Byte(sm.SourceTon);
                w.Byte(sm.SourceNpi);
                w.CString(sm.SourceAddr, AddressSize, nameof(sm.SourceAddr));
                w.Byte(sm.DestTon);
                w.Byte(sm.DestNpi);
                w.CString(sm.DestAddr, AddressSize, nameof(sm.DestAddr));
                w.Byte(sm.EsmClass);
                w.Byte(sm.ProtocolId);
                w.Byte(sm.PriorityFlag);
                w.CString(sm.ScheduleDeliveryTime, TimeSize, nameof(sm.ScheduleDeliveryTime));
                w.CString(sm.ValidityPeriod, TimeSize, nameof(sm.ValidityPeriod));
                w.Byte(sm.RegisteredDelivery);
                w.Byte(sm.ReplaceIfPresent);
                w.Byte(sm.DataCoding);
                w.Byte(sm.SmDefaultMsgId);
                w.ShortMessage(sm.ShortMessage.Span);
                w.Tlvs(sm.Tlvs);
                break;
            case SubmitSmResp resp:
                w.CString(resp.MessageId, MaxLength, nameof(resp.MessageId));
                break;
            case DeliverSmResp:
                w.Byte(0);
                break;
            case DataSm data:
                w.CString(data.ServiceType, ServiceTypeSize, nameof(data.ServiceType));
                w.Byte(data.SourceTon);
                w.Byte(data.SourceNpi);
                w.CString(data.SourceAddr, LongAddressSize, nameof(data.SourceAddr));
                w.Byte(data.DestTon);
                w.Byte(data.DestNpi);
                w.CString(data.DestAddr, LongAddressSize, nameof(data.DestAddr));
                w.Byte(data.EsmClass);
                w.Byte(data.RegisteredDelivery);
                w.Byte(data.DataCoding);
                w.Tlvs(data.Tlvs);
                break;
            case DataSmResp resp:
                w.CString(resp.MessageId, MaxLength, nameof(resp.MessageId));
                w.Tlvs(resp.Tlvs);
                break;
            case QuerySm query:
                w.CString(query.MessageId, MessageIdSize, nameof(query.MessageId));
                w.Byte(query.SourceTon);
                w.Byte(query.SourceNpi);
                w.CString(query.SourceAddr, AddressSize, nameof(query.SourceAddr));
                break;
            case QuerySmResp resp:
                w.CString(resp.MessageId, MessageIdSize, nameof(resp.MessageId));
                w.CString(resp.FinalDate, TimeSize, nameof(resp.FinalDate));
                w.Byte(resp.MessageState);
                w.Byte(resp.ErrorCode);
                break;
            case CancelSm cancel:
                w.CString(cancel.ServiceType, ServiceTypeSize, nameof(cancel.ServiceType));
                w.CString(cancel.MessageId, MessageIdSize, nameof(cancel.MessageId));
                w.Byte(cancel.SourceTon);
                w.Byte(cancel.SourceNpi);
                w.CString(cancel.SourceAddr, AddressSize, nameof(cancel.SourceAddr));
                w.Byte(cancel.DestTon);
                w.Byte(cancel.DestNpi);
                w.CString(cancel.DestAddr, AddressSize, nameof(cancel.DestAddr));
                break;
            case ReplaceSm replace:
                w.CString(replace.MessageId, MessageIdSize, nameof(replace.MessageId));
                w.Byte(replace.SourceTon);
                w.Byte(replace.SourceNpi);
                w.CString(replace.SourceAddr, AddressSize, nameof(replace.SourceAddr));
                w.CString(replace.ScheduleDeliveryTime, TimeSize, nameof(replace.ScheduleDeliveryTime));
                w.CString(replace.ValidityPeriod, TimeSize, nameof(replace.ValidityPeriod));
                w.Byte(replace.RegisteredDelivery);
                w.Byte(replace.SmDefaultMsgId);
                w.ShortMessage(replace.ShortMessage.Span);
                break;
            case AlertNotification alert:
                w.Byte(alert.SourceTon);
                w.Byte(alert.SourceNpi);
                w.CString(alert.SourceAddr, LongAddressSize, nameof(alert.SourceAddr));
                w.Byte(alert.EsmeTon);
                w.Byte(alert.EsmeNpi);
                w.CString(alert.EsmeAddr, LongAddressSize, nameof(alert.EsmeAddr));
                w.Tlvs(alert.Tlvs);
                break;
            default:
                throw new ArgumentException($"{pdu.GetType().Name} ({pdu.Command}) is not a PDU this codec writes.", nameof(pdu));
        }
    }

    /// <summary>
    /// Reads fields front to back. The first failure is kept in <see cref="Error"/> and every read
    /// after it returns an empty value, so a decoder reads straight through and checks once at the end.
    /// </summary>
    private struct PduReader(byte[] body)
    {
        private int _at;

        public uint Error { get; private set; }

        public readonly bool AtEnd => _at >= body.Length;

        public byte Byte()
        {
            if (Error != CommandStatus.Ok || _at >= body.Length)
            {
                Fail(CommandStatus.InvalidCommandLength);
                return 0;
            }

            return body[_at++];
        }

        public string CString(int size, uint tooLongStatus)
        {
            if (Error != CommandStatus.Ok)
            {
                return "";
            }

            ReadOnlySpan<byte> rest = body.AsSpan(_at);
            int nul = rest.IndexOf((byte)0);
            if (nul < 0)
            {
                Fail(CommandStatus.InvalidCommandLength);
                return "";
            }

            if (nul + 1 > size)
            {
                Fail(tooLongStatus);
                return "";
            }

            _at += nul + 1;
            return nul == 0 ? "" : Encoding.Latin1.GetString(rest[..nul]);
        }

        /// <summary>A C-octet string of any length, ending at its NUL or at the end of the body.</summary>
        public string LenientCString()
        {
            if (Error != CommandStatus.Ok)
            {
                return "";
            }

            ReadOnlySpan<byte> rest = body.AsSpan(_at);
            int nul = rest.IndexOf((byte)0);
            var text = nul < 0 ? rest : rest[..nul];
            _at += nul < 0 ? rest.Length : nul + 1;
            return Encoding.Latin1.GetString(text);
        }

        public ReadOnlyMemory<byte> ShortMessage()
        {
            byte length = Byte();
            if (Error != CommandStatus.Ok)
            {
                return default;
            }

            if (length > MaxShortMessageLength || length > body.Length - _at)
            {
                Fail(CommandStatus.InvalidMessageLength);
                return default;
            }

            var message = new ReadOnlyMemory<byte>(body, _at, length);
            _at += length;
            return message;
        }

        /// <summary>The optional parameters: everything left in the body.</summary>
        public IReadOnlyList<Tlv> Tlvs()
        {
            if (Error != CommandStatus.Ok || _at >= body.Length)
            {
                return [];
            }

            var tlvs = new List<Tlv>();
            while (_at < body.Length)
            {
                if (body.Length - _at < 4)
                {
                    Fail(CommandStatus.InvalidOptionalParameter);
                    return [];
                }

                ushort tag = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(_at));
                ushort length = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(_at + 2));
                _at += 4;
                if (length > body.Length - _at)
                {
                    Fail(CommandStatus.InvalidOptionalParameter);
                    return [];
                }

                tlvs.Add(new Tlv(tag, new ReadOnlyMemory<byte>(body, _at, length)));
                _at += length;
            }

            return tlvs;
        }

        private void Fail(uint status)
        {
            if (Error == CommandStatus.Ok)
            {
                Error = status;
            }
        }
    }

    /// <summary>Writes fields front to back, or only counts them (the measuring pass).</summary>
    private ref struct PduWriter(Span<byte> buffer, bool measuring)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Length { get; private set; }

        public void Byte(byte value)
        {
            if (!measuring)
            {
                _buffer[Length] = value;
            }

            Length++;
        }

        public void UInt16(ushort value)
        {
            if (!measuring)
            {
                BinaryPrimitives.WriteUInt16BigEndian(_buffer[Length..], value);
            }

            Length += 2;
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            if (!measuring)
            {
                value.CopyTo(_buffer[Length..]);
            }

            Length += value.Length;
        }

        public void CString(string? value, int size, string field)
        {
            value ??= "";
            if (value.Length + 1 > size)
            {
                throw new ArgumentException($"{field} is {value.Length} characters; the field holds at most {size - 1}.", field);
            }

            foreach (char c in value)
            {
                if (c is '\0' or > '\u00FF')
                {
                    throw new ArgumentException($"{field} has U+{(int)c:X4}, which a C-octet string cannot hold.", field);
                }

                Byte((byte)c);
            }

            Byte(0);
        }

        public void ShortMessage(ReadOnlySpan<byte> message)
        {
            if (message.Length > MaxShortMessageLength)
            {
                throw new ArgumentException(
                    $"short_message is {message.Length} octets; it holds at most {MaxShortMessageLength} (send longer bodies in message_payload).",
                    nameof(ShortMessagePdu.ShortMessage));
            }

            Byte((byte)message.Length);
            Bytes(message);
        }

        public void Tlvs(IReadOnlyList<Tlv>? tlvs)
        {
            if (tlvs is null)
            {
                return;
            }

            foreach (Tlv tlv in tlvs)
            {
                if (tlv.Value.Length > ushort.MaxValue)
                {
                    throw new ArgumentException($"TLV 0x{tlv.Tag:X4} is {tlv.Value.Length} octets; a TLV holds at most {ushort.MaxValue}.", nameof(tlvs));
                }

                UInt16(tlv.Tag);
                UInt16((ushort)tlv.Value.Length);
                Bytes(tlv.Value.Span);
            }
        }
    }
}

using System.Text;
using AgentMessage.Server.Infrastructure.Smpp.Protocol;
using static AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol.SmppBytes;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol;

/// <summary>
/// PDUs against bytes written by hand from the SMPP 3.4 layouts (sections 4.1-4.12), and every PDU
/// type through encode and decode.
/// </summary>
public sealed class PduCodecTests
{
    // Addresses used in the hand-written PDUs, as their C-octet strings.
    private const string Msisdn = "34343737303039303031323300"; // "447700900123\0"
    private const string Alpha = "4167656E744D736700"; // "AgentMsg\0"
    private const string Abc123 = "61626331323300"; // "abc123\0"

    [Fact]
    public void Encode_BindTransceiver_IsSpecLayout()
    {
        byte[] expected = Hex(
            "0000002A 00000009 00000000 00000001" +
            "736D7070636C69656E743100" + // system_id "smppclient1"
            "70617373776F726400" + // password "password"
            "00" + // system_type ""
            "34 00 00" + // interface_version, addr_ton, addr_npi
            "00"); // address_range ""

        var bind = new BindTransceiver("smppclient1", "password", "") { Sequence = 1 };

        Assert.Equal(expected, PduCodec.Encode(bind));
        Assert.Equal(bind, AssertDecodes<BindTransceiver>(expected));
    }

    [Fact]
    public void Decode_BindTransceiverRespWithScInterfaceVersion_ReadsSystemIdAndTlv()
    {
        byte[] bytes = Hex("0000001A 80000009 00000000 00000001 534D534300 0210 0001 34");

        var resp = AssertDecodes<BindTransceiverResp>(bytes);

        Assert.Equal("SMSC", resp.SystemId);
        Tlv version = Assert.Single(resp.Tlvs);
        Assert.Equal(TlvTag.ScInterfaceVersion, version.Tag);
        Assert.True(version.TryGetByte(out byte value));
        Assert.Equal(0x34, value);
        Assert.Equal(bytes, PduCodec.Encode(resp));
    }

    [Fact]
    public void Decode_BindTransceiverRespRefusedWithoutBody_ReadsEmpty()
    {
        var resp = AssertDecodes<BindTransceiverResp>(Hex("00000010 80000009 0000000E 00000001"));

        Assert.Equal(CommandStatus.InvalidPassword, resp.Status);
        Assert.Equal("", resp.SystemId);
        Assert.Empty(resp.Tlvs);
    }

    [Fact]
    public void EnquireLink_IsSpecLayout()
    {
        byte[] bytes = Hex("00000010 00000015 00000000 00000001");

        Assert.Equal(bytes, PduCodec.Encode(new EnquireLink { Sequence = 1 }));
        Assert.Equal(new EnquireLink { Sequence = 1 }, AssertDecodes<EnquireLink>(bytes));
    }

    [Fact]
    public void EnquireLinkResp_IsSpecLayout()
    {
        byte[] bytes = Hex("00000010 80000015 00000000 00000001");

        Assert.Equal(bytes, PduCodec.Encode(new EnquireLinkResp { Sequence = 1 }));
        Assert.Equal(new EnquireLinkResp { Sequence = 1 }, AssertDecodes<EnquireLinkResp>(bytes));
    }

    [Fact]
    public void UnbindAndResp_AreSpecLayout()
    {
        Assert.Equal(Hex("00000010 00000006 00000000 00000004"), PduCodec.Encode(new Unbind { Sequence = 4 }));
        Assert.Equal(Hex("00000010 80000006 00000000 00000004"), PduCodec.Encode(new UnbindResp { Sequence = 4 }));
    }

    [Fact]
    public void GenericNack_IsSpecLayout()
    {
        byte[] bytes = Hex("00000010 80000000 00000003 00000007");
        var nack = new GenericNack { Status = CommandStatus.InvalidCommandId, Sequence = 7 };

        Assert.Equal(bytes, PduCodec.Encode(nack));
        Assert.Equal(nack, AssertDecodes<GenericNack>(bytes));
    }

    [Fact]
    public void Encode_SubmitSm_IsSpecLayout()
    {
        byte[] expected = Hex(
            "0000003A 00000004 00000000 00000002" +
            "00" + // service_type
            "05 00" + Alpha + // source ton (alphanumeric), npi, addr
            "01 01" + Msisdn + // dest ton (international), npi (E.164), addr
            "00 00 00" + // esm_class, protocol_id, priority_flag
            "00 00" + // schedule_delivery_time, validity_period
            "01 00 00 00" + // registered_delivery, replace_if_present, data_coding, sm_default_msg_id
            "05 48656C6C6F"); // sm_length, "Hello"

        var submit = new SubmitSm
        {
            Sequence = 2,
            SourceTon = 5,
            SourceAddr = "AgentMsg",
            DestTon = 1,
            DestNpi = 1,
            DestAddr = "447700900123",
            RegisteredDelivery = 1,
            ShortMessage = Encoding.ASCII.GetBytes("Hello"),
        };

        Assert.Equal(expected, PduCodec.Encode(submit));
        var decoded = AssertDecodes<SubmitSm>(expected);
        Assert.Equal("AgentMsg", decoded.SourceAddr);
        Assert.Equal("447700900123", decoded.DestAddr);
        Assert.Equal((byte)1, decoded.RegisteredDelivery);
        Assert.Equal("Hello"u8.ToArray(), decoded.ShortMessage.ToArray());
        Assert.Empty(decoded.Tlvs);
    }

    [Fact]
    public void SubmitSmResp_IsSpecLayout()
    {
        byte[] bytes = Hex("00000017 80000004 00000000 00000002" + Abc123);

        Assert.Equal(bytes, PduCodec.Encode(new SubmitSmResp("abc123") { Sequence = 2 }));
        Assert.Equal(new SubmitSmResp("abc123") { Sequence = 2 }, AssertDecodes<SubmitSmResp>(bytes));
    }

    [Fact]
    public void Decode_SubmitSmRespWithErrorAndNoBody_ReadsStatusAndEmptyId()
    {
        var resp = AssertDecodes<SubmitSmResp>(Hex("00000010 80000004 00000058 00000002"));

        Assert.Equal(CommandStatus.Throttled, resp.Status);
        Assert.Equal(2u, resp.Sequence);
        Assert.Equal("", resp.MessageId);
    }

    [Fact]
    public void Decode_SubmitSmRespAcceptedWithoutBody_ReadsEmptyId()
    {
        // Some SMSCs leave the body out on success too; the submission was still accepted.
        var resp = AssertDecodes<SubmitSmResp>(Hex("00000010 80000004 00000000 00000002"));

        Assert.Equal(CommandStatus.Ok, resp.Status);
        Assert.Equal("", resp.MessageId);
    }

    [Fact]
    public void Decode_DeliverSmReceiptWithTlvs_ReadsEveryField()
    {
        const string receipt = "id:abc123 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:Hello";
        byte[] bytes = Hex(
            "000000AC 00000005 00000000 00000009" +
            "00" + // service_type
            "01 01" + Msisdn + // source: the handset
            "05 00" + Alpha + // destination: our sender
            "04 00 00" + // esm_class 0x04 (SMSC delivery receipt), protocol_id, priority_flag
            "00 00" + // schedule_delivery_time, validity_period
            "00 00 00 00" + // registered_delivery, replace_if_present, data_coding, sm_default_msg_id
            "67" + Convert.ToHexString(Encoding.ASCII.GetBytes(receipt)) + // sm_length 103, the receipt text
            "001E 0007" + Abc123 + // receipted_message_id
            "0427 0001 02"); // message_state DELIVERED

        var deliver = AssertDecodes<DeliverSm>(bytes);

        Assert.Equal(9u, deliver.Sequence);
        Assert.Equal("447700900123", deliver.SourceAddr);
        Assert.Equal((byte)5, deliver.DestTon);
        Assert.Equal("AgentMsg", deliver.DestAddr);
        Assert.Equal((byte)0x04, deliver.EsmClass);
        Assert.Equal(receipt, Encoding.ASCII.GetString(deliver.ShortMessage.Span));
        Assert.Equal(2, deliver.Tlvs.Count);
        Assert.Equal("abc123", deliver.Tlvs.Find(TlvTag.ReceiptedMessageId)?.GetCString());
        Assert.True(deliver.Tlvs.Find(TlvTag.MessageState)!.Value.TryGetByte(out byte state));
        Assert.Equal(MessageState.Delivered, state);
        Assert.Equal(bytes, PduCodec.Encode(deliver));
    }

    [Fact]
    public void DeliverSmResp_IsSpecLayout()
    {
        byte[] bytes = Hex("00000011 80000005 00000000 00000009 00");

        Assert.Equal(bytes, PduCodec.Encode(new DeliverSmResp { Sequence = 9 }));
        Assert.Equal(new DeliverSmResp { Sequence = 9 }, AssertDecodes<DeliverSmResp>(bytes));
    }

    [Fact]
    public void DataSm_IsSpecLayout()
    {
        byte[] bytes = Hex(
            "00000036 00000103 00000000 0000000A" +
            "00" + // service_type
            "01 01" + Msisdn +
            "05 00" + Alpha +
            "00 00 08" + // esm_class, registered_delivery, data_coding UCS-2
            "0424 0004 0048 0069"); // message_payload "Hi"

        var data = new DataSm
        {
            Sequence = 10,
            SourceTon = 1,
            SourceNpi = 1,
            SourceAddr = "447700900123",
            DestTon = 5,
            DestAddr = "AgentMsg",
            DataCoding = SmppText.DataCodingUcs2,
            Tlvs = [new Tlv(TlvTag.MessagePayload, Hex("00480069"))],
        };

        Assert.Equal(bytes, PduCodec.Encode(data));
        var decoded = AssertDecodes<DataSm>(bytes);
        Assert.Equal("Hi", SmppText.Decode(decoded.DataCoding, decoded.Tlvs.Find(TlvTag.MessagePayload)!.Value.Value.Span));
    }

    [Fact]
    public void DataSmResp_IsSpecLayout()
    {
        byte[] bytes = Hex("00000017 80000103 00000000 0000000A" + Abc123);

        Assert.Equal(bytes, PduCodec.Encode(new DataSmResp("abc123") { Sequence = 10 }));
        Assert.Equal("abc123", AssertDecodes<DataSmResp>(bytes).MessageId);
    }

    [Fact]
    public void QuerySm_IsSpecLayout()
    {
        byte[] bytes = Hex("0000001A 00000003 00000000 0000000B" + Abc123 + "00 00 00");

        Assert.Equal(bytes, PduCodec.Encode(new QuerySm("abc123") { Sequence = 11 }));
        Assert.Equal(new QuerySm("abc123") { Sequence = 11 }, AssertDecodes<QuerySm>(bytes));
    }

    public static TheoryData<Pdu> EveryPduType() =>
    [
        new GenericNack { Status = CommandStatus.InvalidCommandLength, Sequence = 1 },
        new BindTransmitter("tx-user", "secret", "VMA", 0x34, 1, 1, "^44") { Sequence = 2 },
        new BindReceiver("rx-user", "secret", "", 0x33, 0, 0, "") { Sequence = 3 },
        new BindTransceiver("fifteen-chars-1", "8charsxx", "twelve-chars", 0x34, 2, 9, new string('9', 40)) { Sequence = 0x7FFFFFFF },
        new BindTransmitterResp("SMSC") { Sequence = 2, Tlvs = [Tlv.FromByte(TlvTag.ScInterfaceVersion, 0x34)] },
        new BindReceiverResp("SMSC") { Sequence = 3, Status = CommandStatus.AlreadyBound },
        new BindTransceiverResp("SMSC") { Sequence = 4 },
        new Outbind("SMSC", "pw") { Sequence = 5 },
        new Unbind { Sequence = 6 },
        new UnbindResp { Sequence = 6 },
        new EnquireLink { Sequence = 7 },
        new EnquireLinkResp { Sequence = 7 },
        new SubmitSm
        {
            Sequence = 8,
            ServiceType = "CMT",
            SourceTon = 5,
            SourceNpi = 0,
            SourceAddr = "AgentMsg",
            DestTon = 1,
            DestNpi = 1,
            DestAddr = "447700900123",
            EsmClass = Udh.UdhiFlag,
            ProtocolId = 0x7F,
            PriorityFlag = 1,
            ScheduleDeliveryTime = "240101120000000+",
            ValidityPeriod = "000001000000000R",
            RegisteredDelivery = 1,
            ReplaceIfPresent = 1,
            DataCoding = 8,
            SmDefaultMsgId = 3,
            ShortMessage = Udh.WithConcat(new byte[248], 7, 2, 1),
            Tlvs = [Tlv.FromUInt16(TlvTag.UserMessageReference, 513), new Tlv(TlvTag.MessagePayload, ReadOnlyMemory<byte>.Empty)],
        },
        new SubmitSmResp(new string('f', 64)) { Sequence = 8 },
        new DeliverSm
        {
            Sequence = 9,
            SourceTon = 1,
            SourceAddr = "447700900123",
            DestAddr = "AgentMsg",
            EsmClass = 0x04,
            ShortMessage = "id:1 stat:DELIVRD"u8.ToArray(),
            Tlvs = [Tlv.FromCString(TlvTag.ReceiptedMessageId, "1"), Tlv.FromByte(TlvTag.MessageState, MessageState.Delivered)],
        },
        new DeliverSmResp { Sequence = 9, Status = CommandStatus.ReceiverTemporaryError },
        new DataSm
        {
            Sequence = 10,
            ServiceType = "WAP",
            SourceAddr = new string('1', 64),
            DestAddr = new string('2', 64),
            EsmClass = 3,
            RegisteredDelivery = 1,
            DataCoding = 4,
            Tlvs = [new Tlv(TlvTag.MessagePayload, new byte[1000])],
        },
        new DataSmResp("id-10") { Sequence = 10, Tlvs = [Tlv.FromByte(TlvTag.DeliveryFailureReason, 2)] },
        new QuerySm("abc", 1, 1, "447700900123") { Sequence = 11 },
        new QuerySmResp("abc", "240101120000000+", MessageState.Delivered, 0) { Sequence = 11 },
        new CancelSm { Sequence = 12, ServiceType = "CMT", MessageId = "abc", SourceAddr = "1", DestAddr = "2", DestTon = 1 },
        new CancelSmResp { Sequence = 12 },
        new ReplaceSm
        {
            Sequence = 13,
            MessageId = "abc",
            SourceAddr = "AgentMsg",
            ScheduleDeliveryTime = "",
            ValidityPeriod = "000001000000000R",
            RegisteredDelivery = 1,
            SmDefaultMsgId = 0,
            ShortMessage = "new text"u8.ToArray(),
        },
        new ReplaceSmResp { Sequence = 13 },
        new AlertNotification
        {
            Sequence = 14,
            SourceTon = 1,
            SourceAddr = "447700900123",
            EsmeAddr = "AgentMsg",
            Tlvs = [Tlv.FromByte(TlvTag.MsAvailabilityStatus, 0)],
        },
    ];

    [Theory]
    [MemberData(nameof(EveryPduType))]
    public void RoundTrip_EveryPduType_DecodesToSameTypeAndReEncodesToSameBytes(Pdu pdu)
    {
        byte[] bytes = PduCodec.Encode(pdu);

        DecodeResult result = PduCodec.Decode(bytes);

        Assert.Equal(CommandStatus.Ok, result.ErrorStatus);
        Assert.NotNull(result.Pdu);
        Assert.IsType(pdu.GetType(), result.Pdu);
        Assert.Equal(pdu.Command, result.Pdu.Command);
        Assert.Equal(pdu.Status, result.Pdu.Status);
        Assert.Equal(pdu.Sequence, result.Pdu.Sequence);
        Assert.Equal(new PduHeader((uint)bytes.Length, (uint)pdu.Command, pdu.Status, pdu.Sequence), result.Header);
        Assert.Equal(bytes, PduCodec.Encode(result.Pdu));
    }

    [Fact]
    public void RoundTrip_EveryCommandIdButSubmitMulti_IsCovered()
    {
        var covered = EveryPduType().Select(row => row.Data.Command).ToHashSet();

        var missing = Enum.GetValues<CommandId>().Where(id => id is not CommandId.SubmitMulti and not CommandId.SubmitMultiResp && !covered.Contains(id));

        Assert.Empty(missing);
    }

    [Fact]
    public void Decode_ShortMessageAndTlvs_DoNotShareTheFramesMemory()
    {
        byte[] bytes = PduCodec.Encode(new SubmitSm { ShortMessage = "abc"u8.ToArray(), Tlvs = [Tlv.FromByte(TlvTag.MessageState, 2)] });
        var submit = AssertDecodes<SubmitSm>(bytes);

        Array.Clear(bytes);

        Assert.Equal("abc"u8.ToArray(), submit.ShortMessage.ToArray());
        Assert.Equal(new byte[] { 2 }, submit.Tlvs[0].Value.ToArray());
    }

    [Fact]
    public void Decode_FrameInSeveralSegments_IsSameAsContiguous()
    {
        byte[] bytes = PduCodec.Encode(EveryPduType().Select(r => r.Data).OfType<SubmitSm>().Single());

        DecodeResult result = PduCodec.Decode(Segmented(bytes, 3, 17, 40, 200));

        Assert.Equal(CommandStatus.Ok, result.ErrorStatus);
        Assert.Equal(bytes, PduCodec.Encode(result.Pdu!));
    }

    [Fact]
    public void Decode_UnknownCommandId_IsInvalidCommandIdWithHeader()
    {
        DecodeResult result = PduCodec.Decode(Hex("00000010 00000099 00000000 0000002A"));

        Assert.Null(result.Pdu);
        Assert.Equal(CommandStatus.InvalidCommandId, result.ErrorStatus);
        Assert.Equal(new PduHeader(16, 0x99, 0, 42), result.Header);
    }

    [Fact]
    public void Decode_SubmitMulti_IsInvalidCommandId()
    {
        DecodeResult result = PduCodec.Decode(Hex("00000011 00000021 00000000 00000001 00"));

        Assert.Null(result.Pdu);
        Assert.Equal(CommandStatus.InvalidCommandId, result.ErrorStatus);
    }

    [Fact]
    public void Decode_TruncatedCString_IsInvalidCommandLength()
    {
        // system_id "smpp" with no NUL before the body ends.
        DecodeResult result = PduCodec.Decode(Hex("00000014 00000009 00000000 00000005 736D7070"));

        Assert.Null(result.Pdu);
        Assert.Equal(CommandStatus.InvalidCommandLength, result.ErrorStatus);
        Assert.Equal(5u, result.Header.Sequence);
    }

    [Fact]
    public void Decode_BodyEndingBeforeLastField_IsInvalidCommandLength()
    {
        // bind_transceiver without its address_range.
        DecodeResult result = PduCodec.Decode(Hex("00000015 00000009 00000000 00000001 00 00 00 34 00"));

        Assert.Equal(CommandStatus.InvalidCommandLength, result.ErrorStatus);
    }

    [Fact]
    public void Decode_SubmitSmCutBeforeSmLength_IsInvalidCommandLength()
    {
        byte[] full = PduCodec.Encode(new SubmitSm { DestAddr = "1", ShortMessage = "x"u8.ToArray() });

        DecodeResult result = PduCodec.Decode(WithLength(full[..^2]));

        Assert.Equal(CommandStatus.InvalidCommandLength, result.ErrorStatus);
    }

    [Fact]
    public void Decode_LengthFieldDisagreeingWithFrame_IsInvalidCommandLength()
    {
        Assert.Equal(CommandStatus.InvalidCommandLength, PduCodec.Decode(Hex("00000011 00000015 00000000 00000001")).ErrorStatus);
        Assert.Equal(CommandStatus.InvalidCommandLength, PduCodec.Decode(Hex("00000010 00000015 00000000 00000001 00")).ErrorStatus);
    }

    [Fact]
    public void Decode_ShorterThanHeader_IsInvalidCommandLength()
    {
        DecodeResult result = PduCodec.Decode(Hex("00000010 00000015"));

        Assert.Null(result.Pdu);
        Assert.Equal(CommandStatus.InvalidCommandLength, result.ErrorStatus);
        Assert.Equal(0x15u, result.Header.CommandId);
    }

    [Fact]
    public void Decode_SystemIdOverItsSize_IsInvalidSystemId()
    {
        byte[] bytes = WithLength(Hex("00000000 00000009 00000000 00000001" + Cs(new string('a', 16)) + "00 00 34 00 00 00"));

        Assert.Equal(CommandStatus.InvalidSystemId, PduCodec.Decode(bytes).ErrorStatus);
    }

    [Fact]
    public void Decode_SourceAddrOverItsSize_IsInvalidSourceAddress()
    {
        byte[] bytes = WithLength(Hex(
            "00000000 00000004 00000000 00000001 00 01 01" + Cs(new string('1', 21)) + "01 01" + Msisdn +
            "00 00 00 00 00 00 00 00 00 00"));

        Assert.Equal(CommandStatus.InvalidSourceAddress, PduCodec.Decode(bytes).ErrorStatus);
    }

    [Fact]
    public void Decode_AResponsesMessageIdOverItsSize_IsReadWhole()
    {
        byte[] bytes = WithLength(Hex("00000000 80000004 00000000 00000001" + Cs(new string('f', 65))));

        var decoded = PduCodec.Decode(bytes);

        Assert.Equal(CommandStatus.Ok, decoded.ErrorStatus);
        Assert.Equal(new string('f', 65), Assert.IsType<SubmitSmResp>(decoded.Pdu).MessageId);
    }

    [Fact]
    public void Decode_ABindRespsSystemIdOverItsSizeAndWithoutItsNul_IsReadWhole()
    {
        byte[] bytes = WithLength(Hex("00000000 80000009 00000000 00000001" + Convert.ToHexString("AgentMessageSMSC-1"u8)));

        var decoded = PduCodec.Decode(bytes);

        Assert.Equal(CommandStatus.Ok, decoded.ErrorStatus);
        Assert.Equal("AgentMessageSMSC-1", Assert.IsType<BindTransceiverResp>(decoded.Pdu).SystemId);
    }

    [Fact]
    public void Decode_SmLengthPastBody_IsInvalidMessageLength()
    {
        byte[] bytes = WithLength(Hex(SubmitSmUpToSmLength + "06 48656C6C6F"));

        Assert.Equal(CommandStatus.InvalidMessageLength, PduCodec.Decode(bytes).ErrorStatus);
    }

    [Fact]
    public void Decode_SmLengthOver254_IsInvalidMessageLength()
    {
        byte[] bytes = WithLength(Hex(SubmitSmUpToSmLength + "FF" + Convert.ToHexString(new byte[255])));

        Assert.Equal(CommandStatus.InvalidMessageLength, PduCodec.Decode(bytes).ErrorStatus);
    }

    [Fact]
    public void Decode_TlvRunningPastEnd_IsInvalidOptionalParameter()
    {
        byte[] bytes = WithLength(Hex(SubmitSmUpToSmLength + "00 0427 0002 02"));

        Assert.Equal(CommandStatus.InvalidOptionalParameter, PduCodec.Decode(bytes).ErrorStatus);
    }

    [Fact]
    public void Decode_TlvHeaderCutShort_IsInvalidOptionalParameter()
    {
        byte[] bytes = WithLength(Hex(SubmitSmUpToSmLength + "00 0427 0001 02 04"));

        Assert.Equal(CommandStatus.InvalidOptionalParameter, PduCodec.Decode(bytes).ErrorStatus);
    }

    [Fact]
    public void Decode_EmptyTlvValue_IsKept()
    {
        var submit = AssertDecodes<SubmitSm>(WithLength(Hex(SubmitSmUpToSmLength + "00 1234 0000")));

        Tlv tlv = Assert.Single(submit.Tlvs);
        Assert.Equal((ushort)0x1234, tlv.Tag);
        Assert.True(tlv.Value.IsEmpty);
    }

    [Fact]
    public void Decode_OctetsAfterEnquireLink_AreIgnored()
    {
        Assert.IsType<EnquireLink>(PduCodec.Decode(Hex("00000012 00000015 00000000 00000001 0000")).Pdu);
    }

    [Fact]
    public void Decode_QuerySmRespRefusedWithoutBody_ReadsEmpty()
    {
        var resp = AssertDecodes<QuerySmResp>(Hex("00000010 80000003 00000067 00000001"));

        Assert.Equal(new QuerySmResp("", "", 0, 0) { Status = CommandStatus.QueryFailed, Sequence = 1 }, resp);
    }

    [Fact]
    public void Decode_DataSmRespRefusedWithoutBody_ReadsEmpty()
    {
        var resp = AssertDecodes<DataSmResp>(Hex("00000010 80000103 000000FE 00000001"));

        Assert.Equal(CommandStatus.DeliveryFailure, resp.Status);
        Assert.Equal("", resp.MessageId);
    }

    [Fact]
    public void Decode_Latin1InCString_IsReadOctetForOctet()
    {
        var resp = AssertDecodes<SubmitSmResp>(WithLength(Hex("00000000 80000004 00000000 00000001 41C9FF00")));

        Assert.Equal("A\u00C9\u00FF", resp.MessageId);
    }

    [Fact]
    public void Encode_SystemIdOverItsSize_Throws()
    {
        var bind = new BindTransceiver(new string('a', 16), "pw", "");

        Assert.Throws<ArgumentException>(() => PduCodec.Encode(bind));
    }

    [Fact]
    public void Encode_ShortMessageOver254_Throws()
    {
        Assert.Throws<ArgumentException>(() => PduCodec.Encode(new SubmitSm { ShortMessage = new byte[255] }));
    }

    [Theory]
    [InlineData("a\0b")]
    [InlineData("Ж")]
    public void Encode_CStringWithNulOrNonLatin1_Throws(string addr)
    {
        Assert.Throws<ArgumentException>(() => PduCodec.Encode(new SubmitSm { DestAddr = addr }));
    }

    [Fact]
    public void Encode_OverMaxLength_Throws()
    {
        var data = new DataSm { Tlvs = [new Tlv(1, new byte[65535])] };

        Assert.Throws<ArgumentException>(() => PduCodec.Encode(data));
    }

    [Fact]
    public void Encode_ErrorResponse_KeepsItsBody()
    {
        byte[] bytes = PduCodec.Encode(new SubmitSmResp("") { Status = CommandStatus.Throttled, Sequence = 2 });

        Assert.Equal(Hex("00000011 80000004 00000058 00000002 00"), bytes);
    }

    // submit_sm: empty service_type, source 1/1 "1", dest 1/1 "2", then every one-octet field 0,
    // up to (not including) sm_length, with command_length to be filled in by WithLength.
    private const string SubmitSmUpToSmLength = "00000000 00000004 00000000 00000001 00 0101 3100 0101 3200 000000 00 00 00000000";

    private static string Cs(string value) => Convert.ToHexString(Encoding.ASCII.GetBytes(value)) + "00";

    private static byte[] WithLength(byte[] pdu)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(pdu, (uint)pdu.Length);
        return pdu;
    }

    private static T AssertDecodes<T>(byte[] bytes)
        where T : Pdu
    {
        DecodeResult result = PduCodec.Decode(bytes);
        Assert.Equal(CommandStatus.Name(CommandStatus.Ok), CommandStatus.Name(result.ErrorStatus));
        return Assert.IsType<T>(result.Pdu);
    }
}

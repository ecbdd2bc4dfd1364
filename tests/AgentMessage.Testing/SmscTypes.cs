using System.Text.Json.Serialization;

namespace AgentMessage.Testing;

/// <summary>SMPP 3.4 command_status values the test SMSC answers with or tests commonly ask for.</summary>
public static class SmscCommandStatus
{
    public const uint Ok = 0x00;
    public const uint InvalidMessageLength = 0x01;
    public const uint InvalidCommandLength = 0x02;
    public const uint InvalidCommandId = 0x03;
    public const uint IncorrectBindStatus = 0x04;
    public const uint AlreadyBound = 0x05;
    public const uint SystemError = 0x08;
    public const uint InvalidDestinationAddress = 0x0B;
    public const uint InvalidPassword = 0x0E;
    public const uint InvalidSystemId = 0x0F;
    public const uint MessageQueueFull = 0x14;
    public const uint Throttled = 0x58;
    public const uint InvalidTlvStream = 0xC0;
}

/// <summary>SMPP 3.4 command_id values seen in the test SMSC's replies and events.</summary>
public static class SmscCommandId
{
    public const uint GenericNack = 0x80000000;
    public const uint BindReceiver = 0x00000001;
    public const uint BindTransmitter = 0x00000002;
    public const uint SubmitSm = 0x00000004;
    public const uint SubmitSmResp = 0x80000004;
    public const uint DeliverSm = 0x00000005;
    public const uint DeliverSmResp = 0x80000005;
    public const uint Unbind = 0x00000006;
    public const uint UnbindResp = 0x80000006;
    public const uint BindTransceiver = 0x00000009;
    public const uint BindTransceiverResp = 0x80000009;
    public const uint EnquireLink = 0x00000015;
    public const uint EnquireLinkResp = 0x80000015;

    /// <summary>The response bit: set in every *_resp and in generic_nack.</summary>
    public const uint ResponseBit = 0x80000000;
}

/// <summary>The <see cref="SmscEvent.Type"/> values of the test SMSC's event log.</summary>
public static class SmscEventTypes
{
    /// <summary>A TCP connection was accepted; <see cref="SmscEvent.Session"/> is its new index.</summary>
    public const string Connect = "connect";

    /// <summary>A bind_* was answered: <see cref="SmscEvent.BindType"/>, <see cref="SmscEvent.SystemId"/>, <see cref="SmscEvent.CommandStatus"/>.</summary>
    public const string Bind = "bind";

    /// <summary>The peer sent unbind; it was answered with unbind_resp and the connection closed.</summary>
    public const string Unbind = "unbind";

    /// <summary>The peer's unbind_resp to an unbind of the SMSC.</summary>
    public const string UnbindResp = "unbind_resp";

    /// <summary>The peer sent enquire_link (answered).</summary>
    public const string EnquireLink = "enquire_link";

    /// <summary>The peer's enquire_link_resp to an enquire_link of the SMSC.</summary>
    public const string EnquireLinkResp = "enquire_link_resp";

    /// <summary>The peer sent generic_nack (<see cref="SmscEvent.CommandStatus"/>, <see cref="SmscEvent.Sequence"/>).</summary>
    public const string GenericNack = "generic_nack";

    /// <summary>A deliver_sm was sent on request (<see cref="SmscServer.SendDeliverSmAsync"/>).</summary>
    public const string DeliverSmSent = "deliver_sm_sent";

    /// <summary>The peer's deliver_sm_resp; for a receipt, <see cref="SmscEvent.MessageId"/> is the submit's id.</summary>
    public const string DeliverSmResp = "deliver_sm_resp";

    /// <summary>An automatic receipt went out (<see cref="SmscEvent.Detail"/> is its text); logged only while recording.</summary>
    public const string ReceiptSent = "receipt_sent";

    /// <summary>An automatic receipt had no session able to receive it.</summary>
    public const string ReceiptNotSent = "receipt_not_sent";

    /// <summary>The peer sent a command_id node-smpp does not know; answered with generic_nack ESME_RINVCMDID.</summary>
    public const string UnknownCommand = "unknown_command";

    /// <summary>The peer sent a request the SMSC does not implement (query_sm, data_sm, ...); answered with generic_nack ESME_RINVCMDID.</summary>
    public const string UnsupportedCommand = "unsupported_command";

    /// <summary>A PDU could not be framed or parsed; answered with generic_nack ESME_RINVCMDLEN, then the connection was closed.</summary>
    public const string InvalidPdu = "invalid_pdu";

    /// <summary>A response that answers nothing the SMSC sent.</summary>
    public const string UnexpectedResponse = "unexpected_response";

    /// <summary>Raw bytes were written to the session (<see cref="SmscEvent.Detail"/> is their hex).</summary>
    public const string RawSent = "raw_sent";

    /// <summary>The SMSC failed on a PDU (a bug in smsc.mjs; node's stderr, in <see cref="SmscServer.LogTail"/>, has the stack); answered with generic_nack ESME_RSYSERR.</summary>
    public const string InternalError = "internal_error";

    /// <summary>A socket error (the disconnect follows).</summary>
    public const string SocketError = "socket_error";

    /// <summary>The connection is gone, whoever closed it.</summary>
    public const string Disconnect = "disconnect";
}

/// <summary>What the SMSC does with a submit_sm a <see cref="SmscRule"/> matches.</summary>
public enum SmscRuleAction
{
    /// <summary>Answers with <see cref="SmscRule.CommandStatus"/>, after <see cref="SmscRule.Delay"/>.</summary>
    Respond,

    /// <summary>Never answers (the client's response timeout).</summary>
    NoResponse,

    /// <summary>Closes the connection instead of answering (a drop with the window full).</summary>
    Close,
}

/// <summary>How the SMSC writes the message_id of submit_sm_resp, from one counter.</summary>
public enum SmscMessageIdFormat
{
    /// <summary>8 upper-case hex digits with leading zeros: "0000002A".</summary>
    Hex,

    /// <summary>The counter in decimal: "42".</summary>
    Decimal,

    /// <summary>A random UUID, ignoring the counter.</summary>
    Uuid,
}

/// <summary>Where a delivery receipt carries its facts.</summary>
public enum SmscReceiptForm
{
    /// <summary>esm_class 0x04, the text, plus TLVs receipted_message_id (0x001E) and message_state (0x0427).</summary>
    Tlv,

    /// <summary>esm_class 0x04 and the text "id:... stat:... err:..." only.</summary>
    Text,
}

/// <summary>How a receipt writes the message_id that submit_sm_resp gave, as real SMSCs variously do.</summary>
public enum SmscReceiptIdForm
{
    /// <summary>Exactly as in submit_sm_resp.</summary>
    AsIs,

    /// <summary>Lower case: "0000002a".</summary>
    Lower,

    /// <summary>Leading zeros removed: "2A".</summary>
    StripLeadingZeros,

    /// <summary>Left-padded with zeros to 10 characters: "000000002A".</summary>
    PadLeadingZeros,

    /// <summary>The decimal value of the hex id: "42".</summary>
    Decimal,
}

/// <summary>How <see cref="SmscDeliverSm.Text"/> is encoded into short_message.</summary>
public enum SmscTextEncoding
{
    /// <summary>GSM 03.38 default alphabet, one septet per octet (data_coding 0).</summary>
    Gsm,

    /// <summary>ISO-8859-1 (data_coding 3).</summary>
    Latin1,

    /// <summary>UCS-2 big-endian (data_coding 8).</summary>
    Ucs2,
}

/// <summary>Which session gets an automatic receipt: <see cref="Same"/>, <see cref="Other"/>, or <see cref="Session"/>(index).</summary>
public sealed record SmscReceiptTarget
{
    private SmscReceiptTarget(object value) => Value = value;

    /// <summary>The session that submitted, or, when it is bound as a transmitter, the newest receiver of its account.</summary>
    public static SmscReceiptTarget Same { get; } = new("same");

    /// <summary>The newest bound session able to receive other than the one that submitted (a receipt on another bind or instance).</summary>
    public static SmscReceiptTarget Other { get; } = new("other");

    /// <summary>"same", "other" or the session index, as the control API takes it.</summary>
    internal object Value { get; }

    /// <summary>The session with this index.</summary>
    public static SmscReceiptTarget Session(int index) => new(index);

    public override string ToString() => Value.ToString()!;
}

/// <summary>Automatic delivery receipts: after a submit_sm answered with status 0, a deliver_sm after <see cref="Delay"/>.</summary>
public sealed record SmscReceipts
{
    /// <summary>False turns receipts off (for a rule, while the global setting stays on).</summary>
    public bool Enabled { get; init; } = true;

    public TimeSpan Delay { get; init; }

    public SmscReceiptTarget Target { get; init; } = SmscReceiptTarget.Same;

    /// <summary>The receipt's "stat:" word: DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD or ENROUTE.</summary>
    public string Stat { get; init; } = "DELIVRD";

    /// <summary>The receipt's "err:" field.</summary>
    public string Error { get; init; } = "000";

    public SmscReceiptForm Form { get; init; } = SmscReceiptForm.Tlv;

    public SmscReceiptIdForm IdForm { get; init; } = SmscReceiptIdForm.AsIs;

    /// <summary>Only for submits whose registered_delivery asks for one (bits 0-1 not 0); false sends one for every submit.</summary>
    public bool OnlyWhenRequested { get; init; } = true;
}

/// <summary>
/// How the SMSC answers submit_sm to <see cref="Destination"/> ("*": any). Rules are tried in the order
/// they were added; the first that matches and has not used up its <see cref="Count"/> decides.
/// </summary>
public sealed record SmscRule
{
    /// <summary>destination_addr exactly as submitted, or "*".</summary>
    public string Destination { get; init; } = "*";

    public SmscRuleAction Action { get; init; } = SmscRuleAction.Respond;

    /// <summary>The command_status of the answer (with <see cref="SmscRuleAction.Respond"/>); 0 is a normal answer with a message_id.</summary>
    public uint CommandStatus { get; init; }

    /// <summary>How many submits the rule applies to; null: every one, for ever.</summary>
    public int? Count { get; init; }

    /// <summary>How long the answer waits (with <see cref="SmscRuleAction.Respond"/>).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Receipts for the submits this rule answers with status 0; null: the global setting.</summary>
    public SmscReceipts? Receipts { get; init; }

    /// <summary>Answers with <paramref name="commandStatus"/> (e.g. <see cref="SmscCommandStatus.Throttled"/>).</summary>
    public static SmscRule Status(uint commandStatus, int? count = null, string destination = "*") =>
        new() { CommandStatus = commandStatus, Count = count, Destination = destination };

    /// <summary>Answers normally, <paramref name="delay"/> late.</summary>
    public static SmscRule Delayed(TimeSpan delay, int? count = null, string destination = "*") =>
        new() { Delay = delay, Count = count, Destination = destination };

    /// <summary>Does not answer at all.</summary>
    public static SmscRule NoResponse(int? count = null, string destination = "*") =>
        new() { Action = SmscRuleAction.NoResponse, Count = count, Destination = destination };

    /// <summary>Closes the connection instead of answering.</summary>
    public static SmscRule Close(int? count = null, string destination = "*") =>
        new() { Action = SmscRuleAction.Close, Count = count, Destination = destination };
}

/// <summary>Settings of the SMSC; a null property is left as it is.</summary>
public sealed record SmscOptions
{
    /// <summary>Whether every submit_sm is recorded in full; false (benchmarks) keeps counters only.</summary>
    public bool? Record { get; init; }

    public SmscMessageIdFormat? MessageIdFormat { get; init; }

    /// <summary>The counter's next value (message ids stay unique for the life of the process otherwise, across resets).</summary>
    public long? NextMessageId { get; init; }
}

/// <summary>One TLV: tag and value bytes (hex in JSON).</summary>
public sealed record SmscTlv(ushort Tag, string ValueHex)
{
    [JsonIgnore]
    public byte[] Value => Convert.FromHexString(ValueHex);

    public static SmscTlv Of(ushort tag, ReadOnlySpan<byte> value) => new(tag, Convert.ToHexString(value));
}

/// <summary>A submit_sm as the SMSC received it, with what it answered.</summary>
public sealed class SmscSubmit
{
    /// <summary>The index of the session it came on.</summary>
    public int Session { get; init; }

    public uint Sequence { get; init; }

    public DateTimeOffset Time { get; init; }

    /// <summary>"answered", "noResponse", "closed" (a <see cref="SmscRuleAction.Close"/> rule) or "lost" (closed before a delayed answer).</summary>
    public string Outcome { get; init; } = string.Empty;

    /// <summary>The command_status answered; null when none was.</summary>
    public uint? CommandStatus { get; init; }

    /// <summary>The message_id answered; null unless the status was 0.</summary>
    public string? MessageId { get; init; }

    /// <summary>Why the body was refused (it did not fit its command_length, ...); the fields below are then empty.</summary>
    public string? Error { get; init; }

    /// <summary>The whole PDU in hex, when <see cref="Error"/> is set.</summary>
    public string? PduHex { get; init; }

    public string ServiceType { get; init; } = string.Empty;

    public byte SourceAddrTon { get; init; }

    public byte SourceAddrNpi { get; init; }

    public string SourceAddr { get; init; } = string.Empty;

    public byte DestAddrTon { get; init; }

    public byte DestAddrNpi { get; init; }

    public string DestinationAddr { get; init; } = string.Empty;

    public byte EsmClass { get; init; }

    public byte ProtocolId { get; init; }

    public byte PriorityFlag { get; init; }

    public string ScheduleDeliveryTime { get; init; } = string.Empty;

    public string ValidityPeriod { get; init; } = string.Empty;

    public byte RegisteredDelivery { get; init; }

    public byte ReplaceIfPresentFlag { get; init; }

    public byte DataCoding { get; init; }

    public byte SmDefaultMsgId { get; init; }

    public string ShortMessageHex { get; init; } = string.Empty;

    /// <summary>Every TLV after short_message, in order, as sent.</summary>
    public IReadOnlyList<SmscTlv> Tlvs { get; init; } = [];

    /// <summary>short_message's bytes, exactly as sent.</summary>
    [JsonIgnore]
    public byte[] ShortMessage => Convert.FromHexString(ShortMessageHex);

    /// <summary>The value of the first TLV with <paramref name="tag"/>, or null.</summary>
    public byte[]? Tlv(ushort tag) => Tlvs.FirstOrDefault(t => t.Tag == tag)?.Value;
}

/// <summary>A deliver_sm for <see cref="SmscServer.SendDeliverSmAsync"/>: <see cref="ShortMessage"/> as bytes, or <see cref="Text"/> encoded with <see cref="Encoding"/>.</summary>
public sealed record SmscDeliverSm
{
    /// <summary>The session index; null: the newest bound session able to receive.</summary>
    public int? Session { get; init; }

    public string ServiceType { get; init; } = string.Empty;

    public byte SourceAddrTon { get; init; }

    public byte SourceAddrNpi { get; init; }

    public string SourceAddr { get; init; } = string.Empty;

    public byte DestAddrTon { get; init; }

    public byte DestAddrNpi { get; init; }

    public string DestinationAddr { get; init; } = string.Empty;

    public byte EsmClass { get; init; }

    public byte ProtocolId { get; init; }

    public byte PriorityFlag { get; init; }

    public byte RegisteredDelivery { get; init; }

    public byte DataCoding { get; init; }

    /// <summary>short_message's bytes (at most 254); wins over <see cref="Text"/>.</summary>
    public byte[]? ShortMessage { get; init; }

    public string? Text { get; init; }

    public SmscTextEncoding Encoding { get; init; } = SmscTextEncoding.Gsm;

    public IReadOnlyList<SmscTlv> Tlvs { get; init; } = [];

    /// <summary>How long to wait for deliver_sm_resp.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>What came back for something the SMSC sent: the answer, the close, or nothing before the timeout.</summary>
public sealed class SmscReply
{
    public int Session { get; init; }

    /// <summary>Whether a response came (a generic_nack counts).</summary>
    public bool Answered { get; init; }

    /// <summary>The connection closed before an answer.</summary>
    public bool Closed { get; init; }

    /// <summary>The response's command_id (e.g. <see cref="SmscCommandId.DeliverSmResp"/> or <see cref="SmscCommandId.GenericNack"/>).</summary>
    public uint? CommandId { get; init; }

    public uint? CommandStatus { get; init; }

    /// <summary>The sequence number: of the request sent, or, for raw bytes, of the response.</summary>
    public uint? Sequence { get; init; }

    /// <summary>deliver_sm_resp's message_id, when it had one.</summary>
    public string? MessageId { get; init; }

    /// <summary>From sending to the answer, on the SMSC's clock.</summary>
    public double? ElapsedMs { get; init; }
}

/// <summary>One entry of the SMSC's event log (<see cref="SmscEventTypes"/>); fields that do not apply are null.</summary>
public sealed class SmscEvent
{
    /// <summary>Increasing from 1; never reused, even after a reset.</summary>
    public long Seq { get; init; }

    public DateTimeOffset Time { get; init; }

    public string Type { get; init; } = string.Empty;

    public int? Session { get; init; }

    public uint? Sequence { get; init; }

    public uint? CommandId { get; init; }

    public uint? CommandStatus { get; init; }

    public string? BindType { get; init; }

    public string? SystemId { get; init; }

    public string? MessageId { get; init; }

    public string? Detail { get; init; }

    public override string ToString() =>
        $"#{Seq} {Type} session={Session} seq={Sequence} id={CommandId:X8} status={CommandStatus:X} {BindType}{SystemId}{MessageId} {Detail}";
}

/// <summary>Counters since the last reset.</summary>
public sealed class SmscStats
{
    /// <summary>submit_sm received (all, recorded or not, answered or not).</summary>
    public long Submits { get; init; }

    /// <summary>submit_sm held in the record.</summary>
    public int Recorded { get; init; }

    /// <summary>Answers by command_status.</summary>
    public IReadOnlyDictionary<uint, long> ByStatus { get; init; } = new Dictionary<uint, long>();

    /// <summary>submit_sm received by session index.</summary>
    public IReadOnlyDictionary<int, long> BySession { get; init; } = new Dictionary<int, long>();

    public long ReceiptsSent { get; init; }

    public long ReceiptsAnswered { get; init; }

    public long EventsDropped { get; init; }

    /// <summary>Open connections, bound or not.</summary>
    public int Connections { get; init; }

    public int BoundSessions { get; init; }

    public long NextMessageId { get; init; }
}

/// <summary>An open connection to the SMSC.</summary>
public sealed class SmscSession
{
    public int Index { get; init; }

    public bool Bound { get; init; }

    /// <summary>"transceiver", "transmitter" or "receiver"; null before a bind.</summary>
    public string? BindType { get; init; }

    public string? SystemId { get; init; }

    public DateTimeOffset ConnectedAt { get; init; }

    public DateTimeOffset? BoundAt { get; init; }

    /// <summary>The client's local port: tells apart the connections of two client instances.</summary>
    public int RemotePort { get; init; }

    public long Submits { get; init; }
}

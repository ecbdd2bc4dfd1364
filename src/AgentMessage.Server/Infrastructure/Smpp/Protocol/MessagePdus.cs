namespace AgentMessage.Server.Infrastructure.Smpp.Protocol;

/// <summary>
/// The body shared by submit_sm (section 4.4.1) and deliver_sm (section 4.6.1). Every field defaults
/// to what the spec calls NULL (0, or the empty string) so a caller sets only what it needs.
/// </summary>
public abstract record ShortMessagePdu : Pdu
{
    /// <summary>Up to 5 characters; empty for the SMSC default.</summary>
    public string ServiceType { get; init; } = "";

    public byte SourceTon { get; init; }

    public byte SourceNpi { get; init; }

    /// <summary>Up to 20 characters.</summary>
    public string SourceAddr { get; init; } = "";

    public byte DestTon { get; init; }

    public byte DestNpi { get; init; }

    /// <summary>Up to 20 characters.</summary>
    public string DestAddr { get; init; } = "";

    /// <summary>Messaging mode and type; 0x40 (UDHI) when <see cref="ShortMessage"/> starts with a
    /// user data header, 0x04 on deliver_sm for a delivery receipt.</summary>
    public byte EsmClass { get; init; }

    public byte ProtocolId { get; init; }

    public byte PriorityFlag { get; init; }

    /// <summary>Empty, or the 16-character absolute/relative time format (section 7.1.1).</summary>
    public string ScheduleDeliveryTime { get; init; } = "";

    /// <summary>Empty, or the 16-character absolute/relative time format (section 7.1.1).</summary>
    public string ValidityPeriod { get; init; } = "";

    /// <summary>Bit 0 set asks for a delivery receipt.</summary>
    public byte RegisteredDelivery { get; init; }

    public byte ReplaceIfPresent { get; init; }

    /// <summary>See <see cref="SmppText"/>: 0 GSM default, 3 Latin-1, 8 UCS-2...</summary>
    public byte DataCoding { get; init; }

    public byte SmDefaultMsgId { get; init; }

    /// <summary>Up to 254 octets (sm_length is written from it); longer bodies go in message_payload.</summary>
    public ReadOnlyMemory<byte> ShortMessage { get; init; }

    public IReadOnlyList<Tlv> Tlvs { get; init; } = [];
}

public sealed record SubmitSm : ShortMessagePdu
{
    public override CommandId Command => CommandId.SubmitSm;
}

public sealed record DeliverSm : ShortMessagePdu
{
    public override CommandId Command => CommandId.DeliverSm;
}

/// <summary>submit_sm_resp: the SMSC's id for the message (up to 64 characters). An error response
/// may have no body; it then reads as an empty id.</summary>
public sealed record SubmitSmResp(string MessageId) : Pdu
{
    public override CommandId Command => CommandId.SubmitSmResp;
}

/// <summary>deliver_sm_resp: its message_id field is unused (always written as NULL).</summary>
public sealed record DeliverSmResp : Pdu
{
    public override CommandId Command => CommandId.DeliverSmResp;
}

/// <summary>data_sm (section 4.7.1): a message with its content in TLVs (message_payload).</summary>
public sealed record DataSm : Pdu
{
    public override CommandId Command => CommandId.DataSm;

    public string ServiceType { get; init; } = "";

    public byte SourceTon { get; init; }

    public byte SourceNpi { get; init; }

    /// <summary>Up to 64 characters.</summary>
    public string SourceAddr { get; init; } = "";

    public byte DestTon { get; init; }

    public byte DestNpi { get; init; }

    /// <summary>Up to 64 characters.</summary>
    public string DestAddr { get; init; } = "";

    public byte EsmClass { get; init; }

    public byte RegisteredDelivery { get; init; }

    public byte DataCoding { get; init; }

    public IReadOnlyList<Tlv> Tlvs { get; init; } = [];
}

public sealed record DataSmResp(string MessageId) : Pdu
{
    public override CommandId Command => CommandId.DataSmResp;

    public IReadOnlyList<Tlv> Tlvs { get; init; } = [];
}

/// <summary>query_sm (section 4.8.1): the state of a message submitted earlier.</summary>
public sealed record QuerySm(string MessageId, byte SourceTon = 0, byte SourceNpi = 0, string SourceAddr = "") : Pdu
{
    public override CommandId Command => CommandId.QuerySm;
}

/// <summary>query_sm_resp: <paramref name="MessageState"/> is a <see cref="Protocol.MessageState"/> value;
/// <paramref name="FinalDate"/> is empty until the message is final.</summary>
public sealed record QuerySmResp(string MessageId, string FinalDate, byte MessageState, byte ErrorCode) : Pdu
{
    public override CommandId Command => CommandId.QuerySmResp;
}

/// <summary>cancel_sm (section 4.9.1).</summary>
public sealed record CancelSm : Pdu
{
    public override CommandId Command => CommandId.CancelSm;

    public string ServiceType { get; init; } = "";

    public string MessageId { get; init; } = "";

    public byte SourceTon { get; init; }

    public byte SourceNpi { get; init; }

    public string SourceAddr { get; init; } = "";

    public byte DestTon { get; init; }

    public byte DestNpi { get; init; }

    public string DestAddr { get; init; } = "";
}

public sealed record CancelSmResp : Pdu
{
    public override CommandId Command => CommandId.CancelSmResp;
}

/// <summary>replace_sm (section 4.10.1).</summary>
public sealed record ReplaceSm : Pdu
{
    public override CommandId Command => CommandId.ReplaceSm;

    public string MessageId { get; init; } = "";

    public byte SourceTon { get; init; }

    public byte SourceNpi { get; init; }

    public string SourceAddr { get; init; } = "";

    public string ScheduleDeliveryTime { get; init; } = "";

    public string ValidityPeriod { get; init; } = "";

    public byte RegisteredDelivery { get; init; }

    public byte SmDefaultMsgId { get; init; }

    public ReadOnlyMemory<byte> ShortMessage { get; init; }
}

public sealed record ReplaceSmResp : Pdu
{
    public override CommandId Command => CommandId.ReplaceSmResp;
}

/// <summary>alert_notification (section 4.12.1): a mobile became available (no response is sent).</summary>
public sealed record AlertNotification : Pdu
{
    public override CommandId Command => CommandId.AlertNotification;

    public byte SourceTon { get; init; }

    public byte SourceNpi { get; init; }

    /// <summary>Up to 64 characters.</summary>
    public string SourceAddr { get; init; } = "";

    public byte EsmeTon { get; init; }

    public byte EsmeNpi { get; init; }

    /// <summary>Up to 64 characters.</summary>
    public string EsmeAddr { get; init; } = "";

    public IReadOnlyList<Tlv> Tlvs { get; init; } = [];
}

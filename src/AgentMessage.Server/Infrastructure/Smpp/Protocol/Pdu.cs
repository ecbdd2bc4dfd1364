namespace AgentMessage.Server.Infrastructure.Smpp.Protocol;

/// <summary>
/// An SMPP 3.4 PDU: the header's command_status and sequence_number, and the body each derived record
/// holds (command_length is worked out by <see cref="PduCodec.Encode"/>). Records compare
/// <see cref="ReadOnlyMemory{T}"/> and list members by reference, not content.
/// </summary>
public abstract record Pdu
{
    public abstract CommandId Command { get; }

    /// <summary>command_status: 0 in requests; a <see cref="CommandStatus"/> value in responses.</summary>
    public uint Status { get; init; }

    /// <summary>sequence_number: set by the sender of a request, echoed by its response.</summary>
    public uint Sequence { get; init; }

    /// <summary>True for a response (generic_nack included).</summary>
    public bool IsResponse => CommandIds.IsResponse((uint)Command);
}

/// <summary>generic_nack: the answer to a PDU that cannot be read (section 4.3). No body.</summary>
public sealed record GenericNack : Pdu
{
    public override CommandId Command => CommandId.GenericNack;
}

/// <summary>The body shared by bind_transmitter, bind_receiver and bind_transceiver (section 4.1).</summary>
/// <param name="SystemId">Up to 15 characters.</param>
/// <param name="Password">Up to 8 characters.</param>
/// <param name="SystemType">Up to 12 characters; often empty.</param>
/// <param name="InterfaceVersion">0x34 for SMPP 3.4.</param>
/// <param name="AddressRange">Up to 40 characters; empty for "any".</param>
public abstract record BindPdu(
    string SystemId,
    string Password,
    string SystemType,
    byte InterfaceVersion,
    byte AddrTon,
    byte AddrNpi,
    string AddressRange) : Pdu;

public sealed record BindTransmitter(
    string SystemId,
    string Password,
    string SystemType,
    byte InterfaceVersion = 0x34,
    byte AddrTon = 0,
    byte AddrNpi = 0,
    string AddressRange = "") : BindPdu(SystemId, Password, SystemType, InterfaceVersion, AddrTon, AddrNpi, AddressRange)
{
    public override CommandId Command => CommandId.BindTransmitter;
}

public sealed record BindReceiver(
    string SystemId,
    string Password,
    string SystemType,
    byte InterfaceVersion = 0x34,
    byte AddrTon = 0,
    byte AddrNpi = 0,
    string AddressRange = "") : BindPdu(SystemId, Password, SystemType, InterfaceVersion, AddrTon, AddrNpi, AddressRange)
{
    public override CommandId Command => CommandId.BindReceiver;
}

public sealed record BindTransceiver(
    string SystemId,
    string Password,
    string SystemType,
    byte InterfaceVersion = 0x34,
    byte AddrTon = 0,
    byte AddrNpi = 0,
    string AddressRange = "") : BindPdu(SystemId, Password, SystemType, InterfaceVersion, AddrTon, AddrNpi, AddressRange)
{
    public override CommandId Command => CommandId.BindTransceiver;
}

/// <summary>The body shared by the bind responses: the SMSC's system_id and optional parameters
/// (sc_interface_version tells the SMSC's SMPP version; absent means 3.3 or older).</summary>
public abstract record BindRespPdu(string SystemId) : Pdu
{
    public IReadOnlyList<Tlv> Tlvs { get; init; } = [];
}

public sealed record BindTransmitterResp(string SystemId) : BindRespPdu(SystemId)
{
    public override CommandId Command => CommandId.BindTransmitterResp;
}

public sealed record BindReceiverResp(string SystemId) : BindRespPdu(SystemId)
{
    public override CommandId Command => CommandId.BindReceiverResp;
}

public sealed record BindTransceiverResp(string SystemId) : BindRespPdu(SystemId)
{
    public override CommandId Command => CommandId.BindTransceiverResp;
}

/// <summary>outbind: an SMSC asking the ESME to bind as a receiver (section 4.1.7).</summary>
public sealed record Outbind(string SystemId, string Password) : Pdu
{
    public override CommandId Command => CommandId.Outbind;
}

public sealed record Unbind : Pdu
{
    public override CommandId Command => CommandId.Unbind;
}

public sealed record UnbindResp : Pdu
{
    public override CommandId Command => CommandId.UnbindResp;
}

public sealed record EnquireLink : Pdu
{
    public override CommandId Command => CommandId.EnquireLink;
}

public sealed record EnquireLinkResp : Pdu
{
    public override CommandId Command => CommandId.EnquireLinkResp;
}

namespace AgentMessage.Server.Infrastructure.Smpp.Protocol;

/// <summary>
/// SMPP 3.4 message states (section 5.2.28): the message_state optional parameter of a receipt and
/// the message_state of query_sm_resp.
/// </summary>
public static class MessageState
{
    public const byte Enroute = 1;
    public const byte Delivered = 2;
    public const byte Expired = 3;
    public const byte Deleted = 4;
    public const byte Undeliverable = 5;
    public const byte Accepted = 6;
    public const byte Unknown = 7;
    public const byte Rejected = 8;

    /// <summary>The receipt text's stat for <paramref name="state"/> (Appendix B: DELIVRD, UNDELIV...),
    /// or null for a value the spec does not define.</summary>
    public static string? ToStat(byte state) => state switch
    {
        Enroute => "ENROUTE",
        Delivered => "DELIVRD",
        Expired => "EXPIRED",
        Deleted => "DELETED",
        Undeliverable => "UNDELIV",
        Accepted => "ACCEPTD",
        Unknown => "UNKNOWN",
        Rejected => "REJECTD",
        _ => null,
    };
}

namespace AgentMessage.Server.Infrastructure.Redis;

/// <summary>
/// Field names inside the Redis values that both C# and the scripts read or write. The scripts are
/// built from these constants, so each name is spelled once. Short on purpose: they are repeated in
/// every message hash and stream entry.
/// </summary>
public static class RedisFields
{
    /// <summary>Message hash: the JSON as accepted.</summary>
    public const string MessageJson = "m";

    /// <summary>Message hash: the current status (stored name).</summary>
    public const string MessageStatus = "s";

    /// <summary>Message hash: updated_at.</summary>
    public const string MessageUpdatedAt = "u";

    /// <summary>Message hash: the error code, once one is set.</summary>
    public const string MessageErrorCode = "e";

    /// <summary>Message hash: the id of the event that set the current status (absent on messages
    /// stored before it was kept).</summary>
    public const string MessageEventId = "v";

    /// <summary>Message hash: the tag, copied into every event of the message.</summary>
    public const string MessageTag = "t";

    /// <summary>Event stream and dispatch stream entries: the message id.</summary>
    public const string EntryMessageId = "m";

    /// <summary>Event stream entry: the status (stored name).</summary>
    public const string EventStatus = "s";

    /// <summary>Event stream entry: the error code ('' for none).</summary>
    public const string EventErrorCode = "e";

    /// <summary>Event stream entry: occurred_at.</summary>
    public const string EventOccurredAt = "at";

    /// <summary>Event stream entry: the message's tag ('' for none).</summary>
    public const string EventTag = "t";

    /// <summary>Event stream entry: the message's direction (stored name); absent for outbound, so the
    /// events of sends stay as they were.</summary>
    public const string EventDirection = "d";

    /// <summary>Message hash: the sender number, for its dispatch lane and pace.</summary>
    public const string MessageFrom = "f";

    /// <summary>Message hash: the priority (stored name), for its dispatch lane.</summary>
    public const string MessagePriority = "p";

    /// <summary>Message hash: when it fails with expired_in_queue if not yet submitted (unix ms; absent: never).</summary>
    public const string MessageValidUntil = "x";

    /// <summary>Message hash: its sender's pace interval when it was accepted (ms).</summary>
    public const string MessagePaceInterval = "pi";

    /// <summary>Carrier progress hash: the concatenation reference every part of the message carries
    /// (the other fields are part numbers).</summary>
    public const string CarrierConcatReference = "r";

    /// <summary>Carrier receipts hash: the message's status once decided (the other fields are part numbers).</summary>
    public const string CarrierDecidedStatus = "d";
}

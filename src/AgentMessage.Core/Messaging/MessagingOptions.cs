using System.ComponentModel.DataAnnotations;

namespace AgentMessage.Core.Messaging;

/// <summary>Send rules an operator may tune (AgentMessage:Messaging).</summary>
public sealed class MessagingOptions
{
    public const string Section = "AgentMessage:Messaging";

    /// <summary>How old a number lookup may be and still block a send to a landline.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan LineTypeLookupMaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long a message stays readable once the carrier has it: counted from its last change to
    /// <c>sent</c> or a final status, so a late receipt starts it again. Queued and sending messages
    /// never expire (they are still on their way). Applies on Redis; the embedded default keeps
    /// everything until it stops.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);
}

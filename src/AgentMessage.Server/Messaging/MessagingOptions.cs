using System.ComponentModel.DataAnnotations;

namespace AgentMessage.Server.Messaging;

/// <summary>Send rules an operator may tune (AgentMessage:Messaging).</summary>
public sealed class MessagingOptions
{
    public const string Section = "AgentMessage:Messaging";

    /// <summary>How old a number lookup may be and still block a send to a landline.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan LineTypeLookupMaxAge { get; set; } = TimeSpan.FromDays(30);
}

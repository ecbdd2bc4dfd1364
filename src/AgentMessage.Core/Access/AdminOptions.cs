namespace AgentMessage.Core.Access;

/// <summary>AgentMessage:Admin. Absent token: the operator API is off.</summary>
public sealed class AdminOptions
{
    public const string Section = "AgentMessage:Admin";

    /// <summary>The operator's bearer token; at least 32 characters.</summary>
    public string? Token { get; set; }
}

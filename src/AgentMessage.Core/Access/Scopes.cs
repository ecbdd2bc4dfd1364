namespace AgentMessage.Core.Access;

/// <summary>The scopes an API key can carry (docs/API.md section 4).</summary>
public static class Scopes
{
    public const string MessagesSend = "messages:send";
    public const string MessagesRead = "messages:read";
    public const string ConsentsWrite = "consents:write";
    public const string LookupsRead = "lookups:read";
    public const string WebhooksRead = "webhooks:read";
    public const string WebhooksWrite = "webhooks:write";

    public static readonly IReadOnlyList<string> All = [MessagesSend, MessagesRead, ConsentsWrite, LookupsRead, WebhooksRead, WebhooksWrite];
}

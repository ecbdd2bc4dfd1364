using AgentMessage.Core.Messaging;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary>Fresh identifiers and messages for the contract suites, unique per call so suites sharing
/// one Redis server never meet each other's data.</summary>
public static class ContractData
{
    public static string Organization() => "org-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>An E.164-shaped number no other call returns.</summary>
    public static string Number() => "+1555" + Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static Message Message(string organizationId, DateTimeOffset at, string? tag = null, MessagePriority priority = MessagePriority.Default) => new(
        Id: Guid.NewGuid().ToString("N"),
        OrganizationId: organizationId,
        From: "+15550000001",
        To: "+15550000002",
        Text: "hello",
        Channel: MessageChannel.Sms,
        Priority: priority,
        Status: DeliveryStatus.Queued,
        Tag: tag,
        Media: [],
        Encoding: TextEncoding.Gsm7,
        Segments: 1,
        CreatedAt: at,
        UpdatedAt: at);
}

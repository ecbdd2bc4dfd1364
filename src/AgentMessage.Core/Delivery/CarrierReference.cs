using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// The reference a message is submitted under and receipts come back with:
/// <c>{organization id}/{message id}</c>. It depends only on the message, so every retry of a
/// submission carries the same one, and a receipt names the message without any lookup table.
/// </summary>
public static class CarrierReference
{
    public static string Of(Message message) => Of(message.OrganizationId, message.Id);

    public static string Of(string organizationId, string messageId) => $"{organizationId}/{messageId}";

    /// <summary>Splits a reference into its two non-empty parts; false for anything else.</summary>
    public static bool TryParse(string? reference, out string organizationId, out string messageId)
    {
        organizationId = messageId = string.Empty;
        if (string.IsNullOrEmpty(reference))
        {
            return false;
        }

        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == reference.Length - 1 || reference.IndexOf('/', slash + 1) >= 0 ||
            reference.AsSpan().ContainsAny(" \t\r\n"))
        {
            return false;
        }

        organizationId = reference[..slash];
        messageId = reference[(slash + 1)..];
        return true;
    }
}

namespace AgentMessage.Core.Messaging;

/// <summary>Reading messages. Messages are written by <see cref="ISendAdmission"/>, together with
/// the rate-limit token and idempotency key of their send.</summary>
public interface IMessageStore
{
    ValueTask<Message?> GetAsync(string organizationId, string id, CancellationToken cancellationToken);

    /// <summary>Newest first. Throws VALIDATION_FAILED on <c>page_token</c> when the token is not one this store issued.</summary>
    ValueTask<MessagePage> ListAsync(string organizationId, MessageQuery query, CancellationToken cancellationToken);
}

using AgentMessage.Server.Messaging;

namespace AgentMessage.Server.Tests.Grpc;

/// <summary>A message store whose writes fail with an exception carrying text no caller may see.</summary>
internal sealed class ThrowingMessageStore : IMessageStore
{
    public ValueTask AddAsync(Message message, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("secret database detail");

    public ValueTask<Message?> GetAsync(string organizationId, string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult<Message?>(null);

    public ValueTask<MessagePage> ListAsync(string organizationId, MessageQuery query, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new MessagePage([], null));
}

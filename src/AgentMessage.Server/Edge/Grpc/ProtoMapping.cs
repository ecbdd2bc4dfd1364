using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using Google.Protobuf.WellKnownTypes;
using Proto = AgentMessage.V1;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>Between the proto contract and the domain. Values the contract does not define map to
/// out-of-range domain values, which the domain's validation then names by field.</summary>
public static class ProtoMapping
{
    private const int Undefined = -1;

    public static SendMessageCommand ToCommand(Proto.SendMessageRequest request) => new(
        From: request.From,
        To: request.To,
        Text: request.Text,
        Media: [.. request.Media],
        Priority: request.Priority switch
        {
            Proto.Priority.Unspecified => null,
            Proto.Priority.Default => MessagePriority.Default,
            Proto.Priority.High => MessagePriority.High,
            _ => (MessagePriority)Undefined,
        },
        Tag: request.HasTag ? request.Tag : null,
        SendAt: request.SendAt is null ? null : ToDomain(request.SendAt),
        ValidityPeriodSeconds: request.HasValidityPeriodSeconds ? request.ValidityPeriodSeconds : null,
        InReplyTo: request.HasInReplyTo ? request.InReplyTo : null);

    /// <summary>A timestamp outside what DateTimeOffset holds (or not normalized) can only come
    /// from a native client; it becomes the earliest instant, which validation refuses as past.</summary>
    private static DateTimeOffset ToDomain(Timestamp timestamp) =>
        timestamp.Seconds is >= -62135596800 and <= 253402300799 && timestamp.Nanos is >= 0 and < 1_000_000_000
            ? timestamp.ToDateTimeOffset()
            : DateTimeOffset.MinValue;

    public static MessageQuery ToQuery(Proto.ListMessagesRequest request) => new(
        Tag: request.HasTag ? request.Tag : null,
        Status: request.Status == Proto.MessageStatus.Unspecified ? null : ToDomain(request.Status),
        PageSize: request.PageSize,
        PageToken: request.PageToken,
        Direction: ToDomain(request.Direction),
        From: request.HasFrom ? request.From : null,
        To: request.HasTo ? request.To : null);

    /// <summary>A direction filter: unspecified is none.</summary>
    public static MessageDirection? ToDomain(Proto.Direction direction) => direction switch
    {
        Proto.Direction.Unspecified => null,
        Proto.Direction.Outbound => MessageDirection.Outbound,
        Proto.Direction.Inbound => MessageDirection.Inbound,
        _ => (MessageDirection)Undefined,
    };

    public static Proto.Direction ToProto(MessageDirection direction) =>
        direction == MessageDirection.Inbound ? Proto.Direction.Inbound : Proto.Direction.Outbound;

    public static Proto.Message ToProto(Message message)
    {
        var proto = new Proto.Message
        {
            Id = message.Id,
            From = message.From,
            To = message.To,
            Text = message.Text,
            Channel = message.Channel == MessageChannel.Mms ? Proto.Channel.Mms : Proto.Channel.Sms,
            Priority = message.Priority == MessagePriority.High ? Proto.Priority.High : Proto.Priority.Default,
            Status = ToProto(message.Status),
            CreatedAt = Timestamp.FromDateTimeOffset(message.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(message.UpdatedAt),
            Segments = message.Segments,
            Encoding = message.Segments == 0 ? Proto.Encoding.Unspecified
                : message.Encoding == TextEncoding.Gsm7 ? Proto.Encoding.Gsm7 : Proto.Encoding.Ucs2,
            Media = { message.Media },
            Direction = ToProto(message.Direction),
        };
        if (message.Tag is not null)
        {
            proto.Tag = message.Tag;
        }

        if (message.ErrorCode is not null)
        {
            proto.ErrorCode = message.ErrorCode;
        }

        if (message.SendAt is { } sendAt)
        {
            proto.SendAt = Timestamp.FromDateTimeOffset(sendAt);
        }

        if (message.ValidUntil is { } validUntil)
        {
            proto.ValidUntil = Timestamp.FromDateTimeOffset(validUntil);
        }

        if (message.InReplyTo is not null)
        {
            proto.InReplyTo = message.InReplyTo;
        }

        return proto;
    }

    public static Proto.StatusEvent ToProto(StatusEvent statusEvent)
    {
        var proto = new Proto.StatusEvent
        {
            EventId = statusEvent.EventId,
            MessageId = statusEvent.MessageId,
            Status = ToProto(statusEvent.Status),
            OccurredAt = Timestamp.FromDateTimeOffset(statusEvent.OccurredAt),
            Direction = ToProto(statusEvent.Direction),
        };
        if (statusEvent.ErrorCode is not null)
        {
            proto.ErrorCode = statusEvent.ErrorCode;
        }

        if (statusEvent.Tag is not null)
        {
            proto.Tag = statusEvent.Tag;
        }

        return proto;
    }

    public static Proto.MessageStatus ToProto(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Queued => Proto.MessageStatus.Queued,
        DeliveryStatus.Sending => Proto.MessageStatus.Sending,
        DeliveryStatus.Sent => Proto.MessageStatus.Sent,
        DeliveryStatus.Delivered => Proto.MessageStatus.Delivered,
        DeliveryStatus.Undelivered => Proto.MessageStatus.Undelivered,
        DeliveryStatus.Failed => Proto.MessageStatus.Failed,
        DeliveryStatus.Scheduled => Proto.MessageStatus.Scheduled,
        DeliveryStatus.Canceled => Proto.MessageStatus.Canceled,
        DeliveryStatus.Received => Proto.MessageStatus.Received,
        _ => Proto.MessageStatus.Unspecified,
    };

    public static DeliveryStatus ToDomain(Proto.MessageStatus status) => status switch
    {
        Proto.MessageStatus.Queued => DeliveryStatus.Queued,
        Proto.MessageStatus.Sending => DeliveryStatus.Sending,
        Proto.MessageStatus.Sent => DeliveryStatus.Sent,
        Proto.MessageStatus.Delivered => DeliveryStatus.Delivered,
        Proto.MessageStatus.Undelivered => DeliveryStatus.Undelivered,
        Proto.MessageStatus.Failed => DeliveryStatus.Failed,
        Proto.MessageStatus.Scheduled => DeliveryStatus.Scheduled,
        Proto.MessageStatus.Canceled => DeliveryStatus.Canceled,
        Proto.MessageStatus.Received => DeliveryStatus.Received,
        _ => (DeliveryStatus)Undefined,
    };
}

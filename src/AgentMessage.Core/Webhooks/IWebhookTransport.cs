using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Webhooks;

/// <summary>How one attempt ended: the endpoint's status, or why there was none.</summary>
public readonly record struct WebhookResponse(int Status, string? Error, TimeSpan Duration)
{
    public bool Succeeded => Status is >= 200 and < 300;
}

/// <summary>Sends one signed delivery over HTTP; never throws for the endpoint's failures.</summary>
public interface IWebhookTransport
{
    /// <param name="headers">webhook-id, webhook-timestamp, webhook-signature.</param>
    ValueTask<WebhookResponse> PostAsync(string url, ReadOnlyMemory<byte> body, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken);
}

/// <summary>Writes an event's JSON body: <c>{"type", "timestamp", "data"}</c>, data being the message
/// as GetMessage shows it over REST (the edge's JSON shape, so it lives with the edge).</summary>
public interface IWebhookPayloadWriter
{
    /// <summary>A message event: the message with the status, error code and time the event reports.</summary>
    byte[] WriteMessageEvent(string type, DateTimeOffset timestamp, Message message);

    /// <summary>A webhook.test event: data names the endpoint.</summary>
    byte[] WriteTestEvent(DateTimeOffset timestamp, string endpointId);
}

/// <summary>Refuses webhook URLs that are unsafe to call: the creation-time check (the connection
/// itself is checked again by the transport).</summary>
public interface IWebhookDestinationCheck
{
    /// <summary>Null when <paramref name="url"/> is acceptable, else the problem, for the field-rule error on url.</summary>
    ValueTask<string?> CheckAsync(string url, CancellationToken cancellationToken);
}

using AgentMessage.V1;

namespace AgentMessage.Client.Tests.Support;

/// <summary>Clients for a <see cref="LiveServer"/>, and the requests the tests send.</summary>
public static class Clients
{
    /// <summary>A client of <paramref name="server"/> through <paramref name="injector"/>, with short backoffs.</summary>
    public static AgentMessageClient For(LiveServer server, FaultInjector injector, Action<AgentMessageRetryOptions>? retry = null, TimeProvider? clock = null) =>
        For(server.GrpcUrl, injector, retry, clock);

    public static AgentMessageClient For(Uri endpoint, FaultInjector injector, Action<AgentMessageRetryOptions>? retry = null, TimeProvider? clock = null)
    {
        var options = new AgentMessageClientOptions
        {
            Endpoint = endpoint,
            ApiKey = LiveServer.DevKey,
            HttpHandler = injector,
            TimeProvider = clock,
            Retry = { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromSeconds(5) },
        };
        retry?.Invoke(options.Retry);
        return new AgentMessageClient(options);
    }

    /// <summary>A send the development organization may make, tagged so a test can count its own messages.</summary>
    public static SendMessageRequest Send(string tag, string text = "hello from the client tests") =>
        new() { From = LiveServer.Sender, To = LiveServer.Recipient, Text = text, Tag = tag };

    /// <summary>A tag no other test uses.</summary>
    public static string NewTag() => $"client-{Guid.NewGuid():N}";

    /// <summary>How many messages carry <paramref name="tag"/>, every page read.</summary>
    public static async Task<List<Message>> MessagesTaggedAsync(AgentMessageClient client, string tag)
    {
        var messages = new List<Message>();
        var request = new ListMessagesRequest { Tag = tag, PageSize = 100 };
        do
        {
            var page = await client.ListMessagesAsync(request, TestContext.Current.CancellationToken);
            messages.AddRange(page.Messages);
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);
        return messages;
    }
}

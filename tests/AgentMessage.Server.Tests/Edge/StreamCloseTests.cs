using AgentMessage.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static AgentMessage.Server.Tests.Support.DeliverySupport;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge;

/// <summary>A client that stops reading its status stream is the end of a stream, not a server
/// fault, on either face.</summary>
public sealed class StreamCloseTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClientClosingItsRestStream_LogsNoError()
    {
        var sink = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { ["Logging:LogLevel:Default"] = "Information" },
            services => services.AddSingleton<ILoggerProvider>(sink));
        var id = await server.SendAsync(OrdinaryRecipient);

        using (var response = await server.Rest.SendAsync(Get($"/v1/messages/status/stream?message_ids={id}", TestServer.DevKey), HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            Assert.Contains("\"queued\"", await reader.ReadLineAsync(Ct), StringComparison.Ordinal);
        }

        await sink.WaitForLineAsync("GET /v1/messages/status/stream answered");

        Assert.Equal(string.Empty, string.Join('\n', sink.Errors));
    }

    [Fact]
    public async Task ClientCancellingItsGrpcStream_LogsNoError()
    {
        var sink = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { ["Logging:LogLevel:Default"] = "Information" },
            services => services.AddSingleton<ILoggerProvider>(sink));
        var id = await server.SendAsync(OrdinaryRecipient);

        using (var leaving = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            using var call = server.Messaging.StreamStatus(new StreamStatusRequest { MessageIds = { id } }, TestServer.Bearer(TestServer.DevKey), cancellationToken: leaving.Token);
            Assert.True(await call.ResponseStream.MoveNext(Ct));
            Assert.Equal(MessageStatus.Queued, call.ResponseStream.Current.Event.Status);
            await leaving.CancelAsync();
        }

        await sink.WaitForLineAsync("/agentmessage.v1.MessagingService/StreamStatus answered");

        Assert.Equal(string.Empty, string.Join('\n', sink.Errors));
    }
}

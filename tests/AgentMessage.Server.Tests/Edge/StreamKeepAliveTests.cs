using System.Net;
using System.Net.Sockets;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Tests.Edge;

/// <summary>
/// What keeps an idle status stream alive and tells its client it is subscribed: REST response
/// headers as soon as the stream is subscribed, REST heartbeat lines, and HTTP/2 keepalive pings on
/// the gRPC listener.
/// </summary>
public sealed class StreamKeepAliveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RestStream_SendsItsHeadersOnceSubscribed_BeforeAnyEvent()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            // No heartbeat within the test: only the subscription can send the headers.
            ["AgentMessage:Streams:HeartbeatInterval"] = "01:00:00",
        });

        using var stream = await RestStream.OpenAsync(server, "/v1/messages/status/stream?tag=nothing-happens", TestServer.DevKey);

        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal("application/json", stream.Response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrEmpty(stream.Response.Headers.GetValues("X-Request-Id").Single()));
    }

    [Fact]
    public async Task IdleRestStream_SendsHeartbeatLines_AndGrpcStreamsSendNone()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:Streams:HeartbeatInterval"] = "00:00:00.050",
        });
        using var rest = await RestStream.OpenAsync(server, "/v1/messages/status/stream?tag=beat", TestServer.DevKey);
        using var grpc = server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "beat" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        await grpc.ResponseHeadersAsync;

        var first = await rest.NextLineAsync();
        var second = await rest.NextLineAsync();
        var sent = await server.Messaging.SendMessageAsync(
            new SendMessageRequest { From = DevSeed.SenderNumber, To = DeliverySupport.OrdinaryRecipient, Text = "hi", Tag = "beat" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var restEvent = await rest.NextAsync();
        Assert.True(await grpc.ResponseStream.MoveNext(Ct));

        foreach (var heartbeat in new[] { first!, second! })
        {
            Assert.True(RestStream.IsHeartbeat(heartbeat), heartbeat.ToJsonString());
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", (string)heartbeat["heartbeat"]!);
        }

        Assert.Equal(sent.Message.Id, (string)restEvent!["message_id"]!);
        Assert.Equal(sent.Message.Id, grpc.ResponseStream.Current.Event.MessageId);
    }

    [Fact]
    public async Task GrpcListener_PingsAnIdleHttp2Connection()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Kestrel:Limits:Http2:KeepAlivePingDelay"] = "00:00:01",
        });
        using var client = new TcpClient();
        await client.ConnectAsync(server.GrpcUrl.Host, server.GrpcUrl.Port, Ct);
        var connection = client.GetStream();
        await connection.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(), Ct);
        await connection.WriteAsync(Frame(type: 0x4, flags: 0, []), Ct); // our SETTINGS, empty

        // Acknowledge the server's SETTINGS, then stay silent until it pings.
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        patience.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var (type, flags, payload) = await ReadFrameAsync(connection, patience.Token);
            if (type == 0x4 && (flags & 0x1) == 0)
            {
                await connection.WriteAsync(Frame(type: 0x4, flags: 0x1, []), Ct);
            }
            else if (type == 0x6)
            {
                Assert.Equal(0, flags & 0x1); // a ping of the server's, not an answer
                Assert.Equal(8, payload.Length);
                return;
            }
        }
    }

    [Fact]
    public async Task GrpcListener_KeepalivePingsAreOnByDefault()
    {
        await using var server = await TestServer.StartAsync();

        var limits = server.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.Http2;

        Assert.Equal(TimeSpan.FromSeconds(30), limits.KeepAlivePingDelay);
        Assert.Equal(TimeSpan.FromSeconds(20), limits.KeepAlivePingTimeout);
    }

    private static byte[] Frame(byte type, byte flags, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        payload.CopyTo(frame, 9);
        return frame;
    }

    private static async Task<(byte Type, byte Flags, byte[] Payload)> ReadFrameAsync(NetworkStream connection, CancellationToken cancellationToken)
    {
        var header = new byte[9];
        await connection.ReadExactlyAsync(header, cancellationToken);
        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        var payload = new byte[length];
        await connection.ReadExactlyAsync(payload, cancellationToken);
        return (header[3], header[4], payload);
    }
}

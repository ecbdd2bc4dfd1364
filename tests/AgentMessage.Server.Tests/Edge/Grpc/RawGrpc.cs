using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Google.Rpc;
using static AgentMessage.Server.Tests.Edge.Grpc.RpcErrors;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>A gRPC call's HTTP/2 response as a plain client reads it: status, headers, body, trailers.</summary>
internal sealed record RawGrpcResponse(HttpStatusCode StatusCode, Dictionary<string, string> Headers, byte[] Body, Dictionary<string, string> Trailers)
{
    /// <summary>A response header, or a trailer of a response that sent a message first.</summary>
    public string Header(string name) =>
        Headers.TryGetValue(name, out var value) || Trailers.TryGetValue(name, out value)
            ? value
            : throw new Xunit.Sdk.XunitException($"response has no {name} header or trailer");
}

/// <summary>gRPC on the wire without a gRPC client: hand-built frames over h2c, and the checks of a refusal.</summary>
internal static class RawGrpc
{
    /// <summary>One gRPC message frame: the compressed flag, a 4-byte big-endian length, the payload.</summary>
    public static byte[] Frame(byte flag, byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>Posts <paramref name="body"/> as it is to <paramref name="path"/> on the gRPC listener.</summary>
    public static async Task<RawGrpcResponse> CallAsync(TestServer server, string path, byte[] body, string? key, string? encoding = null)
    {
        using var client = new HttpClient { BaseAddress = server.GrpcUrl };
        using var message = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        message.Headers.TE.ParseAdd("trailers");
        if (encoding is not null)
        {
            message.Headers.Add("grpc-encoding", encoding);
        }

        if (key is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await client.SendAsync(message, Ct);
        var received = await response.Content.ReadAsByteArrayAsync(Ct);
        var headers = response.Headers.Concat(response.Content.Headers)
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value), StringComparer.Ordinal);
        var trailers = response.TrailingHeaders.ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value), StringComparer.Ordinal);
        return new RawGrpcResponse(response.StatusCode, headers, received, trailers);
    }

    /// <summary>
    /// A refusal as the error table writes it: HTTP 200, no message, <c>grpc-status</c> and
    /// <c>grpc-message</c>, and a <c>grpc-status-details-bin</c> whose ErrorInfo has the reason, the
    /// domain and the call's request id; returns the decoded status.
    /// </summary>
    public static Google.Rpc.Status AssertRefused(RawGrpcResponse response, int code, string message, string reason)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/grpc", response.Header("content-type"));
        Assert.Equal(code.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("grpc-status"));
        Assert.Equal(message, response.Header("grpc-message"));
        Assert.Empty(response.Body);

        var status = Google.Rpc.Status.Parser.ParseFrom(Convert.FromBase64String(response.Header("grpc-status-details-bin")));
        Assert.Equal(code, status.Code);
        Assert.Equal(message, status.Message);
        var info = status.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal(reason, info.Reason);
        Assert.Equal("agentmessage.io", info.Domain);
        var requestId = response.Header("x-request-id");
        Assert.Matches(UlidPattern, requestId);
        Assert.Equal(requestId, info.Metadata["request_id"]);
        return status;
    }
}

using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentMessage.Server.Tests.Support;

/// <summary>
/// HTTP/1.1 written by hand on a TCP socket, for requests no HTTP client would send (broken chunked
/// framing, an oversized request line), and the response exactly as it came back.
/// </summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="head"/> (request line and headers; <c>Connection: close</c> is
    /// added) and <paramref name="body"/>, then reads until the server closes the connection.</summary>
    public static async Task<RawResponse> SendAsync(Uri server, string head, string body = "")
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, ct);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{head.TrimEnd('\r', '\n')}\r\nConnection: close\r\n\r\n{body}"), ct);
        using var received = new MemoryStream();
        await stream.CopyToAsync(received, ct);
        return RawResponse.Parse(received.ToArray());
    }

    /// <summary>A request line and the headers of a request with a chunked body.</summary>
    public static string ChunkedPost(string path, string? key, string contentType = "application/json", string method = "POST") =>
        $"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {contentType}\r\nTransfer-Encoding: chunked\r\n" +
        (key is null ? string.Empty : $"Authorization: Bearer {key}\r\n");
}

/// <summary>One HTTP/1.1 response as read from the socket.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonNode Json => JsonNode.Parse(Body) ?? throw new Xunit.Sdk.XunitException("the body is JSON null");

    public string Header(string name) =>
        Headers.TryGetValue(name, out var value) ? value : throw new Xunit.Sdk.XunitException($"response has no {name} header");

    public static RawResponse Parse(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"no complete response head in {bytes.Length} bytes: {text}");
        var lines = text[..end].Split("\r\n");
        var statusLine = lines[0].Split(' ', 3);
        Assert.Equal("HTTP/1.1", statusLine[0]);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        var body = text[(end + 4)..];
        if (headers.TryGetValue("Content-Length", out var length))
        {
            Assert.Equal(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetByteCount(body));
        }

        return new RawResponse(int.Parse(statusLine[1], System.Globalization.CultureInfo.InvariantCulture), headers, body);
    }
}

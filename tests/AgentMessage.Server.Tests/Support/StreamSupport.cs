using System.Text.Json.Nodes;
using AgentMessage.V1;
using Grpc.Core;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Support;

/// <summary>A REST status stream read line by line, as a client reads NDJSON.</summary>
public sealed class RestStream : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly StreamReader reader;

    private RestStream(HttpResponseMessage response, StreamReader reader)
    {
        Response = response;
        this.reader = reader;
    }

    public HttpResponseMessage Response { get; }

    /// <summary>Opens the stream and returns once its response headers have arrived (the stream is
    /// subscribed); fails if they have not after a generous bound.</summary>
    public static async Task<RestStream> OpenAsync(TestServer server, string path, string key)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        patience.CancelAfter(Patience);
        HttpResponseMessage response;
        try
        {
            response = await server.Rest.SendAsync(Get(path, key), HttpCompletionOption.ResponseHeadersRead, patience.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"no response headers for {path} after {Patience.TotalSeconds} s");
        }

        return new RestStream(response, new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken)));
    }

    /// <summary>The next line (heartbeats included), or null at the end of the stream.</summary>
    public async Task<JsonNode?> NextLineAsync()
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        patience.CancelAfter(Patience);
        return await reader.ReadLineAsync(patience.Token) is { } line ? JsonNode.Parse(line) : null;
    }

    /// <summary>The next line that is not a heartbeat, or null at the end of the stream.</summary>
    public async Task<JsonNode?> NextAsync()
    {
        while (await NextLineAsync() is { } line)
        {
            if (!IsHeartbeat(line))
            {
                return line;
            }
        }

        return null;
    }

    /// <summary>Every line that is not a heartbeat, up to the end of the stream.</summary>
    public async Task<List<JsonNode>> ReadToEndAsync()
    {
        var lines = new List<JsonNode>();
        while (await NextAsync() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    public static bool IsHeartbeat(JsonNode line) => line is JsonObject { Count: 1 } only && only.ContainsKey("heartbeat");

    public void Dispose()
    {
        reader.Dispose();
        Response.Dispose();
    }
}

/// <summary>Reading gRPC status streams in tests.</summary>
public static class GrpcStreams
{
    /// <summary>Every event up to the end of the stream, and the error it ended with (null: it ended cleanly).</summary>
    public static async Task<(List<V1.StatusEvent> Events, RpcException? Error)> ReadToEndAsync(AsyncServerStreamingCall<StreamStatusResponse> call)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        patience.CancelAfter(TimeSpan.FromSeconds(30));
        var events = new List<V1.StatusEvent>();
        try
        {
            while (await call.ResponseStream.MoveNext(patience.Token))
            {
                events.Add(call.ResponseStream.Current.Event);
            }

            return (events, null);
        }
        catch (RpcException error) when (error.StatusCode != StatusCode.Cancelled)
        {
            return (events, error);
        }
    }
}

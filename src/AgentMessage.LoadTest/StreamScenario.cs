using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using AgentMessage.Testing;
using AgentMessage.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Encoding = System.Text.Encoding;

namespace AgentMessage.LoadTest;

/// <summary>What one StreamStatus scenario measured.</summary>
public sealed record StreamResult(
    int Streams,
    int Receipts,
    TimeSpan OpenTime,
    long RssBefore,
    long RssOpen,
    Latencies ReceiptToClient,
    Latencies SendToClient,
    long EventsDelivered,
    ResourceUsage Usage,
    ErrorLog Errors)
{
    public double BytesPerStream => (RssOpen - RssBefore) / (double)Streams;
}

/// <summary>
/// N concurrent StreamStatus calls filtered by one tag, all open (response headers received: the
/// server sends them once the stream is subscribed). Then, round after round: one message with that
/// tag is sent (every stream must see it queued), and two signed carrier receipts are posted for it,
/// ACCEPTD (queued → sent) and DELIVRD (sent → delivered), one at a time. For each receipt, each
/// stream's latency is the time from just before the receipt's POST to that stream receiving the
/// event; every stream must receive every event exactly once. Memory per open stream is the
/// server's RSS with all streams open minus its RSS before, divided by N.
/// </summary>
public static class StreamScenario
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(60);

    public static async Task<StreamResult> RunAsync(
        RedisServer redis, ServerProcess server, HttpClient rest, Metadata auth, int count, int rounds, CancellationToken cancellationToken)
    {
        var errors = new ErrorLog();
        var tag = $"loadtest-streams-{count.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}"[..40];

        // Let the previous scenario's garbage settle before the baseline.
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var rssBefore = ProcFs.Rss(server.Pid);

        // Streams on their own channel, as many HTTP/2 connections as the server's stream limit needs.
        using var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        using var channel = GrpcChannel.ForAddress(server.GrpcUrl, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        var client = new MessagingService.MessagingServiceClient(channel);
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var probes = new ProbeHolder();
        var watchers = new Watcher[count];

        var openStarted = Ticks.Now;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = 256, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var call = client.StreamStatus(new StreamStatusRequest { Tag = tag }, auth, cancellationToken: closing.Token);
                try
                {
                    await call.ResponseHeadersAsync.WaitAsync(EventTimeout, token);
                }
                catch (Exception exception) when (exception is RpcException or TimeoutException)
                {
                    errors.Add(exception is TimeoutException ? "a stream sent no response headers within 60 s" : $"opening a stream: gRPC {((RpcException)exception).StatusCode}");
                    call.Dispose();
                    return;
                }

                watchers[i] = new Watcher(i, call, probes, errors, closing.Token);
            });
        var openTime = TimeSpan.FromMilliseconds(Ticks.ToMilliseconds(Ticks.Now - openStarted));
        var open = watchers.Count(w => w is not null);

        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        var rssOpen = ProcFs.Rss(server.Pid);

        var receiptLatencies = new List<long>(count * rounds * 2);
        var sendLatencies = new List<long>(count * rounds);
        var window = await UsageWindow.BeginAsync(redis, server);
        for (var round = 0; round < rounds; round++)
        {
            var queued = probes.Arm(new Probe(null, MessageStatus.Queued, count, open));
            var sent = await client.SendMessageAsync(
                new SendMessageRequest { From = LoadTestRun.Sender, To = LoadTestRun.Recipient, Text = "stream load test", Tag = tag },
                auth, cancellationToken: cancellationToken);
            var id = sent.Message.Id;
            sendLatencies.AddRange(await queued.WaitAsync(EventTimeout, errors, cancellationToken));
            if (!queued.Complete)
            {
                break; // the errors are recorded; waiting for more events that will not come only takes time
            }

            foreach (var (receipt, status) in new[] { ("ACCEPTD", MessageStatus.Sent), ("DELIVRD", MessageStatus.Delivered) })
            {
                var probe = probes.Arm(new Probe(id, status, count, open));
                await PostReceiptAsync(rest, id, receipt, errors, cancellationToken);
                receiptLatencies.AddRange(await probe.WaitAsync(EventTimeout, errors, cancellationToken));
                if (!probe.Complete)
                {
                    break;
                }
            }

            if (errors.Total > 0)
            {
                break;
            }
        }

        var usage = await window.EndAsync();
        probes.Arm(null);
        await closing.CancelAsync();
        await Task.WhenAll(watchers.Where(w => w is not null).Select(w => w.Reading));
        return new StreamResult(
            count, rounds * 2, openTime, rssBefore, rssOpen,
            new Latencies(receiptLatencies), new Latencies(sendLatencies),
            watchers.Sum(w => w?.Received ?? 0), usage, errors);
    }

    /// <summary>Posts a receipt the way a carrier does: HMAC-SHA256(secret, timestamp + "." + body).</summary>
    public static async Task PostReceiptAsync(HttpClient rest, string messageId, string status, ErrorLog errors, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["reference"] = $"{LoadTestRun.Organization}/{messageId}",
            ["status"] = status,
        });
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(ServerProcess.ReceiptSecret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/carrier/receipts")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Carrier-Timestamp", timestamp);
        request.Headers.Add("X-Carrier-Signature", signature);
        using var response = await rest.SendAsync(request, cancellationToken);
        var answer = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK || !answer.Contains("\"applied\":true", StringComparison.Ordinal))
        {
            errors.Add($"receipt {status} answered {(int)response.StatusCode}: {answer}");
        }
    }

    /// <summary>The event every stream is waiting for now (one at a time).</summary>
    private sealed class ProbeHolder
    {
        private Probe? current;

        public Probe? Current => Volatile.Read(ref current);

        public Probe Arm(Probe? probe)
        {
            Volatile.Write(ref current, probe);
            return probe!;
        }
    }

    /// <summary>One awaited event: its latency per stream, from <see cref="Started"/> (set at arming).</summary>
    private sealed class Probe(string? messageId, MessageStatus status, int slots, int streams)
    {
        private readonly long[] latencies = new long[slots];
        private readonly TaskCompletionSource done = Done(streams);
        private readonly int expected = streams;
        private int remaining = streams;

        public bool Complete => Volatile.Read(ref remaining) == 0;

        private static TaskCompletionSource Done(int streams)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (streams == 0)
            {
                done.TrySetResult();
            }

            return done;
        }

        public long Started { get; } = Ticks.Now;

        public MessageStatus Status => status;

        public bool Matches(StatusEvent statusEvent) =>
            statusEvent.Status == status && (messageId is null || statusEvent.MessageId == messageId);

        /// <summary>False when this stream had already received the event (a duplicate).</summary>
        public bool Record(int stream, long at)
        {
            if (latencies[stream] != 0)
            {
                return false;
            }

            latencies[stream] = Math.Max(1, at - Started);
            if (Interlocked.Decrement(ref remaining) == 0)
            {
                done.TrySetResult();
            }

            return true;
        }

        public async Task<IEnumerable<long>> WaitAsync(TimeSpan timeout, ErrorLog errors, CancellationToken cancellationToken)
        {
            try
            {
                await done.Task.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                errors.Add($"{Volatile.Read(ref remaining)} of {expected} streams did not receive {status} within {timeout.TotalSeconds:0} s");
            }

            return latencies.Where(l => l > 0).ToArray();
        }
    }

    /// <summary>Reads one stream, attributing each event to the armed probe.</summary>
    private sealed class Watcher
    {
        private readonly int index;
        private readonly AsyncServerStreamingCall<StreamStatusResponse> call;
        private readonly ProbeHolder probes;
        private readonly ErrorLog errors;
        private long received;

        public Watcher(int index, AsyncServerStreamingCall<StreamStatusResponse> call, ProbeHolder probes, ErrorLog errors, CancellationToken closing)
        {
            this.index = index;
            this.call = call;
            this.probes = probes;
            this.errors = errors;
            Reading = ReadAsync(closing);
        }

        public Task Reading { get; }

        public long Received => Interlocked.Read(ref received);

        private async Task ReadAsync(CancellationToken closing)
        {
            using var owned = call;
            try
            {
                while (await call.ResponseStream.MoveNext(closing))
                {
                    var at = Ticks.Now;
                    Interlocked.Increment(ref received);
                    var statusEvent = call.ResponseStream.Current.Event;
                    var probe = probes.Current;
                    if (probe is null || !probe.Matches(statusEvent))
                    {
                        errors.Add($"unexpected event {statusEvent.Status} (waiting for {probe?.Status.ToString() ?? "nothing"})");
                    }
                    else if (!probe.Record(index, at))
                    {
                        errors.Add($"duplicate event {statusEvent.Status}");
                    }
                }

                if (!closing.IsCancellationRequested)
                {
                    errors.Add("a stream ended before the scenario did");
                }
            }
            catch (RpcException exception) when (closing.IsCancellationRequested && exception.StatusCode == StatusCode.Cancelled)
            {
            }
            catch (OperationCanceledException) when (closing.IsCancellationRequested)
            {
            }
            catch (Exception exception)
            {
                errors.Add(exception);
            }
        }
    }
}

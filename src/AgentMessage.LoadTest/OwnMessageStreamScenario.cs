using System.Diagnostics;
using AgentMessage.Testing;
using AgentMessage.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentMessage.LoadTest;

/// <summary>What the own-message StreamStatus scenario measured (per pass of receipts).</summary>
public sealed record OwnStreamResult(
    int Streams,
    double ReceiptRate,
    TimeSpan OpenTime,
    long RssBefore,
    long RssOpen,
    Latencies Accepted,
    Latencies Delivered,
    long EventsDelivered,
    ResourceUsage Usage,
    ErrorLog Errors)
{
    public double BytesPerStream => (RssOpen - RssBefore) / (double)Streams;
}

/// <summary>
/// The usual shape of StreamStatus use: N clients each watch their own message. N messages are
/// sent first; then N <c>StreamStatus(message_ids=[its message])</c> calls are opened, and each must
/// first receive its message's current state (queued). Then two passes of signed carrier receipts
/// at a steady rate, in shuffled order: ACCEPTD for every message (→ sent; all N streams stay open
/// throughout: this pass is the measured window), then DELIVRD for every message (→ delivered,
/// after which each stream must end by itself). Latency per receipt: from just before its POST to
/// its stream receiving the event. Every stream must receive exactly queued, sent, delivered, in
/// that order, once each, and then end.
/// </summary>
public static class OwnMessageStreamScenario
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(60);

    public static async Task<OwnStreamResult> RunAsync(
        RedisServer redis, ServerProcess server, MessagingService.MessagingServiceClient sender, HttpClient rest, Metadata auth,
        int count, double rate, CancellationToken cancellationToken)
    {
        var errors = new ErrorLog();

        // One message per stream, sent as any client would (their "queued" events reach no stream yet).
        var ids = new string[count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken },
            async (i, token) => ids[i] = (await sender.SendMessageAsync(
                new SendMessageRequest { From = LoadTestRun.Sender, To = LoadTestRun.Recipient, Text = "own stream load test" },
                auth, cancellationToken: token)).Message.Id);

        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var rssBefore = ProcFs.Rss(server.Pid);

        using var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        using var channel = GrpcChannel.ForAddress(server.GrpcUrl, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        var client = new MessagingService.MessagingServiceClient(channel);
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watchers = new OwnWatcher[count];

        var openStarted = Ticks.Now;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = 256, CancellationToken = cancellationToken },
            (i, _) =>
            {
                var call = client.StreamStatus(new StreamStatusRequest { MessageIds = { ids[i] } }, auth, cancellationToken: closing.Token);
                watchers[i] = new OwnWatcher(ids[i], call, errors, closing.Token);
                return ValueTask.CompletedTask;
            });
        await WaitAllAsync(watchers.Select(w => w.Stage(OwnWatcher.Snapshot)), "its message's current state", errors, cancellationToken);
        var openTime = TimeSpan.FromMilliseconds(Ticks.ToMilliseconds(Ticks.Now - openStarted));

        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        var rssOpen = ProcFs.Rss(server.Pid);

        // The measured pass: every stream open, one receipt each, at a steady rate.
        var order = Enumerable.Range(0, count).ToArray();
        Random.Shared.Shuffle(order);
        var window = await UsageWindow.BeginAsync(redis, server);
        await PaceReceiptsAsync(rest, order, watchers, "ACCEPTD", OwnWatcher.Sent, rate, errors, cancellationToken);
        await WaitAllAsync(watchers.Select(w => w.Stage(OwnWatcher.Sent)), "sent", errors, cancellationToken);
        var usage = await window.EndAsync();
        var eventsInWindow = (long)count;

        // The closing pass: each stream gets its terminal event and must then end.
        Random.Shared.Shuffle(order);
        await PaceReceiptsAsync(rest, order, watchers, "DELIVRD", OwnWatcher.Delivered, rate, errors, cancellationToken);
        await WaitAllAsync(watchers.Select(w => w.Reading), "delivered and the end of the stream", errors, cancellationToken);

        await closing.CancelAsync();
        await Task.WhenAll(watchers.Select(w => w.Reading));
        return new OwnStreamResult(
            count, rate, openTime, rssBefore, rssOpen,
            new Latencies(watchers.Select(w => w.Latency(OwnWatcher.Sent)).Where(l => l > 0)),
            new Latencies(watchers.Select(w => w.Latency(OwnWatcher.Delivered)).Where(l => l > 0)),
            eventsInWindow, usage, errors);
    }

    /// <summary>Posts one receipt per stream in <paramref name="order"/>, the k-th at start + k/rate,
    /// whatever the answers (open loop), and waits for the answers.</summary>
    private static async Task PaceReceiptsAsync(
        HttpClient rest, int[] order, OwnWatcher[] watchers, string receipt, int stage, double rate, ErrorLog errors, CancellationToken cancellationToken)
    {
        var posts = new List<Task>(order.Length);
        var start = Ticks.Now;
        var next = 0;
        while (next < order.Length)
        {
            var due = Math.Min(order.Length, (long)((Ticks.Now - start) * rate / Stopwatch.Frequency) + 1);
            for (; next < due; next++)
            {
                var watcher = watchers[order[next]];
                watcher.Posted(stage, Ticks.Now);
                posts.Add(StreamScenario.PostReceiptAsync(rest, watcher.MessageId, receipt, errors, cancellationToken));
            }

            await Task.Delay(1, cancellationToken);
        }

        await Task.WhenAll(posts);
    }

    private static async Task WaitAllAsync(IEnumerable<Task> tasks, string what, ErrorLog errors, CancellationToken cancellationToken)
    {
        var all = tasks.ToList();
        try
        {
            await Task.WhenAll(all).WaitAsync(EventTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            errors.Add($"{all.Count(t => !t.IsCompleted)} of {all.Count} streams did not receive {what} within {EventTimeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Reads one stream, which must carry queued (its snapshot), sent, delivered, then end.</summary>
    private sealed class OwnWatcher
    {
        public const int Snapshot = 0;
        public const int Sent = 1;
        public const int Delivered = 2;

        private static readonly MessageStatus[] Expected = [MessageStatus.Queued, MessageStatus.Sent, MessageStatus.Delivered];

        private readonly AsyncServerStreamingCall<StreamStatusResponse> call;
        private readonly ErrorLog errors;
        private readonly TaskCompletionSource[] reached = [.. Expected.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
        private readonly long[] posted = new long[Expected.Length];
        private readonly long[] latency = new long[Expected.Length];

        public OwnWatcher(string messageId, AsyncServerStreamingCall<StreamStatusResponse> call, ErrorLog errors, CancellationToken closing)
        {
            MessageId = messageId;
            this.call = call;
            this.errors = errors;
            Reading = ReadAsync(closing);
        }

        public string MessageId { get; }

        public Task Reading { get; }

        public Task Stage(int stage) => reached[stage].Task;

        public long Latency(int stage) => latency[stage];

        public void Posted(int stage, long at) => Volatile.Write(ref posted[stage], at);

        private async Task ReadAsync(CancellationToken closing)
        {
            using var owned = call;
            var next = 0;
            try
            {
                while (await call.ResponseStream.MoveNext(closing))
                {
                    var at = Ticks.Now;
                    var statusEvent = call.ResponseStream.Current.Event;
                    if (next >= Expected.Length || statusEvent.Status != Expected[next] || statusEvent.MessageId != MessageId)
                    {
                        errors.Add($"unexpected event {statusEvent.Status} (expected {(next < Expected.Length ? Expected[next].ToString() : "the end of the stream")})");
                        continue;
                    }

                    if (next > Snapshot)
                    {
                        var postedAt = Volatile.Read(ref posted[next]);
                        if (postedAt == 0)
                        {
                            errors.Add($"event {statusEvent.Status} before its receipt was posted");
                        }
                        else
                        {
                            latency[next] = Math.Max(1, at - postedAt);
                        }
                    }

                    reached[next++].TrySetResult();
                }

                if (next < Expected.Length && !closing.IsCancellationRequested)
                {
                    errors.Add($"a stream ended after {next} of {Expected.Length} events");
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

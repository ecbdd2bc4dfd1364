using System.Collections.Concurrent;
using System.Diagnostics;
using AgentMessage.Testing;
using Grpc.Core;

namespace AgentMessage.LoadTest;

/// <summary>How one call ended: the answer the scenario wants, an answer it expects to be refused
/// (429 / RESOURCE_EXHAUSTED in the rate-limit scenario), or an error.</summary>
public enum Outcome
{
    Ok,
    Rejected,
    Error,
}

/// <summary>Exact latency percentiles: every latency is kept (Stopwatch ticks), merged and sorted.</summary>
public sealed class Latencies
{
    private readonly long[] sorted;

    public Latencies(IEnumerable<long> ticks)
    {
        sorted = [.. ticks];
        Array.Sort(sorted);
    }

    public int Count => sorted.Length;

    /// <summary>Both sets of samples as one.</summary>
    public static Latencies Merge(Latencies a, Latencies b) => new(a.sorted.Concat(b.sorted));

    /// <summary>The nearest-rank percentile in milliseconds (NaN when there are no samples).</summary>
    public double Milliseconds(double quantile)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(quantile * sorted.Length) - 1;
        return Ticks.ToMilliseconds(sorted[Math.Clamp(rank, 0, sorted.Length - 1)]);
    }
}

public static class Ticks
{
    public static long Now => Stopwatch.GetTimestamp();

    public static double ToMilliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public static long From(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static async Task DelayUntilAsync(long timestamp, CancellationToken cancellationToken)
    {
        var left = timestamp - Now;
        if (left > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency), cancellationToken);
        }
    }
}

/// <summary>Errors by kind (status code or exception type and message), with a count each.</summary>
public sealed class ErrorLog
{
    private readonly ConcurrentDictionary<string, long> counts = new(StringComparer.Ordinal);

    public long Total => counts.Values.Sum();

    public void Add(string description) => counts.AddOrUpdate(description, 1, (_, n) => n + 1);

    public static ErrorLog Merge(ErrorLog a, ErrorLog b)
    {
        var merged = new ErrorLog();
        foreach (var (description, count) in a.counts.Concat(b.counts))
        {
            merged.counts.AddOrUpdate(description, count, (_, n) => n + count);
        }

        return merged;
    }

    public void Add(Exception exception) => Add(exception switch
    {
        RpcException rpc => $"gRPC {rpc.StatusCode}: {rpc.Status.Detail}",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    });

    public IEnumerable<string> Describe() => counts.OrderByDescending(c => c.Value).Select(c => $"{c.Value} x {c.Key}");
}

/// <summary>One caller's (or one open loop's) counts and latencies.</summary>
public sealed class Recorder
{
    public List<long> Latencies { get; } = new(1 << 16);

    public long Ok { get; private set; }

    public long Rejected { get; private set; }

    public long Errors { get; private set; }

    public void Add(Outcome outcome, long ticks)
    {
        switch (outcome)
        {
            case Outcome.Ok:
                Ok++;
                Latencies.Add(ticks);
                break;
            case Outcome.Rejected:
                Rejected++;
                Latencies.Add(ticks);
                break;
            default:
                Errors++;
                break;
        }
    }
}

/// <summary>What a measured window cost: CPU of the server, Redis and this tool (in cores, i.e.
/// CPU seconds per wall second), the server's peak RSS, and the Redis commands executed.</summary>
public sealed record ResourceUsage(
    TimeSpan Elapsed,
    double ServerCores,
    double RedisCores,
    double ToolCores,
    double MachineCores,
    long ServerPeakRss,
    IReadOnlyDictionary<string, long> RedisCommands)
{
    /// <summary>Every command Redis counted in the window, inside scripts included, except this tool's own INFO.</summary>
    /// <summary>CPU the rest of the machine used meanwhile (anything but the server, Redis and this tool): disturbance.</summary>
    public double OtherCores => Math.Max(0, MachineCores - ServerCores - RedisCores - ToolCores);

    public long TotalRedisCommands => RedisCommands.Where(c => c.Key != "info").Sum(c => c.Value);

    /// <summary>The Redis calls the server waited for in the window (its round trips), from its
    /// <c>agentmessage_redis_duration_seconds</c> count; null without the server's metrics.</summary>
    public long? ServerRedisCalls { get; init; }

    /// <summary>Two windows as one: times and commands added, CPU averaged over the time, the higher peak.</summary>
    public static ResourceUsage Combine(ResourceUsage a, ResourceUsage b)
    {
        var elapsed = a.Elapsed + b.Elapsed;
        double Average(Func<ResourceUsage, double> cores) => ((cores(a) * a.Elapsed.TotalSeconds) + (cores(b) * b.Elapsed.TotalSeconds)) / elapsed.TotalSeconds;
        var commands = a.RedisCommands.Concat(b.RedisCommands).GroupBy(c => c.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(c => c.Value), StringComparer.Ordinal);
        return new ResourceUsage(
            elapsed,
            Average(u => u.ServerCores),
            Average(u => u.RedisCores),
            Average(u => u.ToolCores),
            Average(u => u.MachineCores),
            Math.Max(a.ServerPeakRss, b.ServerPeakRss),
            commands)
        {
            ServerRedisCalls = a.ServerRedisCalls + b.ServerRedisCalls,
        };
    }

    public string DescribeCommands(double per) =>
        string.Join(", ", RedisCommands.Where(c => c.Key != "info" && c.Value > 0).OrderByDescending(c => c.Value)
            .Select(c => $"{c.Key} {c.Value / per:0.00}"));
}

/// <summary>Snapshots taken at the start of a measured window, turned into <see cref="ResourceUsage"/> at its end.</summary>
public sealed class UsageWindow
{
    private readonly RedisServer redis;
    private readonly ServerProcess server;
    private long startedAt;
    private TimeSpan serverCpu;
    private TimeSpan redisCpu;
    private TimeSpan toolCpu;
    private TimeSpan machineBusy;
    private IReadOnlyDictionary<string, long> commands = new Dictionary<string, long>();
    private RuntimeCounters? runtime;

    private UsageWindow(RedisServer redis, ServerProcess server)
    {
        this.redis = redis;
        this.server = server;
    }

    public static async Task<UsageWindow> BeginAsync(RedisServer redis, ServerProcess server)
    {
        var window = new UsageWindow(redis, server);
        ProcFs.ResetPeak(server.Pid);
        window.runtime = await window.ServerRuntimeAsync();
        window.commands = await redis.CommandStatsAsync();
        window.redisCpu = await redis.CpuTimeAsync();
        window.serverCpu = ProcFs.CpuTime(server.Pid);
        window.toolCpu = Process.GetCurrentProcess().TotalProcessorTime;
        window.machineBusy = ProcFs.MachineBusy();
        window.startedAt = Ticks.Now;
        return window;
    }

    public async Task<ResourceUsage> EndAsync()
    {
        var elapsed = TimeSpan.FromSeconds((double)(Ticks.Now - startedAt) / Stopwatch.Frequency);
        var serverCpuNow = ProcFs.CpuTime(server.Pid);
        var toolCpuNow = Process.GetCurrentProcess().TotalProcessorTime;
        var machineBusyNow = ProcFs.MachineBusy();
        var redisCpuNow = await redis.CpuTimeAsync();
        var commandsNow = await redis.CommandStatsAsync();
        var runtimeNow = await ServerRuntimeAsync();
        var peak = ProcFs.PeakRss(server.Pid);
        var delta = commandsNow.ToDictionary(c => c.Key, c => c.Value - commands.GetValueOrDefault(c.Key), StringComparer.Ordinal);
        return new ResourceUsage(
            elapsed,
            (serverCpuNow - serverCpu) / elapsed,
            (redisCpuNow - redisCpu) / elapsed,
            (toolCpuNow - toolCpu) / elapsed,
            (machineBusyNow - machineBusy) / elapsed,
            peak,
            delta)
        {
            ServerRedisCalls = runtime is not null && runtimeNow is not null ? runtimeNow.Since(runtime).RedisCalls : null,
        };
    }

    private async Task<RuntimeCounters?> ServerRuntimeAsync()
    {
        try
        {
            return await server.RuntimeAsync(CancellationToken.None);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}

/// <summary>The result of one load pass: counts, latencies and what the window cost.</summary>
public sealed record LoadResult(long Ok, long Rejected, long Errors, Latencies Latencies, ResourceUsage Usage, ErrorLog ErrorLog, long Skipped = 0)
{
    /// <summary>Open loop only: the worst latency (ms) of the calls scheduled in each 500 ms of the window, in order.</summary>
    public IReadOnlyList<double> WorstPerHalfSecond { get; init; } = [];

    /// <summary>Open loop only: how late calls started against their schedule (the pacer's own lag, included in the latencies).</summary>
    public Latencies? StartLag { get; init; }

    public double Seconds => Usage.Elapsed.TotalSeconds;

    /// <summary>Calls answered (OK or an expected refusal) per second.</summary>
    public double Rate => (Ok + Rejected) / Seconds;

    public double OkRate => Ok / Seconds;

    public double RejectedRate => Rejected / Seconds;

    /// <summary>Two closed-loop windows of the same calls as one.</summary>
    public static LoadResult Combine(LoadResult a, LoadResult b) => new(
        a.Ok + b.Ok,
        a.Rejected + b.Rejected,
        a.Errors + b.Errors,
        Latencies.Merge(a.Latencies, b.Latencies),
        ResourceUsage.Combine(a.Usage, b.Usage),
        ErrorLog.Merge(a.ErrorLog, b.ErrorLog),
        a.Skipped + b.Skipped);
}

/// <summary>The two load shapes: closed loop (N callers, each calls again once answered) and open
/// loop (calls started on a fixed schedule, whatever the answers).</summary>
public static class LoadRunner
{
    /// <summary>
    /// <paramref name="callers"/> callers, each issuing its next call as soon as the previous one
    /// answered, for <paramref name="warmup"/> (not counted) then <paramref name="duration"/>.
    /// Throughput counts the calls started in the measured window; latency is from call to answer.
    /// </summary>
    public static async Task<LoadResult> ClosedLoopAsync(
        RedisServer redis, ServerProcess server, int callers, TimeSpan warmup, TimeSpan duration,
        Func<int, long, CancellationToken, Task<Outcome>> call, CancellationToken cancellationToken)
    {
        var errors = new ErrorLog();
        var recorders = Enumerable.Range(0, callers).Select(_ => new Recorder()).ToArray();
        var measureFrom = Ticks.Now + Ticks.From(warmup);
        var measureTo = measureFrom + Ticks.From(duration);

        async Task CallerAsync(int caller)
        {
            var recorder = recorders[caller];
            for (long sequence = 0; !cancellationToken.IsCancellationRequested; sequence++)
            {
                var started = Ticks.Now;
                if (started >= measureTo)
                {
                    return;
                }

                Outcome outcome;
                try
                {
                    outcome = await call(caller, sequence, cancellationToken);
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
                {
                    errors.Add(exception);
                    outcome = Outcome.Error;
                }

                if (started >= measureFrom)
                {
                    recorder.Add(outcome, Ticks.Now - started);
                }
            }
        }

        var running = Enumerable.Range(0, callers).Select(i => Task.Run(() => CallerAsync(i), CancellationToken.None)).ToArray();
        await Ticks.DelayUntilAsync(measureFrom, cancellationToken);
        var window = await UsageWindow.BeginAsync(redis, server);
        await Ticks.DelayUntilAsync(measureTo, cancellationToken);
        var usage = await window.EndAsync();
        await Task.WhenAll(running);
        return new LoadResult(
            recorders.Sum(r => r.Ok), recorders.Sum(r => r.Rejected), recorders.Sum(r => r.Errors),
            new Latencies(recorders.SelectMany(r => r.Latencies)), usage, errors);
    }

    /// <summary>
    /// Calls started at <paramref name="rate"/> per second on a fixed schedule, however long the
    /// answers take (at most <paramref name="maxInFlight"/> outstanding; a call that would exceed it
    /// is skipped and counted). Latency is measured from the scheduled start, so a server falling
    /// behind shows in the percentiles (no coordinated omission); the schedule is kept with a ~1 ms
    /// timer, which that latency includes.
    /// </summary>
    public static async Task<LoadResult> OpenLoopAsync(
        RedisServer redis, ServerProcess server, double rate, TimeSpan warmup, TimeSpan duration, int maxInFlight,
        Func<long, CancellationToken, Task<Outcome>> call, CancellationToken cancellationToken)
    {
        var errors = new ErrorLog();
        var recorder = new Recorder();
        var worst = new long[(int)Math.Ceiling(duration.TotalSeconds * 2) + 1];
        var start = Ticks.Now;
        var measureFrom = start + Ticks.From(warmup);
        var measureTo = measureFrom + Ticks.From(duration);
        var interval = Stopwatch.Frequency / rate;
        var inFlight = 0;
        long skipped = 0;

        var lags = new List<long>(1 << 16);

        async Task FireAsync(long sequence, long due)
        {
            var lag = Ticks.Now - due;
            Outcome outcome;
            try
            {
                outcome = await call(sequence, cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                errors.Add(exception);
                outcome = Outcome.Error;
            }
            catch (OperationCanceledException)
            {
                outcome = Outcome.Error;
            }

            var answered = Ticks.Now;
            if (due >= measureFrom)
            {
                lock (recorder)
                {
                    recorder.Add(outcome, answered - due);
                    lags.Add(lag);
                    var bucket = (int)((due - measureFrom) * 2 / Stopwatch.Frequency);
                    worst[bucket] = Math.Max(worst[bucket], answered - due);
                }
            }

            Interlocked.Decrement(ref inFlight);
        }

        // The schedule is kept by a thread of its own that sleeps 1 ms at a time (a timer-queue
        // Task.Delay lags by milliseconds on a busy machine); calls are started from it, and
        // continue on the thread pool.
        void Pace()
        {
            long next = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = Ticks.Now;
                if (now >= measureTo)
                {
                    return;
                }

                for (var due = start + (long)(next * interval); due <= now && due < measureTo; due = start + (long)(next * interval))
                {
                    if (Volatile.Read(ref inFlight) >= maxInFlight)
                    {
                        if (due >= measureFrom)
                        {
                            Interlocked.Increment(ref skipped);
                        }
                    }
                    else
                    {
                        Interlocked.Increment(ref inFlight);
                        _ = FireAsync(next, due);
                    }

                    next++;
                }

                Thread.Sleep(1);
            }
        }

        var paced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pacer = new Thread(() =>
        {
            try
            {
                Pace();
                paced.TrySetResult();
            }
            catch (Exception exception)
            {
                paced.TrySetException(exception);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop pacer",
            Priority = ThreadPriority.AboveNormal,
        };
        pacer.Start();
        await Ticks.DelayUntilAsync(measureFrom, cancellationToken);
        var window = await UsageWindow.BeginAsync(redis, server);
        await Ticks.DelayUntilAsync(measureTo, cancellationToken);
        var usage = await window.EndAsync();
        await paced.Task;
        var drainDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Volatile.Read(ref inFlight) > 0 && DateTime.UtcNow < drainDeadline)
        {
            await Task.Delay(10, cancellationToken);
        }

        if (Volatile.Read(ref inFlight) > 0)
        {
            errors.Add($"{inFlight} calls still unanswered 30 s after the end");
        }

        lock (recorder)
        {
            return new LoadResult(recorder.Ok, recorder.Rejected, recorder.Errors + (inFlight > 0 ? inFlight : 0), new Latencies(recorder.Latencies), usage, errors, skipped)
            {
                WorstPerHalfSecond = worst.Take(worst.Length - 1).Select(Ticks.ToMilliseconds).ToArray(),
                StartLag = new Latencies(lags),
            };
        }
    }
}

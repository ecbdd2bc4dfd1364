using System.Diagnostics;
using System.Globalization;
using AgentMessage.Testing;
using AgentMessage.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentMessage.LoadTest;

/// <summary>One row of the table from a dispatch scenario, with its details lines.</summary>
public sealed record DispatchMeasurement(
    string Scenario,
    string Load,
    string Throughput,
    Latencies Latencies,
    ErrorLog Errors,
    string RoundTrips,
    string Commands,
    ResourceUsage Usage,
    string Notes,
    IReadOnlyList<string> Details)
{
    /// <summary>Messages per second (the drain's rate; what the sustained scenario is paced from).</summary>
    public double Rate { get; init; }

    /// <summary>The scenario's target, stated as met or missed, if it has one.</summary>
    public string? Target { get; init; }
}

/// <summary>
/// The scenarios of dispatch: messages from acceptance to the carrier. Each runs on its own
/// redis-server (the other scenarios leave hundreds of thousands of messages in the development
/// organization's schedule) and its own servers, and times messages by the status events the
/// servers record (occurred_at, the server's clock), read from the organization's event stream after
/// the fact, so that watching does not disturb what is watched; while a scenario runs the tool only
/// polls the stream's length. Each checks every message's path in the same events: exactly one
/// <c>sending</c> (one submission), and <c>sent</c> (or later) once.
/// </summary>
public sealed class DispatchScenarios(LoadOptions options)
{
    private const string SecondSender = "+15557654321";
    private const string AdminToken = "loadtest-admin-token-0123456789abcdef";
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A backlog of <see cref="DispatchOptions.DrainMessages"/> accepted by an API-only instance, then
    /// drained by one dispatching instance started on it; the rate is the backlog over the time from
    /// the first <c>sending</c> to the last <c>sent</c>.
    /// </summary>
    public async Task<DispatchMeasurement> DrainAsync(string assembly, string build, TimeSpan submitLatency, CancellationToken ct)
    {
        var name = $"dispatch drain, {build}, carrier answers in {submitLatency.TotalMilliseconds:0} ms";
        var drain = await RunDrainAsync(name, assembly, Settings(submitLatency, (LoadTestRun.Sender, 1_000_000)), smsc: null, ct);
        var scripts = drain.Commands.GetValueOrDefault("evalsha") + drain.Commands.GetValueOrDefault("eval");
        return drain.Measurement(
            $"{drain.Rate:N0} msg/s",
            (scripts / (double)drain.Count).ToString("0.00", CultureInfo.InvariantCulture) + " scripts",
            $"{name}: CPU over first sending → last sent (sampled every {Poll.TotalMilliseconds:0} ms from the instance's launch; its start-up's own work overlaps the drain's beginning)",
            target: null);
    }

    /// <summary>
    /// The drain over SMPP: a backlog accepted by an API-only instance, then drained by one
    /// dispatching instance through its SMPP link (<paramref name="binds"/> binds, window 50) to the
    /// test SMSC, which answers every submit_sm at once and sends a delivery receipt for each. The
    /// rate is submit_sm per second from the first <c>sending</c> to the last <c>sent</c> (a message
    /// is sent when its submit_sm_resp is recorded); it waits for every receipt too.
    /// </summary>
    public async Task<DispatchMeasurement> SmppDrainAsync(int binds, CancellationToken ct)
    {
        var name = $"SMPP drain, {binds} bind{(binds == 1 ? "" : "s")}, window 50, SMSC answering at once";
        await using var smsc = await SmscServer.StartAsync(ct);
        await smsc.SetOptionsAsync(new SmscOptions { Record = false }, ct);
        await smsc.SetReceiptsAsync(new SmscReceipts { Form = SmscReceiptForm.Tlv }, ct);
        string[] settings =
        [
            .. Settings(TimeSpan.Zero, (LoadTestRun.Sender, 1_000_000)),
            "--AgentMessage:Carrier:Gateway=smpp",
            $"--AgentMessage:Carrier:Smpp:Host={smsc.Host}",
            $"--AgentMessage:Carrier:Smpp:Port={smsc.Port.ToString(CultureInfo.InvariantCulture)}",
            $"--AgentMessage:Carrier:Smpp:SystemId={smsc.SystemId}",
            $"--AgentMessage:Carrier:Smpp:Password={smsc.Password}",
            $"--AgentMessage:Carrier:Smpp:Binds={binds.ToString(CultureInfo.InvariantCulture)}",
            "--AgentMessage:Carrier:Smpp:WindowSize=50",
        ];
        var drain = await RunDrainAsync(name, options.ServerAssembly, settings, smsc, ct);
        return drain.Measurement(
            $"{drain.Rate:N0} submit_sm/s",
            "-",
            $"{name}: the SMSC answered {drain.SmscSubmits:N0} submit_sm and had {drain.SmscReceipts:N0} receipts answered; CPU over first sending → last sent",
            (drain.Rate >= 5_000 ? "MET" : "MISSED") + $": at least 5,000 submit_sm/s per instance with {binds} bind{(binds == 1 ? "" : "s")}: {drain.Rate:N0}/s");
    }

    /// <summary>The drain itself: fill through an API-only instance, drain with one dispatching
    /// instance, check every message's path (and, over SMPP, one submit_sm per message).</summary>
    private async Task<Drain> RunDrainAsync(string name, string assembly, string[] settings, SmscServer? smsc, CancellationToken ct)
    {
        var count = options.Dispatch.DrainMessages;
        Console.WriteLine($"== {name}: {count:N0} queued messages, one dispatching instance");
        await using var redis = await StartRedisAsync(ct);
        var ids = await FillAsync(redis, assembly, settings, count, ct);
        var before = await EventLog.LengthAsync(redis.Database, LoadTestRun.Organization);
        var commandsBefore = await redis.CommandStatsAsync();
        var smscBefore = smsc is null ? null : await smsc.GetStatsAsync(ct);
        var startedAt = DateTimeOffset.UtcNow;
        await using var server = ServerProcess.Launch(assembly, redis.Configuration, settings, options.ServerEnvironment, dispatch: true);
        var sampler = new Sampler(redis, server);

        // Sampled from the launch on: with a short backlog the drain may be over before the
        // instance answers its readiness check. Every message's queued, sending, sent and
        // delivered: the receipts' work is counted too.
        var ready = server.WaitUntilReadyAsync(ct);
        var polls = await WaitForEventsAsync(redis, LoadTestRun.Organization, before + (3L * count), sampler, ct);
        await ready;
        var commands = Delta(await redis.CommandStatsAsync(), commandsBefore, ("xlen", polls));
        var peak = ProcFs.PeakRss(server.Pid);
        var smscAfter = smsc is null ? null : await smsc.GetStatsAsync(ct);
        var paths = Paths(await EventLog.ReadAllAsync(redis.Database, LoadTestRun.Organization));
        var errors = new ErrorLog();
        Verify(ids, paths, errors);
        var submits = (smscAfter?.Submits ?? 0) - (smscBefore?.Submits ?? 0);
        if (smsc is not null && submits != count)
        {
            errors.Add($"{submits:N0} submit_sm for {count:N0} single-part messages");
        }

        var firstSending = paths.Values.Select(p => p.Sending).Where(t => t is not null).DefaultIfEmpty(startedAt).Min()!.Value;
        var lastSent = paths.Values.Select(p => p.Sent).Where(t => t is not null).DefaultIfEmpty(startedAt).Max()!.Value;
        var seconds = Math.Max(1e-3, (lastSent - firstSending).TotalSeconds);
        var rate = count / seconds;
        var usage = sampler.Between(firstSending, lastSent, peak, commands);
        var total = commands.Where(c => c.Key != "info").Sum(c => c.Value);
        var delivered = paths.Values.Count(p => p.DeliveredCount > 0);
        Console.WriteLine($"   {rate:N0} messages/s ({seconds:0.00} s from the first sending to the last sent; {(lastSent - startedAt).TotalSeconds:0.00} s from the instance's start), {delivered:N0} delivered, " +
            $"{total / (double)count:0.00} Redis commands per message, server CPU {usage.ServerCores:0.00}, Redis CPU {usage.RedisCores:0.00}, other {usage.OtherCores:0.00} cores, errors {errors.Total}");
        return new Drain(name, count, rate, seconds, (lastSent - startedAt).TotalSeconds, delivered, total, commands, usage, errors, submits,
            (smscAfter?.ReceiptsAnswered ?? 0) - (smscBefore?.ReceiptsAnswered ?? 0));
    }

    /// <summary>What one drain measured, for its row.</summary>
    private sealed record Drain(
        string Name, int Count, double Rate, double Seconds, double SinceStart, int Delivered, long TotalCommands, IReadOnlyDictionary<string, long> Commands,
        ResourceUsage Usage, ErrorLog Errors, long SmscSubmits, long SmscReceipts)
    {
        public DispatchMeasurement Measurement(string throughput, string roundTrips, string cpuDetail, string? target) => new(
            Name,
            $"{Count:N0} queued",
            throughput,
            new Latencies([]),
            Errors,
            roundTrips,
            (TotalCommands / (double)Count).ToString("0.00", CultureInfo.InvariantCulture),
            Usage,
            $"{Seconds:0.00} s first sending → last sent; {SinceStart:0.00} s from the instance's start; {Delivered:N0} delivered",
            [
                $"{Name}: Redis commands per message from the dispatching instance's start until every receipt was recorded (INFO commandstats, inside scripts included, the tool's own polls left out): {Describe(Commands, Count)}",
                cpuDetail,
                .. Errors.Describe().Take(5).Select(e => $"{Name}: error {e}"),
            ])
        {
            Rate = Rate,
            Target = target,
        };
    }

    /// <summary>
    /// Sends on a fixed schedule (open loop: latency from each send's scheduled start, no coordinated
    /// omission) to one dispatching instance, which also answers the sends; queued → sent latency from
    /// the events, and the queue's depth (queued less sent or failed) over time from the same events.
    /// </summary>
    public async Task<DispatchMeasurement> SustainedAsync(double rate, CancellationToken ct)
    {
        var duration = options.Dispatch.SustainedDuration;
        var name = $"dispatch sustained, open loop at {rate:N0}/s, carrier answers in 50 ms";
        Console.WriteLine($"== {name}: {duration.TotalSeconds:0} s after a {options.Warmup.TotalSeconds:0.#} s warm-up");
        await using var redis = await StartRedisAsync(ct);
        var settings = Settings(TimeSpan.FromMilliseconds(50), (LoadTestRun.Sender, 1_000_000));
        await using var server = await ServerProcess.StartAsync(options.ServerAssembly, redis.Configuration, settings, options.ServerEnvironment, dispatch: true, ct);
        using var channel = Channel(server);
        var client = new MessagingService.MessagingServiceClient(channel);
        var auth = Bearer(ServerProcess.ApiKey);
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        var sendsFrom = DateTimeOffset.UtcNow;
        var windowFrom = sendsFrom + options.Warmup;
        var sends = await LoadRunner.OpenLoopAsync(redis, server, rate, options.Warmup, duration, maxInFlight: 4096, async (sequence, token) =>
        {
            var answer = await client.SendMessageAsync(NewSend(LoadTestRun.Sender), auth, cancellationToken: token);
            ids.Add(answer.Message.Id);
            return answer.Message.Status == MessageStatus.Queued ? Outcome.Ok : Outcome.Error;
        }, ct);
        var sendsTo = DateTimeOffset.UtcNow;

        var errors = new ErrorLog();
        foreach (var error in sends.ErrorLog.Describe())
        {
            errors.Add($"send: {error}");
        }

        await WaitForEventsAsync(redis, LoadTestRun.Organization, 4L * ids.Count, sampler: null, ct);
        var paths = Paths(await EventLog.ReadAllAsync(redis.Database, LoadTestRun.Organization));
        Verify(ids, paths, errors);
        var measured = ids.Select(id => paths.GetValueOrDefault(id)).Where(p => p is { Queued: { } q, Sent: not null } && q >= windowFrom).ToList();
        var latencies = new Latencies(measured.Select(p => Ticks.From(p!.Sent!.Value - p.Queued!.Value)));
        var delivered = ids.Count(id => paths.GetValueOrDefault(id)?.DeliveredCount > 0);

        // Depth at the end of each second since the first send, and when the schedule ended. Bounded:
        // the second half of the window never deeper than the first half was (or than one second's sends).
        var queued = paths.Values.Where(p => p.Queued is not null).Select(p => p.Queued!.Value).Order().ToArray();
        var settled = paths.Values.Where(p => p.Sent is not null || p.Failed).Select(p => p.Sent ?? p.Queued!.Value).Order().ToArray();
        int Depth(DateTimeOffset at) => UpTo(queued, at) - UpTo(settled, at);
        var windowTo = windowFrom + duration;
        var depths = Enumerable.Range(1, (int)Math.Ceiling((windowTo - sendsFrom).TotalSeconds)).Select(s => Depth(sendsFrom + TimeSpan.FromSeconds(s))).ToArray();
        var atEnd = Depth(windowTo);
        var max = depths.DefaultIfEmpty(0).Max();
        var half = depths.Length / 2;
        var firstHalf = depths.Take(half).DefaultIfEmpty(0).Max();
        var secondHalf = depths.Skip(half).DefaultIfEmpty(0).Max();
        var bounded = secondHalf <= Math.Max(rate, firstHalf);
        var steady = new Latencies(measured.Where(p => p!.Queued >= windowFrom + (duration / 2)).Select(p => Ticks.From(p!.Sent!.Value - p.Queued!.Value)));
        Console.WriteLine($"   queued→sent p50 {Ms(latencies.Milliseconds(0.5))} p99 {Ms(latencies.Milliseconds(0.99))} ms over {latencies.Count:N0}; depth max {max:N0}, at the end {atEnd:N0}; " +
            $"{delivered:N0} of {ids.Count:N0} delivered; server CPU {sends.Usage.ServerCores:0.00}, errors {errors.Total}");
        return new DispatchMeasurement(
            name,
            $"paced {rate:N0}/s, {duration.TotalSeconds:0} s",
            $"{sends.Ok / sends.Seconds:N0} msg/s",
            latencies,
            errors,
            "-",
            (sends.Usage.TotalRedisCommands / (double)Math.Max(1, sends.Ok)).ToString("0.00", CultureInfo.InvariantCulture),
            sends.Usage,
            $"queued→sent from the events' occurred_at; second half: p50 {Ms(steady.Milliseconds(0.5))}, p99 {Ms(steady.Milliseconds(0.99))} ms; depth max {max:N0}, {secondHalf:N0} in the second half, {atEnd:N0} when the sends stopped ({(bounded ? "bounded" : "growing")}); {delivered:N0} of {ids.Count:N0} delivered; send p99 {Ms(sends.Latencies.Milliseconds(0.99))} ms",
            [
                $"{name}: queue depth (queued less sent) at each second, sampled every 5 s: {string.Join(' ', depths.Where((_, i) => i % 5 == 4))}",
                $"{name}: SendMessage latency from its scheduled start p50 {Ms(sends.Latencies.Milliseconds(0.5))} ms, p99 {Ms(sends.Latencies.Milliseconds(0.99))} ms; {sends.Skipped:N0} sends skipped; Redis commands per accepted send, its dispatch and receipt included: {sends.Usage.DescribeCommands(Math.Max(1, sends.Ok))}",
                .. errors.Describe().Take(5).Select(e => $"{name}: error {e}"),
            ])
        {
            Rate = sends.Ok / sends.Seconds,
            Target = (bounded ? "MET" : "MISSED") + $": sustained dispatch at {rate:N0}/s keeps the queue bounded: depth max {max:N0}, {secondHalf:N0} in the second half, {atEnd:N0} at the end",
        };
    }

    /// <summary>
    /// Organization A (the development organization) has a backlog on one number paced at 1/s; then
    /// organization B, created through the admin API, sends 10 messages on its own number. B's
    /// messages must not wait behind A's backlog, and A's number must keep its pace.
    /// </summary>
    public async Task<DispatchMeasurement> FairnessAsync(CancellationToken ct)
    {
        const int Backlog = 10_000;
        const int Probes = 10;
        var name = "dispatch fairness, A: 10,000 queued on a number paced at 1/s, B: 10 sends";
        Console.WriteLine($"== {name}");
        await using var redis = await StartRedisAsync(ct);
        string[] settings = [.. Settings(TimeSpan.FromMilliseconds(50), (LoadTestRun.Sender, 1)), $"--AgentMessage:Admin:Token={AdminToken}"];
        var backlog = await FillAsync(redis, options.ServerAssembly, settings, Backlog, ct);
        var startedAt = DateTimeOffset.UtcNow;
        await using var server = await ServerProcess.StartAsync(options.ServerAssembly, redis.Configuration, settings, options.ServerEnvironment, dispatch: true, ct);
        using var channel = Channel(server);
        var window = await UsageWindow.BeginAsync(redis, server);

        // Organization B: its key, its own number (its own pace, high enough not to be what is measured) and a consent.
        var admin = new AdminService.AdminServiceClient(channel);
        var operatorAuth = Bearer(AdminToken);
        var b = (await admin.CreateOrganizationAsync(new CreateOrganizationRequest { Name = "Load test B" }, operatorAuth, cancellationToken: ct)).Organization.Id;
        var key = (await admin.CreateApiKeyAsync(new CreateApiKeyRequest { OrganizationId = b, Scopes = { "messages:send", "messages:read", "consents:write" } }, operatorAuth, cancellationToken: ct)).Key;
        await admin.AddNumberAsync(new AddNumberRequest { OrganizationId = b, Number = SecondSender, SendPacePerSecond = 100 }, operatorAuth, cancellationToken: ct);
        var bAuth = Bearer(key);
        await new ConsentService.ConsentServiceClient(channel).RecordConsentAsync(new RecordConsentRequest { Number = LoadTestRun.Recipient, Source = "load test" }, bAuth, cancellationToken: ct);

        // A few of A's paced sends first, so B arrives at a dispatcher busy with A's backlog.
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        var messaging = new MessagingService.MessagingServiceClient(channel);
        var probes = await Task.WhenAll(Enumerable.Range(0, Probes).Select(async _ =>
            (await messaging.SendMessageAsync(NewSend(SecondSender), bAuth, cancellationToken: ct)).Message.Id));
        await WaitForEventsAsync(redis, b, 3L * Probes, sampler: null, ct, TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        var usage = await window.EndAsync();
        var observedTo = DateTimeOffset.UtcNow;

        var errors = new ErrorLog();
        var bPaths = Paths(await EventLog.ReadAllAsync(redis.Database, b));
        Verify(probes, bPaths, errors);
        var bLatencies = probes.Select(id => bPaths.GetValueOrDefault(id)).Where(p => p is { Queued: not null, Sent: not null }).Select(p => p!.Sent!.Value - p.Queued!.Value).ToList();
        var bMax = bLatencies.DefaultIfEmpty(TimeSpan.MaxValue).Max();

        // A: no message submitted twice, and its number's sends at its pace.
        var aPaths = Paths(await EventLog.ReadAllAsync(redis.Database, LoadTestRun.Organization));
        var aSent = backlog.Select(id => aPaths.GetValueOrDefault(id)).Where(p => p?.Sent is not null).Select(p => p!.Sent!.Value).Order().ToList();
        foreach (var id in backlog)
        {
            if (aPaths.GetValueOrDefault(id) is { } path && (path.SendingCount > 1 || path.SentCount > 1))
            {
                errors.Add($"message of A submitted more than once ({path.SendingCount} sending, {path.SentCount} sent events)");
            }
        }

        var perSecond = aSent.GroupBy(t => (long)Math.Floor((t - startedAt).TotalSeconds)).Select(g => g.Count()).DefaultIfEmpty(0).Max();
        var seconds = (observedTo - startedAt).TotalSeconds;
        // The pace governs when a message is taken (its sending); sent adds the carrier's answer time, which varies.
        var aTaken = backlog.Select(id => aPaths.GetValueOrDefault(id)?.Sending).Where(t => t is not null).Select(t => t!.Value).Order().ToList();
        var minGap = aTaken.Zip(aTaken.Skip(1), (x, y) => (y - x).TotalMilliseconds).DefaultIfEmpty(double.NaN).Min();
        var met = bLatencies.Count == Probes && bMax <= TimeSpan.FromSeconds(1) && perSecond <= 1;
        Console.WriteLine($"   B accepted→sent max {bMax.TotalMilliseconds:0} ms over {bLatencies.Count}; A sent {aSent.Count} in {seconds:0.0} s, at most {perSecond} in one second, sendings at least {Ms(minGap)} ms apart; errors {errors.Total}");
        return new DispatchMeasurement(
            name,
            "A 10,000 queued at 1/s, B 10 sends",
            $"A {aSent.Count / seconds:0.00} msg/s",
            new Latencies(bLatencies.Select(Ticks.From)),
            errors,
            "-",
            "-",
            usage,
            $"latencies: B's accepted→sent (queued and sent events' occurred_at), max {bMax.TotalMilliseconds:0} ms; A's number: {aSent.Count} sent in {seconds:0.0} s, at most {perSecond} in any calendar second, its sendings at least {Ms(minGap)} ms apart",
            [
                $"{name}: B's accepted→sent, ms: {string.Join(' ', bLatencies.Order().Select(l => l.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)))}",
                .. errors.Describe().Take(5).Select(e => $"{name}: error {e}")])
        {
            Target = (met ? "MET" : "MISSED") + $": B's 10 messages each sent within 1 s of acceptance behind A's backlog (max {bMax.TotalMilliseconds:0} ms), A's number never above 1/s ({perSecond} at most in one second)",
        };
    }

    // ---- shared steps ----

    private string[] Settings(TimeSpan submitLatency, (string Number, double Pace) pace) =>
    [
        // Long enough that no event of the scenario is trimmed before it is read.
        "--AgentMessage:Delivery:EventLogLength=10000000",
        $"--AgentMessage:Delivery:NumberPace:{pace.Number}={pace.Pace.ToString(CultureInfo.InvariantCulture)}",
        $"--AgentMessage:Carrier:Simulator:SubmitLatency={submitLatency:c}",
        .. options.ServerSettings,
    ];

    private static Task<RedisServer> StartRedisAsync(CancellationToken ct) =>
        RedisServer.StartAsync(new RedisServerOptions(Persistent: false, ClientName: RedisMonitor.ToolClientName, DirectoryPrefix: "agentmessage-loadtest-redis-"), ct);

    /// <summary>Sends <paramref name="count"/> messages through an API-only instance, which is then
    /// stopped (so it takes no CPU from what is measured next); returns their ids.</summary>
    private async Task<string[]> FillAsync(RedisServer redis, string assembly, IEnumerable<string> settings, int count, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        await using var server = await ServerProcess.StartAsync(assembly, redis.Configuration, settings, options.ServerEnvironment, dispatch: false, ct);
        using var channel = Channel(server);
        var client = new MessagingService.MessagingServiceClient(channel);
        var auth = Bearer(ServerProcess.ApiKey);
        var ids = new string[count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = ct },
            async (i, token) => ids[i] = (await client.SendMessageAsync(NewSend(LoadTestRun.Sender), auth, cancellationToken: token)).Message.Id);
        Console.WriteLine($"   {count:N0} messages queued through an API-only instance in {started.Elapsed.TotalSeconds:0.0} s");
        return ids;
    }

    /// <summary>
    /// Polls the stream's length (XLEN, cheap) until it reaches <paramref name="length"/>, or it has
    /// not grown for a while (what is missing then shows in the checks); returns how many polls.
    /// </summary>
    private static async Task<long> WaitForEventsAsync(RedisServer redis, string organizationId, long length, Sampler? sampler, CancellationToken ct, TimeSpan? stall = null)
    {
        var polls = 0L;
        var last = -1L;
        var grewAt = Stopwatch.StartNew();
        while (true)
        {
            var now = await EventLog.LengthAsync(redis.Database, organizationId);
            polls++;
            if (sampler is not null)
            {
                await sampler.SampleAsync();
            }

            if (now >= length)
            {
                return polls;
            }

            if (now != last)
            {
                last = now;
                grewAt.Restart();
            }
            else if (grewAt.Elapsed > (stall ?? StallTimeout))
            {
                return polls;
            }

            await Task.Delay(Poll, ct);
        }
    }

    private static Dictionary<string, MessagePath> Paths(IEnumerable<StatusEntry> entries)
    {
        var paths = new Dictionary<string, MessagePath>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!paths.TryGetValue(entry.MessageId, out var path))
            {
                paths[entry.MessageId] = path = new MessagePath();
            }

            path.Add(entry);
        }

        return paths;
    }

    /// <summary>Each message submitted once and sent: one <c>sending</c> event and one <c>sent</c> (or
    /// none when the delivered receipt was recorded first).</summary>
    private static void Verify(IEnumerable<string> ids, Dictionary<string, MessagePath> paths, ErrorLog errors)
    {
        foreach (var id in ids)
        {
            var path = paths.GetValueOrDefault(id);
            if (path is null)
            {
                errors.Add("message has no events");
            }
            else if (path.Failed)
            {
                errors.Add("message failed");
            }
            else if (path.Sent is null)
            {
                errors.Add("message never reached sent");
            }
            else if (path.SendingCount != 1 || path.SentCount > 1)
            {
                errors.Add($"message submitted more than once ({path.SendingCount} sending, {path.SentCount} sent events)");
            }
        }
    }

    private static IReadOnlyDictionary<string, long> Delta(IReadOnlyDictionary<string, long> after, IReadOnlyDictionary<string, long> before, (string Command, long Count) own) =>
        after.Select(c => (c.Key, Value: c.Value - before.GetValueOrDefault(c.Key) - (c.Key == own.Command ? own.Count : 0)))
            .Where(c => c.Value > 0)
            .ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);

    private static string Describe(IReadOnlyDictionary<string, long> commands, int per) =>
        string.Join(", ", commands.Where(c => c.Key != "info").OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value / (double)per:0.00}"));

    private static int UpTo(DateTimeOffset[] sorted, DateTimeOffset at)
    {
        var index = Array.BinarySearch(sorted, at);
        if (index < 0)
        {
            return ~index;
        }

        while (index + 1 < sorted.Length && sorted[index + 1] == at)
        {
            index++;
        }

        return index + 1;
    }

    private static SendMessageRequest NewSend(string from) => new() { From = from, To = LoadTestRun.Recipient, Text = "dispatch load test" };

    private static Metadata Bearer(string token) => new() { { "authorization", $"Bearer {token}" } };

    private static GrpcChannel Channel(ServerProcess server) => GrpcChannel.ForAddress(server.GrpcUrl, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
    });

    private static string Ms(double milliseconds) => double.IsNaN(milliseconds) ? "-" : milliseconds.ToString(milliseconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    /// <summary>One message's moves as the events tell them.</summary>
    private sealed class MessagePath
    {
        public DateTimeOffset? Queued { get; private set; }

        public DateTimeOffset? Sending { get; private set; }

        /// <summary>When it reached sent, or a later status (delivered) if that came first.</summary>
        public DateTimeOffset? Sent { get; private set; }

        public int SendingCount { get; private set; }

        public int SentCount { get; private set; }

        public int DeliveredCount { get; private set; }

        public bool Failed { get; private set; }

        public void Add(StatusEntry entry)
        {
            switch (entry.Status)
            {
                case "queued":
                    Queued ??= entry.At;
                    break;
                case "sending":
                    Sending ??= entry.At;
                    SendingCount++;
                    break;
                case "sent":
                    Sent ??= entry.At;
                    SentCount++;
                    break;
                case "delivered":
                    // A receipt can overtake the record of the carrier's answer (sending → delivered);
                    // the message left for the carrier all the same.
                    Sent ??= entry.At;
                    DeliveredCount++;
                    break;
                case "failed":
                    Failed = true;
                    break;
            }
        }
    }

    /// <summary>
    /// CPU of the server, Redis, this tool and the machine, sampled as the drain runs: the drain's
    /// window (first sending to last sent) is only known afterwards, from the events, and the
    /// dispatching instance starts work before it answers its readiness check.
    /// </summary>
    private sealed class Sampler(RedisServer redis, ServerProcess server)
    {
        private readonly List<(DateTimeOffset At, TimeSpan Server, TimeSpan Redis, TimeSpan Tool, TimeSpan Machine)> samples = [];

        public async Task SampleAsync()
        {
            var redisCpu = await redis.CpuTimeAsync();
            samples.Add((DateTimeOffset.UtcNow, ProcFs.CpuTime(server.Pid), redisCpu, Process.GetCurrentProcess().TotalProcessorTime, ProcFs.MachineBusy()));
        }

        /// <summary>The usage between the last sample at or before <paramref name="from"/> (else the
        /// first) and the first at or after <paramref name="to"/> (else the last).</summary>
        public ResourceUsage Between(DateTimeOffset from, DateTimeOffset to, long peakRss, IReadOnlyDictionary<string, long> commands)
        {
            var start = samples.LastOrDefault(s => s.At <= from, samples[0]);
            var end = samples.FirstOrDefault(s => s.At >= to, samples[^1]);
            var elapsed = end.At - start.At;
            if (elapsed <= TimeSpan.Zero)
            {
                elapsed = TimeSpan.FromMilliseconds(1);
            }

            return new ResourceUsage(elapsed, (end.Server - start.Server) / elapsed, (end.Redis - start.Redis) / elapsed, (end.Tool - start.Tool) / elapsed, (end.Machine - start.Machine) / elapsed, peakRss, commands);
        }
    }
}

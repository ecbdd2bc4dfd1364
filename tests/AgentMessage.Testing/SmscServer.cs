using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace AgentMessage.Testing;

/// <summary>
/// A real SMSC for SMPP 3.4 clients: <c>smpp</c> (node-smpp) 0.5.1 from the repository root's
/// node_modules (installed by <c>npm ci</c>) run by node with <c>smsc.mjs</c>, listening on a free
/// loopback port, with an HTTP control API on another through which the methods below drive it.
/// It checks binds against one account (<see cref="SystemId"/>/<see cref="Password"/>), answers
/// submit_sm with 8-digit hex message ids, records every submit exactly as sent, answers enquire_link
/// and unbind, and on request misbehaves (<see cref="AddRuleAsync"/>), sends receipts
/// (<see cref="SetReceiptsAsync"/>), deliver_sm, enquire_link, unbind or raw bytes, or drops every
/// connection. smsc.mjs's header lists its exact behaviour and control API. Disposing stops node.
/// </summary>
/// <remarks>
/// Waits poll the control API every 20 ms. Session indexes, event sequence numbers and message ids are
/// never reused while the process runs, so a test sharing the server can tell its own apart after
/// <see cref="ResetAsync"/>. A crashed starter leaves no server behind: node runs as a <see cref="ChildProcess"/>.
/// </remarks>
public sealed partial class SmscServer : IAsyncDisposable
{
    /// <summary>The account the SMSC accepts until <see cref="SetAccountAsync"/> or after <see cref="ResetAsync"/>.</summary>
    public const string DefaultSystemId = "agentmessage";

    /// <inheritdoc cref="DefaultSystemId"/>
    public const string DefaultPassword = "secret";

    private const string SolutionFile = "AgentMessage.sln";
    private const string ScriptFileName = "smsc.mjs";
    private const string ModuleRelativePath = "node_modules/smpp/package.json";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient control;
    private (string SystemId, string Password) startAccount = (DefaultSystemId, DefaultPassword);
    private ChildProcess? process;
    private bool disposed;

    private SmscServer(int port, int controlPort)
    {
        Port = port;
        ControlUrl = new Uri($"http://127.0.0.1:{controlPort.ToString(CultureInfo.InvariantCulture)}/");
        // A control call waits at most for the timeout it carries (enquire_link, deliver_sm, raw bytes).
        control = new HttpClient { BaseAddress = ControlUrl, Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>"127.0.0.1": the SMSC listens on loopback only.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The SMPP port.</summary>
    public int Port { get; }

    /// <summary>The control API (JSON over HTTP); the methods of this class are its typed face.</summary>
    public Uri ControlUrl { get; }

    /// <summary>The system_id binds must carry (as last set through this instance).</summary>
    public string SystemId { get; private set; } = DefaultSystemId;

    /// <summary>The password binds must carry (as last set through this instance).</summary>
    public string Password { get; private set; } = DefaultPassword;

    /// <summary>Whether the node process is still running.</summary>
    public bool IsRunning => process is { HasExited: false };

    /// <summary>Starts the SMSC and waits until it listens (at most 30 s).</summary>
    /// <exception cref="InvalidOperationException">node or node_modules/smpp is missing, or node exited first; the message carries node's output.</exception>
    /// <exception cref="TimeoutException">The SMSC did not report its ports in time.</exception>
    public static Task<SmscServer> StartAsync(CancellationToken ct = default) => StartAsync(new Dictionary<string, string>(), ct);

    /// <summary>
    /// Starts the SMSC with <paramref name="environment"/> (smsc.mjs's header: SMSC_SYSTEM_ID,
    /// SMSC_PASSWORD, SMSC_RECEIPTS...), as a standalone deployment configures it, and waits until it
    /// listens. It still listens on loopback and on free ports: SMSC_HOST and the port variables are
    /// replaced.
    /// </summary>
    public static async Task<SmscServer> StartAsync(IReadOnlyDictionary<string, string> environment, CancellationToken ct = default)
    {
        var settings = new Dictionary<string, string>(environment, StringComparer.Ordinal)
        {
            ["SMSC_HOST"] = "127.0.0.1",
            ["SMSC_SMPP_PORT"] = "0",
            ["SMSC_CONTROL_PORT"] = "0",
        };
        var repositoryRoot = FindRepositoryRoot();
        if (!File.Exists(Path.Combine(repositoryRoot, ModuleRelativePath)))
        {
            throw new InvalidOperationException(
                $"smpp (node-smpp) is not installed in {Path.Combine(repositoryRoot, "node_modules")}: run `npm ci` at the repository root "
                + "(or `bash .ci/test`, which runs it when the package is missing).");
        }

        var script = Path.Combine(AppContext.BaseDirectory, ScriptFileName);
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"{script} is missing: AgentMessage.Testing copies {ScriptFileName} to the output directory of every project that references it; rebuild.");
        }

        var node = FindExecutable("node")
            ?? throw new InvalidOperationException("node was not found on PATH: the SMPP tests run node-smpp with Node.js (20 or later).");
        var ready = new TaskCompletionSource<(int Smpp, int Control)>(TaskCreationOptions.RunContinuationsAsynchronously);
        ChildProcess? child = null;
        try
        {
            // Port 0 for both: the script binds free ports itself and reports them, so nothing can take them in between.
            child = ChildProcess.Start("smsc", node, [script, repositoryRoot], repositoryRoot, settings, onOutputLine: line =>
            {
                var match = ListeningLine().Match(line);
                if (match.Success)
                {
                    ready.TrySetResult((int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture)));
                }
            });

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(StartTimeout);
            var exited = child.WaitForExitAsync(timeout.Token);
            if (await Task.WhenAny(ready.Task, exited) == ready.Task)
            {
                var (smpp, controlPort) = await ready.Task;
                // smsc.mjs: either variable set replaces the account; a missing one is the default id or an empty password.
                var account = settings.ContainsKey("SMSC_SYSTEM_ID") || settings.ContainsKey("SMSC_PASSWORD")
                    ? (settings.GetValueOrDefault("SMSC_SYSTEM_ID", DefaultSystemId), settings.GetValueOrDefault("SMSC_PASSWORD", string.Empty))
                    : (DefaultSystemId, DefaultPassword);
                return new SmscServer(smpp, controlPort)
                {
                    process = child,
                    startAccount = account,
                    SystemId = account.Item1,
                    Password = account.Item2,
                };
            }

            try
            {
                await exited;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"smsc.mjs did not report its ports within {StartTimeout.TotalSeconds:0} s.\n{child.Tail}");
            }

            throw new InvalidOperationException($"smsc.mjs exited with code {child.ExitCode} before it listened.\n{child.Tail}");
        }
        catch
        {
            if (child is not null)
            {
                await child.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Replaces the one account binds are checked against.</summary>
    public async Task SetAccountAsync(string systemId, string password, CancellationToken ct = default)
    {
        await CallAsync<JsonElement>(HttpMethod.Put, "account", new { systemId, password }, ct);
        (SystemId, Password) = (systemId, password);
    }

    /// <summary>Changes recording (<see cref="SmscOptions.Record"/>) and message ids; null properties stay as they are.</summary>
    public Task SetOptionsAsync(SmscOptions options, CancellationToken ct = default) =>
        CallAsync<JsonElement>(HttpMethod.Put, "options", options, ct);

    /// <summary>Adds a rule after the existing ones; returns its id.</summary>
    public async Task<int> AddRuleAsync(SmscRule rule, CancellationToken ct = default)
    {
        var body = new RuleBody(rule.Destination, rule.Action, rule.CommandStatus, Milliseconds(rule.Delay), rule.Count, ReceiptsBody.Of(rule.Receipts));
        var added = await CallAsync<JsonElement>(HttpMethod.Post, "rules", body, ct);
        return added.GetProperty("id").GetInt32();
    }

    /// <summary>Removes every rule: submits are answered normally again.</summary>
    public Task ClearRulesAsync(CancellationToken ct = default) => CallAsync<JsonElement>(HttpMethod.Delete, "rules", null, ct);

    /// <summary>Turns automatic receipts on with these settings, or off with null.</summary>
    public Task SetReceiptsAsync(SmscReceipts? receipts, CancellationToken ct = default) =>
        CallAsync<JsonElement>(HttpMethod.Put, "receipts", ReceiptsBody.Of(receipts), ct, sendNull: true);

    /// <summary>The recorded submits, oldest first.</summary>
    public async Task<IReadOnlyList<SmscSubmit>> GetSubmitsAsync(CancellationToken ct = default) =>
        await CallAsync<List<SmscSubmit>>(HttpMethod.Get, "submits", null, ct);

    /// <summary>Forgets the recorded submits.</summary>
    public Task ClearSubmitsAsync(CancellationToken ct = default) => CallAsync<JsonElement>(HttpMethod.Delete, "submits", null, ct);

    /// <summary>The recorded submits once there are at least <paramref name="count"/>.</summary>
    /// <exception cref="TimeoutException">Fewer after <paramref name="timeout"/>.</exception>
    public async Task<IReadOnlyList<SmscSubmit>> WaitForSubmitsAsync(int count, TimeSpan timeout, CancellationToken ct = default)
    {
        var recorded = 0;
        await PollAsync(async () => (recorded = (await GetStatsAsync(ct)).Recorded) >= count, timeout, () => $"{count} recorded submit_sm (have {recorded})", ct);
        return await GetSubmitsAsync(ct);
    }

    /// <summary>Sends a deliver_sm and waits for its deliver_sm_resp (or a generic_nack, the close, or <see cref="SmscDeliverSm.Timeout"/>).</summary>
    public Task<SmscReply> SendDeliverSmAsync(SmscDeliverSm deliver, CancellationToken ct = default)
    {
        var body = new DeliverSmBody(
            deliver.Session,
            deliver.ServiceType,
            deliver.SourceAddrTon,
            deliver.SourceAddrNpi,
            deliver.SourceAddr,
            deliver.DestAddrTon,
            deliver.DestAddrNpi,
            deliver.DestinationAddr,
            deliver.EsmClass,
            deliver.ProtocolId,
            deliver.PriorityFlag,
            deliver.RegisteredDelivery,
            deliver.DataCoding,
            deliver.ShortMessage is null ? null : Convert.ToHexString(deliver.ShortMessage),
            deliver.Text,
            deliver.Encoding,
            deliver.Tlvs,
            Milliseconds(deliver.Timeout));
        return CallAsync<SmscReply>(HttpMethod.Post, "deliver_sm", body, ct);
    }

    /// <summary>Sends enquire_link to <paramref name="session"/> (null: the newest bound) and waits for the answer.</summary>
    public Task<SmscReply> SendEnquireLinkAsync(int? session = null, TimeSpan? timeout = null, CancellationToken ct = default) =>
        CallAsync<SmscReply>(HttpMethod.Post, "enquire_link", new SessionBody(session, Milliseconds(timeout ?? TimeSpan.FromSeconds(5))), ct);

    /// <summary>Sends unbind to <paramref name="session"/> (null: the newest bound), waits for unbind_resp, then closes the connection.</summary>
    public Task<SmscReply> SendUnbindAsync(int? session = null, TimeSpan? timeout = null, CancellationToken ct = default) =>
        CallAsync<SmscReply>(HttpMethod.Post, "unbind", new SessionBody(session, Milliseconds(timeout ?? TimeSpan.FromSeconds(5))), ct);

    /// <summary>Destroys every connection at once (no unbind); returns the indexes of the sessions dropped.</summary>
    public async Task<IReadOnlyList<int>> DropConnectionsAsync(CancellationToken ct = default)
    {
        var dropped = await CallAsync<JsonElement>(HttpMethod.Post, "drop", null, ct);
        return [.. dropped.GetProperty("dropped").EnumerateArray().Select(index => index.GetInt32())];
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> as they are to <paramref name="session"/> (null: the newest bound)
    /// and reports the first response PDU that answers nothing else the SMSC sent (e.g. the client's
    /// generic_nack), or the close, or nothing within <paramref name="timeout"/> (default 2 s).
    /// </summary>
    public Task<SmscReply> SendRawAsync(int? session, byte[] bytes, TimeSpan? timeout = null, CancellationToken ct = default) =>
        CallAsync<SmscReply>(HttpMethod.Post, "raw", new RawBody(session, Convert.ToHexString(bytes), Milliseconds(timeout ?? TimeSpan.FromSeconds(2))), ct);

    /// <summary>The event log since the last reset, oldest first.</summary>
    public Task<IReadOnlyList<SmscEvent>> GetEventsAsync(CancellationToken ct = default) => EventsAfterAsync(0, ct);

    /// <summary>The first logged event (since the last reset, past ones included) that satisfies <paramref name="predicate"/>.</summary>
    /// <exception cref="TimeoutException">None after <paramref name="timeout"/>; the message lists the events seen.</exception>
    public async Task<SmscEvent> WaitForEventAsync(Func<SmscEvent, bool> predicate, TimeSpan timeout, CancellationToken ct = default)
    {
        SmscEvent? found = null;
        var seen = new List<SmscEvent>();
        await PollAsync(
            async () =>
            {
                var fresh = await EventsAfterAsync(seen.Count == 0 ? 0 : seen[^1].Seq, ct);
                seen.AddRange(fresh);
                found = fresh.FirstOrDefault(predicate);
                return found is not null;
            },
            timeout,
            () => $"a matching event; seen:\n{string.Join('\n', seen.TakeLast(30))}",
            ct);
        return found!;
    }

    /// <summary>Counters since the last reset.</summary>
    public Task<SmscStats> GetStatsAsync(CancellationToken ct = default) => CallAsync<SmscStats>(HttpMethod.Get, "stats", null, ct);

    /// <summary>
    /// Back to the start state: the account and receipts it was started with (by default
    /// agentmessage/secret and none), recording on, hex ids, no rules, no recorded submits, an empty
    /// event log, zero counters. Open connections stay open (and bound);
    /// message ids, session indexes and event numbers go on from where they were.
    /// </summary>
    public async Task ResetAsync(CancellationToken ct = default)
    {
        await CallAsync<JsonElement>(HttpMethod.Post, "reset", null, ct);
        (SystemId, Password) = startAccount;
    }

    /// <summary>The open connections that are bound, oldest first.</summary>
    public async Task<IReadOnlyList<SmscSession>> BoundSessionsAsync(CancellationToken ct = default) =>
        [.. (await CallAsync<List<SmscSession>>(HttpMethod.Get, "sessions", null, ct)).Where(session => session.Bound)];

    /// <summary>The bound sessions once there are at least <paramref name="count"/>.</summary>
    /// <exception cref="TimeoutException">Fewer after <paramref name="timeout"/>.</exception>
    public async Task<IReadOnlyList<SmscSession>> WaitForBoundSessionsAsync(int count, TimeSpan timeout, CancellationToken ct = default)
    {
        IReadOnlyList<SmscSession> bound = [];
        await PollAsync(async () => (bound = await BoundSessionsAsync(ct)).Count >= count, timeout, () => $"{count} bound sessions (have {bound.Count})", ct);
        return bound;
    }

    /// <summary>The last lines node printed (stack traces of anything that went wrong inside the SMSC), for failure messages.</summary>
    public string LogTail() => process?.Tail ?? string.Empty;

    /// <summary>Stops node: its standard input closes (it exits on SIGTERM from the wrapper), then it is killed if it lingers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        control.Dispose();
        if (process is not null)
        {
            await process.StopAsync(StopTimeout);
            await process.DisposeAsync();
        }
    }

    private async Task<IReadOnlyList<SmscEvent>> EventsAfterAsync(long seq, CancellationToken ct) =>
        await CallAsync<List<SmscEvent>>(HttpMethod.Get, $"events?since={seq.ToString(CultureInfo.InvariantCulture)}", null, ct);

    private async Task<T> CallAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct, bool sendNull = false)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null || sendNull)
        {
            request.Content = JsonContent.Create(body, body?.GetType() ?? typeof(object), options: Json);
        }

        using var response = await control.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            throw new InvalidOperationException($"SMSC control {method} /{path}: {(int)response.StatusCode} {text}\n{LogTail()}");
        }

        return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
    }

    private static async Task PollAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        while (!await condition())
        {
            if (started.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0.###} s for {describe()}");
            }

            await Task.Delay(PollInterval, ct);
        }
    }

    private static long Milliseconds(TimeSpan span) => (long)Math.Ceiling(span.TotalMilliseconds);

    /// <summary>The folder holding AgentMessage.sln, found by walking up from the running assembly's folder.</summary>
    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No {SolutionFile} above {AppContext.BaseDirectory}: SmscServer needs the repository root, whose node_modules holds smpp.");
    }

    private static string? FindExecutable(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"^SMSC listening smpp=(\d+) control=(\d+)$")]
    private static partial Regex ListeningLine();

    private sealed record SessionBody(int? Session, long TimeoutMs);

    private sealed record RawBody(int? Session, string Hex, long TimeoutMs);

    private sealed record RuleBody(string Match, SmscRuleAction Action, uint CommandStatus, long DelayMs, int? Count, ReceiptsBody? Receipts);

    private sealed record DeliverSmBody(
        int? Session,
        string ServiceType,
        byte SourceAddrTon,
        byte SourceAddrNpi,
        string SourceAddr,
        byte DestAddrTon,
        byte DestAddrNpi,
        string DestinationAddr,
        byte EsmClass,
        byte ProtocolId,
        byte PriorityFlag,
        byte RegisteredDelivery,
        byte DataCoding,
        string? ShortMessageHex,
        string? Text,
        SmscTextEncoding Encoding,
        IReadOnlyList<SmscTlv> Tlvs,
        long TimeoutMs);

    private sealed record ReceiptsBody(bool Enabled, long DelayMs, object Session, string Stat, string Err, SmscReceiptForm Form, SmscReceiptIdForm IdForm, bool OnlyWhenRequested)
    {
        public static ReceiptsBody? Of(SmscReceipts? receipts) => receipts is null
            ? null
            : new(receipts.Enabled, Milliseconds(receipts.Delay), receipts.Target.Value, receipts.Stat, receipts.Error, receipts.Form, receipts.IdForm, receipts.OnlyWhenRequested);
    }
}

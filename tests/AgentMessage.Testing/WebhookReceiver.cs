using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace AgentMessage.Testing;

/// <summary>
/// A webhook destination for tests: <c>webhook-receiver.mjs</c> run by node on a free loopback port,
/// checking every delivery's signature with the reference Standard Webhooks verifier (npm
/// <c>standardwebhooks</c> 1.1.1 from the repository root's node_modules, installed by <c>npm ci</c>).
/// Each endpoint name has its secrets and its answers (<see cref="ConfigureAsync"/>); every request to
/// <see cref="UrlFor"/> is recorded with the verdict of each secret (<see cref="ReceivedAsync"/>).
/// webhook-receiver.mjs's header lists its exact behaviour and control API. Disposing stops node.
/// </summary>
/// <remarks>Waits poll the control API every 20 ms. The verifier refuses a webhook-timestamp more than
/// 5 minutes away from this machine's clock, as a real receiver would. A crashed starter leaves no
/// receiver behind: node runs as a <see cref="ChildProcess"/>.</remarks>
public sealed partial class WebhookReceiver : IAsyncDisposable
{
    private const string SolutionFile = "AgentMessage.sln";
    private const string ScriptFileName = "webhook-receiver.mjs";
    private const string ModuleRelativePath = "node_modules/standardwebhooks/package.json";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient control;
    private readonly ChildProcess process;
    private bool disposed;

    private WebhookReceiver(int port, ChildProcess process)
    {
        BaseUrl = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        this.process = process;
        control = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>http://127.0.0.1:PORT/ — deliveries under /hooks/, the control API under /control/.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The loopback port the receiver listens on.</summary>
    public int Port => BaseUrl.Port;

    /// <summary>Whether the node process is still running.</summary>
    public bool IsRunning => !process.HasExited;

    /// <summary>Starts the receiver and waits until it listens (at most 30 s).</summary>
    /// <exception cref="InvalidOperationException">node or node_modules/standardwebhooks is missing, or node exited first; the message carries node's output.</exception>
    /// <exception cref="TimeoutException">The receiver did not report its port in time.</exception>
    public static async Task<WebhookReceiver> StartAsync(CancellationToken ct = default)
    {
        var repositoryRoot = FindRepositoryRoot();
        if (!File.Exists(Path.Combine(repositoryRoot, ModuleRelativePath)))
        {
            throw new InvalidOperationException(
                $"standardwebhooks is not installed in {Path.Combine(repositoryRoot, "node_modules")}: run `npm ci` at the repository root "
                + "(or `bash .ci/test`, which runs it when the package is missing).");
        }

        var script = Path.Combine(AppContext.BaseDirectory, ScriptFileName);
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"{script} is missing: AgentMessage.Testing copies {ScriptFileName} to the output directory of every project that references it; rebuild.");
        }

        var node = FindExecutable("node")
            ?? throw new InvalidOperationException("node was not found on PATH: the webhook tests run their receiver with Node.js (20 or later).");
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        ChildProcess? child = null;
        try
        {
            // Port 0: the script binds a free port itself and reports it, so nothing can take it in between.
            child = ChildProcess.Start("webhook-receiver", node, [script, repositoryRoot], repositoryRoot, onOutputLine: line =>
            {
                var match = ListeningLine().Match(line);
                if (match.Success)
                {
                    ready.TrySetResult(int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture));
                }
            });

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(StartTimeout);
            var exited = child.WaitForExitAsync(timeout.Token);
            if (await Task.WhenAny(ready.Task, exited) == ready.Task)
            {
                return new WebhookReceiver(await ready.Task, child);
            }

            try
            {
                await exited;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"webhook-receiver.mjs did not report its port within {StartTimeout.TotalSeconds:0} s.\n{child.Tail}");
            }

            throw new InvalidOperationException($"webhook-receiver.mjs exited with code {child.ExitCode} before it listened.\n{child.Tail}");
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

    /// <summary>http://127.0.0.1:PORT/hooks/{name}: the URL of the endpoint <paramref name="name"/>.</summary>
    public Uri UrlFor(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new Uri(BaseUrl, "hooks/" + Uri.EscapeDataString(name));
    }

    /// <summary>
    /// Configures the endpoint <paramref name="name"/>, replacing what it had (its records stay): each
    /// delivery is verified with each of <paramref name="secrets"/> ("whsec_..."), and answered with
    /// the next of <paramref name="answers"/>, then with <paramref name="defaultAnswer"/> (204 when null).
    /// </summary>
    public Task ConfigureAsync(
        string name,
        IReadOnlyList<string> secrets,
        IReadOnlyList<ReceiverAnswer>? answers = null,
        ReceiverAnswer? defaultAnswer = null,
        CancellationToken ct = default) =>
        CallAsync<JsonElement>(HttpMethod.Put, ControlPath(name), new ConfigureBody(secrets, answers ?? [], defaultAnswer), ct);

    /// <summary>Every request received for <paramref name="name"/> since the last <see cref="ClearAsync"/>, oldest first.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> ReceivedAsync(string name, CancellationToken ct = default) =>
        [.. (await CallAsync<List<RecordBody>>(HttpMethod.Get, ControlPath(name) + "/received", null, ct)).Select(record => record.ToReceived())];

    /// <summary>Forgets the records of <paramref name="name"/> (sequence numbers keep counting).</summary>
    public Task ClearAsync(string name, CancellationToken ct = default) =>
        CallAsync<JsonElement>(HttpMethod.Delete, ControlPath(name) + "/received", null, ct);

    /// <summary>Polls <see cref="ReceivedAsync"/> until <paramref name="until"/> holds.</summary>
    /// <exception cref="TimeoutException">It did not hold after <paramref name="timeout"/>; the message lists what was received.</exception>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(
        string name,
        Func<IReadOnlyList<ReceivedWebhook>, bool> until,
        TimeSpan timeout,
        CancellationToken ct = default)
    {
        var started = Stopwatch.StartNew();
        while (true)
        {
            var received = await ReceivedAsync(name, ct);
            if (until(received))
            {
                return received;
            }

            if (started.Elapsed > timeout)
            {
                throw new TimeoutException(
                    $"Waited {timeout.TotalSeconds:0.###} s for webhooks to {name}; received {received.Count}:\n{Describe(received)}\n{LogTail()}");
            }

            await Task.Delay(PollInterval, ct);
        }
    }

    /// <summary>The last lines node printed, for failure messages.</summary>
    public string LogTail() => process.Tail;

    /// <summary>Stops node (SIGTERM, then killing it if it lingers).</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        control.Dispose();
        await process.StopAsync(StopTimeout);
        await process.DisposeAsync();
    }

    /// <summary>One line per record: what a failed wait prints.</summary>
    public static string Describe(IReadOnlyList<ReceivedWebhook> received)
    {
        var text = new StringBuilder();
        foreach (var record in received)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  #{record.Sequence} {record.Method} id={record.WebhookId} ts={record.Timestamp} verified=[{string.Join(',', record.VerifiedBy)}]");
            text.Append(CultureInfo.InvariantCulture,
                $" errors=[{string.Join(',', record.VerifyErrors)}] answered={record.AnsweredStatus?.ToString(CultureInfo.InvariantCulture) ?? "none"} body={Shorten(record.Body)}\n");
        }

        return text.ToString();
    }

    private static string Shorten(string body) => body.Length <= 200 ? body : string.Concat(body.AsSpan(0, 200), "...");

    private static string ControlPath(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return "control/" + Uri.EscapeDataString(name);
    }

    private async Task<T> CallAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        using var response = await control.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            throw new InvalidOperationException($"webhook receiver control {method} /{path}: {(int)response.StatusCode} {text}\n{LogTail()}");
        }

        return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
    }

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

        throw new InvalidOperationException($"No {SolutionFile} above {AppContext.BaseDirectory}: WebhookReceiver needs the repository root, whose node_modules holds standardwebhooks.");
    }

    private static string? FindExecutable(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"^WEBHOOK RECEIVER listening port=(\d+)$")]
    private static partial Regex ListeningLine();

    private sealed record ConfigureBody(IReadOnlyList<string> Secrets, IReadOnlyList<ReceiverAnswer> Answers, [property: JsonPropertyName("default")] ReceiverAnswer? Default);

    private sealed record RecordBody(
        string Name,
        long Sequence,
        bool Known,
        string Method,
        string? WebhookId,
        long? Timestamp,
        string? TimestampHeader,
        string? SignatureHeader,
        Dictionary<string, JsonElement> Headers,
        string Body,
        JsonElement Json,
        List<bool> VerifiedBy,
        List<string?> VerifyErrors,
        long ReceivedAtMs,
        int? AnsweredStatus,
        bool ClientClosed,
        bool Dropped)
    {
        public ReceivedWebhook ToReceived() => new(
            Name,
            WebhookId,
            Timestamp ?? 0,
            SignatureHeader,
            Body,
            Json,
            VerifiedBy,
            VerifyErrors,
            ReceivedAtMs,
            Sequence)
        {
            Known = Known,
            Method = Method,
            TimestampHeader = TimestampHeader,
            Headers = Headers.ToDictionary(header => header.Key, header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            AnsweredStatus = AnsweredStatus,
            ClientClosed = ClientClosed,
            Dropped = Dropped,
        };
    }
}

/// <summary>
/// One request the receiver got. <see cref="VerifiedBy"/> and <see cref="VerifyErrors"/> follow the
/// order of the secrets configured when it arrived (empty for an unconfigured name); an error is
/// null where verification passed. <see cref="Timestamp"/> is 0 when webhook-timestamp was missing
/// or not digits; <see cref="Json"/> is a JSON null when the body is not JSON.
/// </summary>
public sealed record ReceivedWebhook(
    string Name,
    string? WebhookId,
    long Timestamp,
    string? SignatureHeader,
    string Body,
    JsonElement Json,
    IReadOnlyList<bool> VerifiedBy,
    IReadOnlyList<string?> VerifyErrors,
    long ReceivedAtMs,
    long Sequence)
{
    /// <summary>Whether the name was configured (an unconfigured one is answered 404).</summary>
    public bool Known { get; init; } = true;

    /// <summary>The HTTP method.</summary>
    public string Method { get; init; } = "POST";

    /// <summary>webhook-timestamp exactly as sent.</summary>
    public string? TimestampHeader { get; init; }

    /// <summary>Every request header (names compared without case; repeated ones joined by node).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The status answered, null while the request is held or when it never was answered.</summary>
    public int? AnsweredStatus { get; init; }

    /// <summary>Whether the client closed the connection before an answer was complete.</summary>
    public bool ClientClosed { get; init; }

    /// <summary>Whether the receiver dropped the connection unanswered (a <see cref="ReceiverAnswer.Timeout"/> answer with a delay).</summary>
    public bool Dropped { get; init; }

    /// <summary>Whether every configured secret verified the signature (false when none is configured).</summary>
    public bool VerifiedByAll => VerifiedBy.Count > 0 && VerifiedBy.All(verified => verified);
}

/// <summary>
/// How the receiver answers one request: <see cref="Status"/> after <see cref="DelayMs"/>, with a
/// text/plain body of <see cref="BodyBytes"/> bytes and a <see cref="Location"/> header when set. With
/// <see cref="Timeout"/> it never answers: the request is held until the client gives up, or when
/// <see cref="DelayMs"/> is above 0 the connection is dropped unanswered after that long.
/// </summary>
public sealed record ReceiverAnswer(int Status = 204, int DelayMs = 0, int BodyBytes = 0, bool Timeout = false, string? Location = null)
{
    /// <summary>Never answers; the request is held until the client closes the connection.</summary>
    public static ReceiverAnswer Hold { get; } = new(Timeout: true);

    /// <summary>Answers <paramref name="status"/> at once, with no body.</summary>
    public static ReceiverAnswer Of(int status) => new(status);

    /// <summary>Answers a redirect to <paramref name="location"/>.</summary>
    public static ReceiverAnswer Redirect(int status, string location) => new(status, Location: location);
}

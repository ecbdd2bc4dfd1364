using System.Diagnostics;

namespace AgentMessage.Testing;

/// <summary>
/// A validating proxy: <c>@stoplight/prism-cli</c> (pinned in package-lock.json) run by node in proxy
/// mode with <c>--errors</c> on a free loopback port, in front of a real server. Every response it
/// passes back has been checked against the OpenAPI document: one that does not match becomes a 500
/// problem+json naming the violations, and a warning comes back in the <c>sl-violations</c> header.
/// Requests are not validated (<c>--validate-request=false</c>), so a test can send the malformed
/// requests whose refusals the document describes; Prism still answers a request without the
/// security scheme's header with its own 401, so unauthenticated cases send a wrong credential.
/// </summary>
public sealed class PrismProxy : IAsyncDisposable
{
    public const string ViolationsHeader = "sl-violations";

    private const string SolutionFile = "AgentMessage.sln";
    private const string CliRelativePath = "node_modules/@stoplight/prism-cli/dist/index.js";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly ChildProcess process;

    private PrismProxy(ChildProcess process, Uri url, TimeSpan startup)
    {
        this.process = process;
        Url = url;
        Startup = startup;
    }

    /// <summary>http://127.0.0.1:PORT, the proxy.</summary>
    public Uri Url { get; }

    /// <summary>How long Prism took from start to listening (it parses and dereferences the document).</summary>
    public TimeSpan Startup { get; }

    /// <summary>The last lines Prism printed (it logs every request and each violation).</summary>
    public string Tail => process.Tail;

    public static async Task<PrismProxy> StartAsync(string documentPath, Uri upstream, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot();
        var cli = Path.Combine(root, CliRelativePath);
        if (!File.Exists(cli))
        {
            throw new InvalidOperationException($"@stoplight/prism-cli is not installed in {Path.Combine(root, "node_modules")}: run `npm ci` at the repository root.");
        }

        for (var attempt = 1; ; attempt++)
        {
            var port = ChildProcess.FreePort();
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var started = Stopwatch.StartNew();
            var process = ChildProcess.Start(
                "prism",
                "node",
                [cli, "proxy", documentPath, upstream.ToString().TrimEnd('/'), "--errors", "--validate-request=false", "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                root,
                [new("NO_COLOR", "1"), new("FORCE_COLOR", "0")],
                line =>
                {
                    if (line.Contains("Prism is listening", StringComparison.Ordinal))
                    {
                        listening.TrySetResult();
                    }
                });
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StartTimeout);
            var exited = process.WaitForExitAsync(timeout.Token);
            var first = await Task.WhenAny(listening.Task, exited, Task.Delay(Timeout.Infinite, timeout.Token));
            if (first == listening.Task)
            {
                return new PrismProxy(process, new Uri($"http://127.0.0.1:{port}"), started.Elapsed);
            }

            var tail = process.Tail;
            await process.DisposeAsync();
            if (first == exited && attempt < 3 && tail.Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                continue;
            }

            throw new InvalidOperationException($"Prism did not start within {StartTimeout.TotalSeconds:0} s:\n{tail}");
        }
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();

    /// <summary>The directory holding AgentMessage.sln (and node_modules).</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No {SolutionFile} above {AppContext.BaseDirectory}.");
    }
}

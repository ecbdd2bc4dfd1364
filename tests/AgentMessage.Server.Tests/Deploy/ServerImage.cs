using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Grpc.Net.Client;

namespace AgentMessage.Server.Tests.Deploy;

/// <summary>
/// What the image of deploy/Dockerfile runs: the published server, started as its ENTRYPOINT starts
/// it, with exactly the environment the image has (its base image's, then its own ENV).
/// </summary>
public static partial class ServerImage
{
    /// <summary>The "app" user of the .NET base images (their APP_UID).</summary>
    public const int AppUid = 1654;

    /// <summary>
    /// The environment that mcr.microsoft.com/dotnet/aspnet:10.0 images set for the application (their
    /// Dockerfiles): the user id, the port ASP.NET Core listens on when nothing else is configured, and
    /// the container marker. The version variables are left out: nothing reads them.
    /// </summary>
    public static IReadOnlyDictionary<string, string> BaseImageEnvironment { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["APP_UID"] = AppUid.ToString(CultureInfo.InvariantCulture),
        ["ASPNETCORE_HTTP_PORTS"] = "8080",
        ["DOTNET_RUNNING_IN_CONTAINER"] = "true",
    };

    /// <summary>The ports the image exposes (EXPOSE of the final stage).</summary>
    public static IReadOnlyList<int> ExposedPorts(Dockerfile dockerfile) =>
        [.. dockerfile.Final.Arguments("EXPOSE")
            .SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => int.Parse(p.Split('/')[0], CultureInfo.InvariantCulture))];

    /// <summary>
    /// The image's environment: the base image's, then the final stage's ENV, with every URL's port
    /// that the image exposes replaced by the free loopback port <paramref name="ports"/> maps it to.
    /// </summary>
    public static Dictionary<string, string> Environment(Dockerfile dockerfile, IReadOnlyDictionary<int, int> ports)
    {
        var environment = new Dictionary<string, string>(BaseImageEnvironment, StringComparer.Ordinal);
        foreach (var (key, value) in dockerfile.Final.Environment())
        {
            environment[key] = UrlPort().Replace(value, m =>
                ports.TryGetValue(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), out var port)
                    ? m.Groups[1].Value + port.ToString(CultureInfo.InvariantCulture)
                    : m.Value);
        }

        return environment;
    }

    /// <summary>Free loopback ports for the ports the image exposes.</summary>
    public static Dictionary<int, int> FreePorts(Dockerfile dockerfile) =>
        ExposedPorts(dockerfile).ToDictionary(p => p, _ => ChildProcess.FreePort());

    [GeneratedRegex(@"(://[^/:]+:)(\d+)")]
    private static partial Regex UrlPort();
}

/// <summary>
/// The server published once per test run (<c>dotnet publish --no-build</c> of the configuration
/// the tests were built with, into a temporary folder): the same layout the image's build stage
/// copies to /app, without compiling again.
/// </summary>
public static class PublishedServer
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    private static readonly Lazy<Task<Published>> Publish = new(PublishAsync);

    public static Task<Published> GetAsync() => Publish.Value;

    /// <summary>Runs the dotnet CLI in the repository root; returns its standard output, or fails with everything it printed.</summary>
    public static async Task<string> RunDotnetAsync(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(Dotnet())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = DeployFiles.RepositoryRoot,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await errors}");
        }

        return await output;
    }

    private static async Task<Published> PublishAsync()
    {
        var directory = Directory.CreateTempSubdirectory("agentmessage-published-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(directory);
        var took = Stopwatch.StartNew();
        await RunDotnetAsync("publish", DeployFiles.PathOf("src/AgentMessage.Server/AgentMessage.Server.csproj"),
            "-c", Configuration, "--no-build", "-o", directory, "-p:UseAppHost=false");
        Assert.True(File.Exists(Path.Combine(directory, "AgentMessage.Server.dll")), $"dotnet publish left no AgentMessage.Server.dll in {directory}");
        return new Published(directory, Dotnet(), took.Elapsed);
    }

    /// <summary>The dotnet that runs the tests (DOTNET_HOST_PATH under `dotnet test`), else the one on PATH.</summary>
    private static string Dotnet() =>
        System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : DeployFiles.FindOnPath("dotnet") ?? throw new InvalidOperationException("dotnet was not found on PATH.");

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temporary folder.
        }
    }

    public sealed record Published(string Directory, string Dotnet, TimeSpan PublishTime);
}

/// <summary>
/// The published server run as the image runs it: `dotnet AgentMessage.Server.dll` in the publish
/// folder (WORKDIR /app), with nothing of the test's environment but PATH and HOME, plus
/// the environment given to <see cref="Start"/>. Every line it prints is kept.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly ChildProcess process;
    private readonly ConcurrentQueue<string> output;
    private readonly HttpClient rest;
    private readonly string home;

    private ServerProcess(ChildProcess process, ConcurrentQueue<string> output, string home, Uri restUrl, Uri grpcUrl)
    {
        this.process = process;
        this.home = home;
        this.output = output;
        RestUrl = restUrl;
        GrpcUrl = grpcUrl;
        rest = new HttpClient { BaseAddress = restUrl };
        Channel = GrpcChannel.ForAddress(grpcUrl);
        Started = Stopwatch.StartNew();
    }

    public Uri RestUrl { get; }

    public Uri GrpcUrl { get; }

    public HttpClient Rest => rest;

    public GrpcChannel Channel { get; }

    /// <summary>Since the process was started.</summary>
    public Stopwatch Started { get; }

    public IReadOnlyList<string> Output => [.. output];

    public bool HasExited => process.HasExited;

    /// <summary>
    /// Starts the server. <paramref name="restPort"/> and <paramref name="grpcPort"/> are the loopback
    /// ports the environment's listener URLs were given.
    /// </summary>
    public static ServerProcess Start(string name, PublishedServer.Published published, IReadOnlyDictionary<string, string> environment, int restPort, int grpcPort)
    {
        var home = Directory.CreateTempSubdirectory("agentmessage-home-").FullName;
        var output = new ConcurrentQueue<string>();
        string[] arguments =
        [
            "-i",
            $"PATH={System.Environment.GetEnvironmentVariable("PATH")}",
            $"HOME={home}",
            .. environment.Select(pair => $"{pair.Key}={pair.Value}"),
            published.Dotnet,
            "AgentMessage.Server.dll",
        ];
        var process = ChildProcess.Start(name, "/usr/bin/env", arguments, published.Directory, onOutputLine: output.Enqueue);
        return new ServerProcess(
            process,
            output,
            home,
            new Uri($"http://127.0.0.1:{restPort.ToString(CultureInfo.InvariantCulture)}"),
            new Uri($"http://127.0.0.1:{grpcPort.ToString(CultureInfo.InvariantCulture)}"));
    }

    /// <summary>Waits until /readyz answers 200; returns the time since the process was started.</summary>
    public async Task<TimeSpan> WaitForReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ready = await Eventually.HoldsAsync(async () =>
        {
            Assert.False(process.HasExited, $"the server exited with {(process.HasExited ? process.ExitCode : 0)} before it was ready:\n{string.Join('\n', Output)}\n{process.Tail}");
            try
            {
                using var response = await rest.GetAsync("/readyz", cancellationToken);
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, timeout, cancellationToken);
        var elapsed = Started.Elapsed;
        Assert.True(ready, $"/readyz did not answer 200 within {timeout.TotalSeconds:0} s:\n{string.Join('\n', Output)}\n{process.Tail}");
        return elapsed;
    }

    /// <summary>The development key the embedded default printed at start.</summary>
    public string PrintedDevelopmentKey()
    {
        var line = Output.Select(l => DevelopmentKeyLine().Match(l)).FirstOrDefault(m => m.Success);
        Assert.True(line is not null, $"no development key was printed:\n{string.Join('\n', Output)}");
        return line.Groups[1].Value;
    }

    /// <summary>Sends SIGTERM and waits for the exit (killed after <paramref name="grace"/>); returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan grace)
    {
        await process.StopAsync(grace);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        rest.Dispose();
        Channel.Dispose();
        await process.DisposeAsync();
        Directory.Delete(home, recursive: true);
    }

    [GeneratedRegex(@"API key (am_live_[A-Za-z0-9]+)")]
    private static partial Regex DevelopmentKeyLine();
}

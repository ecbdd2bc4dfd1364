using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace AgentMessage.Testing;

/// <summary>
/// A real redis-server process (Debian's 7.0.x) on a free loopback port, in a fresh temporary data
/// directory, with an admin connection (StackExchange.Redis) for commands, seeding and counters. With
/// <see cref="RedisServerOptions.Persistent"/> the append-only file is fsynced on every write, so data
/// survives <see cref="StopAsync"/> + <see cref="RestartAsync"/>. Disposing kills the process and
/// deletes the directory; a crashed starter leaves no server behind (see <see cref="ChildProcess"/>).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public const string InstallHint = "redis-server was not found on PATH or at /usr/bin/redis-server: run `bash .ci/test` (which installs it) or `apt-get install -y redis-server`.";

    private const int StartAttempts = 5;
    private const int RestartAttempts = 10;

    /// <summary>What redis-server prints once it listens and has loaded its data.</summary>
    private const string ReadyLine = "Ready to accept connections";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly string executable;
    private readonly RedisServerOptions options;
    private ChildProcess? process;
    private ConnectionMultiplexer? connection;
    private string lastTail = string.Empty;
    private bool disposed;

    private RedisServer(string executable, RedisServerOptions options, string dataDirectory, int port)
    {
        this.executable = executable;
        this.options = options;
        DataDirectory = dataDirectory;
        Port = port;
    }

    /// <summary>The loopback port the server listens on; the same across restarts.</summary>
    public int Port { get; private set; }

    /// <summary>A StackExchange.Redis configuration string, "127.0.0.1:PORT"; callers append their options.</summary>
    public string Configuration => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Where redis-server keeps its files; deleted on dispose.</summary>
    public string DataDirectory { get; }

    /// <summary>Whether the redis-server process is currently running.</summary>
    public bool IsRunning => process is { HasExited: false };

    /// <summary>The redis-server process id.</summary>
    public int Pid => Running.Id;

    /// <summary>The admin connection (CONFIG, INFO, FLUSHALL allowed) to the running server.</summary>
    public ConnectionMultiplexer Connection => connection ?? throw new InvalidOperationException("redis-server is not running.");

    /// <summary>Database 0 of <see cref="Connection"/>.</summary>
    public IDatabase Database => Connection.GetDatabase();

    private ChildProcess Running => process ?? throw new InvalidOperationException("redis-server is not running.");

    private IServer Server => Connection.GetServer(IPAddress.Loopback, Port);

    /// <summary>Starts a persistent redis-server (append-only file, fsynced always) and waits until it answers.</summary>
    public static Task<RedisServer> StartAsync(CancellationToken ct) => StartAsync(new RedisServerOptions(), ct);

    /// <summary>Starts redis-server on a free port in a fresh directory and waits until it accepts connections and answers PING.</summary>
    public static async Task<RedisServer> StartAsync(RedisServerOptions options, CancellationToken ct)
    {
        var executable = FindExecutable() ?? throw new InvalidOperationException(InstallHint);
        var dataDirectory = Directory.CreateTempSubdirectory(options.DirectoryPrefix).FullName;
        var server = new RedisServer(executable, options, dataDirectory, ChildProcess.FreePort());
        try
        {
            // A port found free can be taken by a parallel test before redis-server binds it: try fresh ones.
            for (var attempt = 1; ; attempt++)
            {
                if (await server.TryStartAsync(ct))
                {
                    return server;
                }

                if (attempt == StartAttempts)
                {
                    throw new InvalidOperationException($"redis-server could not bind a free port after {attempt} attempts.\n{server.LogTail()}");
                }

                server.Port = ChildProcess.FreePort();
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the server (SIGTERM: it fsyncs the append-only file and exits) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        await CloseConnectionAsync();
        var current = process;
        if (current is null)
        {
            return;
        }

        await current.StopAsync(StopTimeout);
        lastTail = current.Tail;
        await current.DisposeAsync();
        process = null;
    }

    /// <summary>Starts the server again on the same port with the same data directory and waits until it answers PING.</summary>
    public async Task RestartAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (IsRunning)
        {
            throw new InvalidOperationException("redis-server is still running: call StopAsync first.");
        }

        // The port is normally free again at once (redis-server sets SO_REUSEADDR), but a parallel test may hold it briefly.
        for (var attempt = 1; ; attempt++)
        {
            if (await TryStartAsync(ct))
            {
                return;
            }

            if (attempt == RestartAttempts)
            {
                throw new InvalidOperationException($"redis-server could not bind port {Port} again after {attempt} attempts.\n{LogTail()}");
            }

            await Task.Delay(PollInterval * (attempt * 4), ct);
        }
    }

    /// <summary>
    /// Runs one command on the admin connection and renders the reply as text: a string's content (a
    /// nil as ""), an integer in decimal, an array's elements joined by "\n". An error reply throws
    /// <see cref="RedisServerException"/>.
    /// </summary>
    public async Task<string> CommandAsync(string command, params string[] args)
    {
        var reply = await Database.ExecuteAsync(command, [.. args]);
        return Render(reply);
    }

    /// <summary>INFO commandstats as command name (lower case, subcommands as "config|get") → number of calls.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CommandStatsAsync()
    {
        var stats = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var group in await Server.InfoAsync("commandstats"))
        {
            foreach (var (key, value) in group)
            {
                // cmdstat_evalsha -> calls=12,usec=345,usec_per_call=28.75,rejected_calls=0,failed_calls=0
                if (key.StartsWith("cmdstat_", StringComparison.Ordinal))
                {
                    var calls = value.Split(',').First(f => f.StartsWith("calls=", StringComparison.Ordinal))["calls=".Length..];
                    stats[key["cmdstat_".Length..].ToLowerInvariant()] = long.Parse(calls, NumberStyles.None, CultureInfo.InvariantCulture);
                }
            }
        }

        return stats;
    }

    /// <summary>used_cpu_user + used_cpu_sys of redis-server (INFO cpu).</summary>
    public async Task<TimeSpan> CpuTimeAsync()
    {
        var seconds = 0.0;
        foreach (var group in await Server.InfoAsync("cpu"))
        {
            foreach (var (key, value) in group)
            {
                if (key is "used_cpu_user" or "used_cpu_sys")
                {
                    seconds += double.Parse(value, CultureInfo.InvariantCulture);
                }
            }
        }

        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>"ip:port" of every connection whose client name is <paramref name="name"/>.</summary>
    public async Task<HashSet<string>> ClientAddressesAsync(string name) =>
        (await Server.ClientListAsync()).Where(c => c.Name == name).Select(c => Format(c.Address)).ToHashSet(StringComparer.Ordinal);

    /// <summary>CONFIG RESETSTAT: zeroes the counters that <see cref="CommandStatsAsync"/> reads.</summary>
    public Task ResetStatsAsync() => Server.ConfigResetStatisticsAsync();

    /// <summary>FLUSHALL: empties every database.</summary>
    public Task FlushAsync() => Server.FlushAllDatabasesAsync();

    /// <summary>Kills the process and deletes the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        await CloseConnectionAsync();
        if (process is not null)
        {
            await process.DisposeAsync();
            process = null;
        }

        // The process is gone; a file it had open may still be in the way for a moment.
        for (var attempt = 1; Directory.Exists(DataDirectory); attempt++)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(PollInterval * 2);
            }
        }
    }

    /// <summary>The last lines redis-server printed, for failure messages.</summary>
    public string LogTail() => process?.Tail ?? lastTail;

    private static string Render(RedisResult reply)
    {
        if (reply.IsNull)
        {
            return string.Empty;
        }

        if (reply.Resp2Type == ResultType.Integer)
        {
            return ((long)reply).ToString(CultureInfo.InvariantCulture);
        }

        return reply.Resp2Type == ResultType.Array
            ? string.Join('\n', ((RedisResult[])reply!).Select(Render))
            : (string)reply!;
    }

    private static string Format(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => $"{ip.Address}:{ip.Port.ToString(CultureInfo.InvariantCulture)}",
        null => string.Empty,
        _ => endPoint.ToString() ?? string.Empty,
    };

    private static string? FindExecutable()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : null;
    }

    /// <summary>
    /// Starts the process on <see cref="Port"/>, waits until it reports that it accepts connections and
    /// connects; false when it exited because the port was taken.
    /// </summary>
    /// <remarks>
    /// redis-server prints <see cref="ReadyLine"/> once it listens and has loaded its append-only file.
    /// Connecting before that line would fail, and StackExchange.Redis would then hold every command
    /// until its reconnect back-off (seconds, growing with each failure) let it try again.
    /// </remarks>
    private async Task<bool> TryStartAsync(CancellationToken ct)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = ChildProcess.Start("redis-server", executable,
        [
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--protected-mode", "no",
            "--daemonize", "no",
            "--supervised", "no",
            "--dir", DataDirectory,
            "--save", string.Empty,
            .. options.Persistent ? (string[])["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"],
            "--logfile", string.Empty,
        ], DataDirectory, onOutputLine: line =>
        {
            if (line.Contains(ReadyLine, StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        });
        process = started;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartTimeout);
        try
        {
            var exited = started.WaitForExitAsync(timeout.Token);
            if (await Task.WhenAny(ready.Task, exited) == ready.Task)
            {
                await ConnectAsync();
                return true;
            }

            await exited;
            var exitCode = started.ExitCode;
            lastTail = started.Tail;
            await started.DisposeAsync();
            process = null;
            if (lastTail.Contains("Address already in use", StringComparison.Ordinal))
            {
                return false;
            }

            throw new InvalidOperationException($"redis-server exited with code {exitCode} before accepting connections.\n{lastTail}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await CloseConnectionAsync();
            await started.DisposeAsync();
            throw new TimeoutException($"redis-server did not accept connections on port {Port} within {StartTimeout.TotalSeconds:0} s.\n{LogTail()}");
        }
        catch
        {
            await CloseConnectionAsync();
            await started.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens the admin connection to the server, which accepts connections, and PINGs it.</summary>
    private async Task ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(Configuration);
        configuration.AllowAdmin = true;
        configuration.AbortOnConnectFail = false;
        configuration.ClientName = options.ClientName;
        configuration.SyncTimeout = (int)CommandTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = (int)CommandTimeout.TotalMilliseconds;
        connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        await connection.GetDatabase().PingAsync();
    }

    private async Task CloseConnectionAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
            connection = null;
        }
    }
}

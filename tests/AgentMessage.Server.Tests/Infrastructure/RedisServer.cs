using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentMessage.Server.Tests.Infrastructure;

/// <summary>
/// A real redis-server process (Debian's 7.0.x) on a free loopback port, with an append-only file
/// fsynced on every write in a fresh temporary directory, so data survives <see cref="StopAsync"/> +
/// <see cref="RestartAsync"/>. Talks to it over a tiny built-in RESP client, so the fixture depends on
/// no Redis package. Disposing kills the process and deletes the directory.
/// </summary>
/// <remarks>
/// A crashed test run leaves no server behind: the process is started through a bash wrapper whose
/// watcher sends SIGTERM to redis-server as soon as this process's end of its standard input closes
/// (which the kernel does however this process dies), and an <see cref="AppDomain.ProcessExit"/> hook
/// kills every server still running.
/// </remarks>
public sealed class RedisServer : IAsyncDisposable
{
    private const string InstallHint = "redis-server was not found on PATH or at /usr/bin/redis-server: run `bash .ci/test` (which installs it) or `apt-get install -y redis-server`.";

    /// <summary>
    /// Runs with redis-server's arguments in "$@". A background watcher reads the pipe that is this
    /// process's only link to the child's standard input; on end of file it sends SIGTERM to $$, which
    /// after the exec below is redis-server itself, and it quits on its own once redis-server is gone.
    /// </summary>
    private const string WrapperScript = """
        exec 3<&0
        pid=$$
        ( while kill -0 "$pid" 2>/dev/null; do
            read -r -t 1 -u 3 _; rc=$?
            if [ "$rc" -ne 0 ] && [ "$rc" -le 128 ]; then kill -TERM "$pid" 2>/dev/null; exit 0; fi
          done ) </dev/null >/dev/null 2>&1 &
        exec "$@" 3<&-
        """;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private static readonly ConcurrentDictionary<RedisServer, byte> Running = new();

    private readonly string executable;
    private readonly OutputTail log = new();
    private Process? process;
    private bool disposed;

    static RedisServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var server in Running.Keys)
        {
            server.Kill();
        }
    };

    private RedisServer(string executable, string dataDirectory, int port)
    {
        this.executable = executable;
        DataDirectory = dataDirectory;
        Port = port;
    }

    /// <summary>The loopback port the server listens on; the same across restarts.</summary>
    public int Port { get; private set; }

    /// <summary>A StackExchange.Redis configuration string, "127.0.0.1:PORT"; callers append their options.</summary>
    public string Configuration => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Where the append-only file lives; deleted on dispose.</summary>
    public string DataDirectory { get; }

    /// <summary>Whether the redis-server process is currently running.</summary>
    public bool IsRunning => process is { HasExited: false };

    /// <summary>Starts redis-server on a free port in a fresh directory and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartAsync(CancellationToken ct)
    {
        var executable = FindExecutable() ?? throw new InvalidOperationException(InstallHint);
        var dataDirectory = Directory.CreateTempSubdirectory("agentmessage-redis-").FullName;
        var server = new RedisServer(executable, dataDirectory, FreePort());
        try
        {
            // A port found free can be taken by a parallel test before redis-server binds it: try fresh ones.
            for (var attempt = 1; ; attempt++)
            {
                if (await server.TryStartAsync(ct))
                {
                    return server;
                }

                if (attempt == 5)
                {
                    throw new InvalidOperationException($"redis-server could not bind a free port after {attempt} attempts.\n{server.LogTail()}");
                }

                server.Port = FreePort();
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
        var current = process;
        if (current is null)
        {
            return;
        }

        try
        {
            if (!current.HasExited)
            {
                // Closing standard input makes the wrapper's watcher send SIGTERM.
                current.StandardInput.Close();
                using var timeout = new CancellationTokenSource(StopTimeout);
                try
                {
                    await current.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    current.Kill(entireProcessTree: true);
                    await current.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        finally
        {
            Running.TryRemove(this, out _);
            current.Dispose();
            process = null;
        }
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

            if (attempt == 10)
            {
                throw new InvalidOperationException($"redis-server could not bind port {Port} again after {attempt} attempts.\n{LogTail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
        }
    }

    /// <summary>
    /// Sends one command on a fresh connection and renders the reply as text: a simple or bulk string's
    /// content (a nil bulk string or array as ""), an integer in decimal, an array's elements joined by "\n".
    /// An error reply throws <see cref="RedisErrorException"/>.
    /// </summary>
    public async Task<string> CommandAsync(params string[] args)
    {
        using var timeout = new CancellationTokenSource(CommandTimeout);
        return await SendAsync(Port, args, timeout.Token);
    }

    /// <summary>INFO commandstats as command name (lower case, subcommands as "config|get") → number of calls.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CommandStatsAsync()
    {
        var info = await CommandAsync("INFO", "commandstats");
        var stats = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var rawLine in info.Split('\n'))
        {
            // cmdstat_evalsha:calls=12,usec=345,usec_per_call=28.75,rejected_calls=0,failed_calls=0
            var line = rawLine.TrimEnd('\r');
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var name = line["cmdstat_".Length..colon].ToLowerInvariant();
            foreach (var field in line[(colon + 1)..].Split(','))
            {
                if (field.StartsWith("calls=", StringComparison.Ordinal))
                {
                    stats[name] = long.Parse(field["calls=".Length..], NumberStyles.None, CultureInfo.InvariantCulture);
                }
            }
        }

        return stats;
    }

    /// <summary>CONFIG RESETSTAT: zeroes the counters that <see cref="CommandStatsAsync"/> reads.</summary>
    public Task ResetStatsAsync() => CommandAsync("CONFIG", "RESETSTAT");

    /// <summary>FLUSHALL: empties every database.</summary>
    public Task FlushAsync() => CommandAsync("FLUSHALL");

    /// <summary>Kills the process and deletes the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        var current = process;
        if (current is not null)
        {
            Kill();
            await current.WaitForExitAsync(CancellationToken.None);
            current.Dispose();
            process = null;
        }

        Running.TryRemove(this, out _);
        for (var attempt = 1; Directory.Exists(DataDirectory); attempt++)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>The last lines redis-server printed, for failure messages.</summary>
    public string LogTail() => log.ToString();

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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the process on <see cref="Port"/>; false when it exited because the port was taken.</summary>
    private async Task<bool> TryStartAsync(CancellationToken ct)
    {
        log.Clear();
        var startInfo = new ProcessStartInfo("bash")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = DataDirectory,
        };
        foreach (var argument in (string[])[
            "-c", WrapperScript, "bash", executable,
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--protected-mode", "no",
            "--daemonize", "no",
            "--supervised", "no",
            "--dir", DataDirectory,
            "--save", string.Empty,
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--logfile", string.Empty,
        ])
        {
            startInfo.ArgumentList.Add(argument);
        }

        var started = new Process { StartInfo = startInfo };
        started.OutputDataReceived += (_, e) => log.Add(e.Data);
        started.ErrorDataReceived += (_, e) => log.Add(e.Data);
        started.Start();
        process = started;
        Running.TryAdd(this, 0);
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartTimeout);
        try
        {
            while (true)
            {
                if (started.HasExited)
                {
                    await started.WaitForExitAsync(CancellationToken.None);
                    var exitCode = started.ExitCode;
                    var tail = LogTail();
                    Running.TryRemove(this, out _);
                    started.Dispose();
                    process = null;
                    if (tail.Contains("Address already in use", StringComparison.Ordinal))
                    {
                        return false;
                    }

                    throw new InvalidOperationException($"redis-server exited with code {exitCode} before answering PING.\n{tail}");
                }

                try
                {
                    if (await SendAsync(Port, ["PING"], timeout.Token) == "PONG")
                    {
                        return true;
                    }
                }
                catch (Exception exception) when (exception is SocketException or IOException or RedisErrorException && !timeout.IsCancellationRequested)
                {
                    // Not listening yet, or still loading the append-only file (-LOADING).
                }

                await Task.Delay(50, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Kill();
            throw new TimeoutException($"redis-server did not answer PING on port {Port} within {StartTimeout.TotalSeconds:0} s.\n{LogTail()}");
        }
        catch
        {
            Kill();
            throw;
        }
    }

    private void Kill() => ChildProcess.KillQuietly(process);

    private static async Task<string> SendAsync(int port, IReadOnlyList<string> args, CancellationToken ct)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, ct);
        var stream = client.GetStream();

        var request = new StringBuilder();
        request.Append(CultureInfo.InvariantCulture, $"*{args.Count}\r\n");
        foreach (var arg in args)
        {
            request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(arg)}\r\n{arg}\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), ct);
        var reader = new RespReader(stream);
        var lines = new List<string>();
        await reader.ReadReplyAsync(lines, ct);
        return string.Join('\n', lines);
    }

    /// <summary>Reads one RESP2 reply, flattening arrays into <c>lines</c>.</summary>
    private sealed class RespReader(Stream stream)
    {
        private readonly byte[] buffer = new byte[8192];
        private int start;
        private int end;

        public async Task ReadReplyAsync(List<string> lines, CancellationToken ct)
        {
            var header = await ReadLineAsync(ct);
            if (header.Length == 0)
            {
                throw new IOException("empty RESP reply header");
            }

            var body = header[1..];
            switch (header[0])
            {
                case '+':
                    lines.Add(body);
                    break;
                case '-':
                    throw new RedisErrorException(body);
                case ':':
                    lines.Add(body);
                    break;
                case '$':
                    var length = int.Parse(body, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                    if (length < 0)
                    {
                        lines.Add(string.Empty);
                        break;
                    }

                    var bytes = await ReadExactAsync(length + 2, ct);
                    lines.Add(Encoding.UTF8.GetString(bytes, 0, length));
                    break;
                case '*':
                    var count = int.Parse(body, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                    for (var i = 0; i < count; i++)
                    {
                        await ReadReplyAsync(lines, ct);
                    }

                    break;
                default:
                    throw new IOException($"unexpected RESP reply: {header}");
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken ct)
        {
            var line = new List<byte>();
            while (true)
            {
                if (start == end)
                {
                    await FillAsync(ct);
                }

                var b = buffer[start++];
                if (b == '\n' && line.Count > 0 && line[^1] == '\r')
                {
                    line.RemoveAt(line.Count - 1);
                    return Encoding.UTF8.GetString([.. line]);
                }

                line.Add(b);
            }
        }

        private async Task<byte[]> ReadExactAsync(int count, CancellationToken ct)
        {
            var result = new byte[count];
            var filled = 0;
            while (filled < count)
            {
                if (start == end)
                {
                    await FillAsync(ct);
                }

                var take = Math.Min(count - filled, end - start);
                Buffer.BlockCopy(buffer, start, result, filled, take);
                start += take;
                filled += take;
            }

            return result;
        }

        private async Task FillAsync(CancellationToken ct)
        {
            start = 0;
            end = await stream.ReadAsync(buffer, ct);
            if (end == 0)
            {
                throw new IOException("redis-server closed the connection before replying");
            }
        }
    }
}

/// <summary>An error reply (-ERR …, -LOADING …) from redis-server.</summary>
public sealed class RedisErrorException(string message) : Exception(message);

/// <summary>One <see cref="RedisServer"/> shared by the tests of a class.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private RedisServer? server;

    public RedisServer Server => server ?? throw new InvalidOperationException("RedisFixture is not initialized.");

    public async ValueTask InitializeAsync() => server = await RedisServer.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace AgentMessage.LoadTest;

/// <summary>
/// A throw-away redis-server on a free loopback port, without persistence (<c>--save "" --appendonly
/// no</c>), plus an admin connection for seeding and for the counters the table reports.
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    public const string InstallHint = "redis-server was not found on PATH: run `apt-get install -y redis-server` (or `bash .ci/test`, which installs it).";

    /// <summary>The CLIENT SETNAME of this tool's own connection; the server's is "agentmessage".</summary>
    public const string ToolClientName = "agentmessage-loadtest";

    private readonly ChildProcess process;
    private readonly string directory;

    private RedisProcess(ChildProcess process, string directory, int port, ConnectionMultiplexer admin)
    {
        this.process = process;
        this.directory = directory;
        Port = port;
        Admin = admin;
    }

    public int Port { get; }

    public int Pid => process.Id;

    public string Configuration => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public ConnectionMultiplexer Admin { get; }

    public IDatabase Db => Admin.GetDatabase();

    private IServer Server => Admin.GetServer(IPAddress.Loopback, Port);

    public static async Task<RedisProcess> StartAsync(CancellationToken cancellationToken)
    {
        var executable = Find() ?? throw new InvalidOperationException(InstallHint);
        var directory = Directory.CreateTempSubdirectory("agentmessage-loadtest-redis-").FullName;
        var port = ChildProcess.FreePort();
        var child = ChildProcess.Start("redis-server", executable,
        [
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--protected-mode", "no",
            "--daemonize", "no",
            "--dir", directory,
            "--save", string.Empty,
            "--appendonly", "no",
            "--logfile", string.Empty,
        ], directory);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (!await PingAsync(port, cancellationToken))
            {
                if (child.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"redis-server did not answer PING on port {port}:\n{child.Tail}");
                }

                await Task.Delay(50, cancellationToken);
            }

            var options = ConfigurationOptions.Parse($"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
            options.AllowAdmin = true;
            options.ClientName = ToolClientName;
            options.SyncTimeout = 30_000;
            options.AsyncTimeout = 30_000;
            var admin = await ConnectionMultiplexer.ConnectAsync(options);
            return new RedisProcess(child, directory, port, admin);
        }
        catch
        {
            await child.DisposeAsync();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>INFO commandstats: command (lower case, subcommands as "script|load") → calls.</summary>
    public async Task<Dictionary<string, long>> CommandStatsAsync()
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
                    stats[key["cmdstat_".Length..].ToLowerInvariant()] = long.Parse(calls, CultureInfo.InvariantCulture);
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

    /// <summary>
    /// Runs <paramref name="work"/> under MONITOR and returns every command Redis executed meanwhile
    /// as (client address or "lua" for commands run inside a script, command name in lower case).
    /// MONITOR slows Redis down, so this is only for counting, never for timing.
    /// </summary>
    public async Task<List<(string Client, string Command)>> MonitorAsync(Func<Task> work, CancellationToken cancellationToken)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync("MONITOR\r\n"u8.ToArray(), cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var ok = await reader.ReadLineAsync(cancellationToken);
        if (ok != "+OK")
        {
            throw new InvalidOperationException($"MONITOR answered {ok}");
        }

        // A marker sent on this tool's connection after the work: once MONITOR shows it, everything
        // the work made Redis execute has been seen.
        var marker = $"loadtest-monitor-{Guid.NewGuid():N}";
        var lines = new List<string>();
        var markerSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            try
            {
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    if (line.Contains(marker, StringComparison.Ordinal))
                    {
                        markerSeen.TrySetResult();
                        return;
                    }

                    lines.Add(line);
                }

                markerSeen.TrySetException(new IOException("MONITOR connection closed"));
            }
            catch (Exception exception)
            {
                markerSeen.TrySetException(exception);
            }
        }, CancellationToken.None);

        await work();
        await Db.StringGetAsync(marker);
        await markerSeen.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        await reading;
        client.Close();

        var commands = new List<(string, string)>();
        foreach (var line in lines)
        {
            // 1795465634.003415 [0 127.0.0.1:52958] "eval" "..." "0"   or   [0 lua] "set" "a" "1"
            var open = line.IndexOf('[', StringComparison.Ordinal);
            var close = line.IndexOf(']', StringComparison.Ordinal);
            var quote = line.IndexOf('"', StringComparison.Ordinal);
            if (open < 0 || close < open || quote < close)
            {
                continue;
            }

            var source = line[(open + 1)..close].Split(' ', 2)[1];
            var end = line.IndexOf('"', quote + 1);
            commands.Add((source, line[(quote + 1)..end].ToLowerInvariant()));
        }

        return commands;
    }

    public async ValueTask DisposeAsync()
    {
        await Admin.DisposeAsync();
        await process.DisposeAsync();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Format(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => $"{ip.Address}:{ip.Port.ToString(CultureInfo.InvariantCulture)}",
        null => string.Empty,
        _ => endPoint.ToString() ?? string.Empty,
    };

    private static string? Find()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : null;
    }

    private static async Task<bool> PingAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, cancellationToken);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception exception) when (exception is SocketException or IOException)
        {
            return false;
        }
    }
}

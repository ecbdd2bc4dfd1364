using System.Net;
using System.Net.Sockets;
using System.Text;
using AgentMessage.Testing;

namespace AgentMessage.LoadTest;

/// <summary>
/// MONITOR on a <see cref="RedisServer"/>. StackExchange.Redis does not offer MONITOR (the connection
/// turns into an endless stream of lines), so this reads those lines from a plain socket.
/// </summary>
public static class RedisMonitor
{
    /// <summary>The CLIENT SETNAME of this tool's own connection; the server's is "agentmessage".</summary>
    public const string ToolClientName = "agentmessage-loadtest";

    /// <summary>
    /// Runs <paramref name="work"/> under MONITOR and returns every command Redis executed meanwhile
    /// as (client address or "lua" for commands run inside a script, command name in lower case).
    /// MONITOR slows Redis down, so this is only for counting, never for timing.
    /// </summary>
    public static async Task<List<(string Client, string Command)>> MonitorAsync(this RedisServer redis, Func<Task> work, CancellationToken cancellationToken)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, redis.Port, cancellationToken);
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
        await redis.Database.StringGetAsync(marker);
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
}

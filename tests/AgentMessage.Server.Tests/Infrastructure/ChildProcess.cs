using System.Collections.Concurrent;
using System.Diagnostics;

namespace AgentMessage.Server.Tests.Infrastructure;

/// <summary>The last lines a test server printed, to put in the message when it fails to start.</summary>
public sealed class OutputTail
{
    private const int Lines = 50;

    private readonly ConcurrentQueue<string> lines = new();

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lines.Enqueue(line);
        while (lines.Count > Lines)
        {
            lines.TryDequeue(out _);
        }
    }

    public void Clear() => lines.Clear();

    public override string ToString() => string.Join('\n', lines);
}

public static class ChildProcess
{
    /// <summary>Kills a test server and its children, whether or not it is still running.</summary>
    public static void KillQuietly(Process? process)
    {
        try
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or never started.
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AgentMessage.Testing;

/// <summary>
/// A process started for a test or the load tool (redis-server, node running s3rver, the server),
/// which never outlives its starter: it is started through a bash wrapper whose watcher sends SIGTERM
/// to it as soon as the starter's end of its standard input closes (the kernel closes it however the
/// starter dies, SIGKILL included); disposing it, Ctrl-C and process exit kill it at once.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    /// <summary>
    /// Runs "$@". A background watcher holds the pipe that is the starter's only link to the child's
    /// standard input; on end of file it sends SIGTERM to $$, which after the exec below is the child
    /// itself, and it quits on its own once the child is gone.
    /// </summary>
    private const string WrapperScript = """
        exec 3<&0
        pid=$$
        ( while kill -0 "$pid" 2>/dev/null; do
            read -r -t 1 -u 3 _; rc=$?
            if [ "$rc" -ne 0 ] && [ "$rc" -le 128 ]; then kill -TERM "$pid" 2>/dev/null; exit 0; fi
          done ) </dev/null >/dev/null 2>&1 &
        exec "$@" 3<&- </dev/null
        """;

    private const int TailLines = 50;

    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<ChildProcess, byte> Running = new();

    private readonly Process process;
    private readonly Action<string>? onOutputLine;
    private readonly ConcurrentQueue<string> tail = new();
    private bool disposed;

    static ChildProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    private ChildProcess(Process process, string name, Action<string>? onOutputLine)
    {
        this.process = process;
        this.onOutputLine = onOutputLine;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The child's process id (the wrapper execs it, so it keeps the wrapper's id).</summary>
    public int Id => process.Id;

    /// <summary>Whether the child has exited; a disposed child has.</summary>
    public bool HasExited => disposed || process.HasExited;

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => process.ExitCode;

    /// <summary>The last lines the child printed, for error messages.</summary>
    public string Tail => string.Join('\n', tail);

    /// <summary>
    /// Starts <paramref name="executable"/> through the wrapper. <paramref name="onOutputLine"/>, when
    /// given, sees every line of standard output (standard error only goes to <see cref="Tail"/>).
    /// </summary>
    public static ChildProcess Start(
        string name,
        string executable,
        IEnumerable<string> arguments,
        string workingDirectory,
        IEnumerable<KeyValuePair<string, string>>? environment = null,
        Action<string>? onOutputLine = null)
    {
        var startInfo = new ProcessStartInfo("bash")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in (string[])["-c", WrapperScript, "bash", executable, .. arguments])
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? [])
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo };
        var child = new ChildProcess(process, name, onOutputLine);
        process.OutputDataReceived += (_, e) => child.AddOutput(e.Data);
        process.ErrorDataReceived += (_, e) => child.Add(e.Data);
        process.Start();
        Running.TryAdd(child, 0);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Kills every child still running (Ctrl-C, process exit).</summary>
    public static void KillAll()
    {
        foreach (var child in Running.Keys)
        {
            child.Kill();
        }
    }

    /// <summary>A loopback port that was free a moment ago (another process may take it before the caller binds it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until the child has exited.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => process.WaitForExitAsync(cancellationToken);

    /// <summary>
    /// Stops the child gracefully: closing its standard input makes the wrapper's watcher send SIGTERM;
    /// a child still running after <paramref name="grace"/> is killed.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!HasExited)
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (Exception exception) when (exception is IOException or InvalidOperationException)
            {
                // Already gone.
            }

            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        Running.TryRemove(this, out _);
    }

    /// <summary>Kills the child (if still running) and waits for it to exit.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        Kill();
        using var timeout = new CancellationTokenSource(KillTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"{Name} (pid {Id.ToString(CultureInfo.InvariantCulture)}) did not exit within {KillTimeout.TotalSeconds:0} s of SIGKILL");
        }

        Running.TryRemove(this, out _);
        disposed = true;
        process.Dispose();
    }

    private void Kill()
    {
        if (disposed)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or never started.
        }
    }

    private void AddOutput(string? line)
    {
        if (line is not null)
        {
            onOutputLine?.Invoke(line);
        }

        Add(line);
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        tail.Enqueue(line);
        while (tail.Count > TailLines)
        {
            tail.TryDequeue(out _);
        }
    }
}

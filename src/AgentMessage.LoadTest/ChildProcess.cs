using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AgentMessage.LoadTest;

/// <summary>
/// A process this tool started (redis-server, the server), which never outlives the tool: it is
/// started through a bash wrapper whose watcher sends SIGTERM to it as soon as this process's end
/// of its standard input closes (the kernel closes it however this process dies, SIGKILL included);
/// disposing it, Ctrl-C and process exit kill it at once.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    /// <summary>
    /// Runs "$@". A background watcher holds the pipe that is this tool's only link to the child's
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

    private const int TailLines = 40;

    private static readonly ConcurrentDictionary<ChildProcess, byte> Running = new();

    private readonly Process process;
    private readonly ConcurrentQueue<string> tail = new();

    static ChildProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    private ChildProcess(Process process, string name)
    {
        this.process = process;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The child's process id (the wrapper execs it, so it keeps the wrapper's id).</summary>
    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>The last lines the child printed, for error messages.</summary>
    public string Tail => string.Join('\n', tail);

    public static ChildProcess Start(string name, string executable, IEnumerable<string> arguments, string workingDirectory, IEnumerable<KeyValuePair<string, string>>? environment = null)
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
        var child = new ChildProcess(process, name);
        process.OutputDataReceived += (_, e) => child.Add(e.Data);
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"{Name} (pid {Id.ToString(CultureInfo.InvariantCulture)}) did not exit within 10 s of SIGKILL");
        }

        Running.TryRemove(this, out _);
        process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
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

/// <summary>CPU time and memory of a process, from /proc.</summary>
public static class ProcFs
{
    /// <summary>utime + stime (/proc/PID/stat, read by <see cref="Process.TotalProcessorTime"/>).</summary>
    public static TimeSpan CpuTime(int pid)
    {
        using var process = Process.GetProcessById(pid);
        return process.TotalProcessorTime;
    }

    /// <summary>CPU time the whole machine spent busy (/proc/stat: all but idle and iowait), over all CPUs.</summary>
    public static TimeSpan MachineBusy()
    {
        // cpu  user nice system idle iowait irq softirq steal guest guest_nice   (in USER_HZ, 100/s)
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7];
        return TimeSpan.FromSeconds(busy / 100.0);
    }

    /// <summary>Resident set size now (VmRSS), in bytes.</summary>
    public static long Rss(int pid) => Status(pid, "VmRSS:");

    /// <summary>Peak resident set size (VmHWM) since start or the last <see cref="ResetPeak"/>, in bytes.</summary>
    public static long PeakRss(int pid) => Status(pid, "VmHWM:");

    /// <summary>Resets VmHWM to the current RSS (writing 5 to /proc/PID/clear_refs), so each scenario has its own peak.</summary>
    public static void ResetPeak(int pid) => File.WriteAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/clear_refs", "5");

    private static long Status(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kilobytes = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no {field}");
    }
}

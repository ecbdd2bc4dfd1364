using System.Diagnostics;
using System.Globalization;

namespace AgentMessage.LoadTest;

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

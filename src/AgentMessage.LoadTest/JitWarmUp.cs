using System.Diagnostics;
using System.Globalization;

namespace AgentMessage.LoadTest;

/// <summary>
/// Load until the server's JIT is quiet, before anything is measured. On this machine a fresh server
/// under full load needs about 20 s before tiered compilation and dynamic PGO have recompiled its
/// hot code: the count of compiled methods climbs from about 9,000 to 17,600 meanwhile, and sends
/// run at a third of their final rate until it stops (docs/BENCHMARKS.md, "A fresh server's first
/// seconds"). A few fixed seconds of warm-up measured the JIT as much as the server, and worse for
/// the calls with the most code. The count comes from the server's own <c>/metrics</c>
/// (<c>dotnet_jit_compiled_methods_total</c>).
/// </summary>
internal static class JitWarmUp
{
    /// <summary>A round in which the JIT compiled fewer methods than this is quiet.</summary>
    public const int QuietMethods = 100;

    /// <summary>Rounds when no server can say how busy its JIT is (its telemetry is off).</summary>
    private const int BlindRounds = 4;

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Runs <paramref name="round"/> (every call kind once, for a second or two each) until a whole
    /// round compiled fewer than <see cref="QuietMethods"/> methods on <paramref name="watched"/>,
    /// at least twice and for at most 2 minutes; returns a line for the report.
    /// </summary>
    public static async Task<string> RunAsync(ServerProcess watched, Func<CancellationToken, Task> round, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var before = await watched.JitCompiledMethodsAsync(ct);
        var rounds = 0;
        long? last = null;
        while (true)
        {
            await round(ct);
            rounds++;
            var now = await watched.JitCompiledMethodsAsync(ct);
            if (now is null || before is null)
            {
                if (rounds >= BlindRounds)
                {
                    return $"warm-up: {rounds} rounds in {clock.Elapsed.TotalSeconds:0} s (the server does not report its JIT)";
                }

                continue;
            }

            var added = now.Value - (last ?? before.Value);
            last = now;
            if ((rounds >= 2 && added < QuietMethods) || clock.Elapsed > Limit)
            {
                var state = added < QuietMethods ? "the JIT quiet" : "the JIT still busy: the figures include its work";
                return string.Create(CultureInfo.InvariantCulture,
                    $"warm-up: {rounds} rounds in {clock.Elapsed.TotalSeconds:0} s until {state} ({now:N0} methods compiled, {now - before:N0} of them during the warm-up, {added:N0} in the last round)");
            }
        }
    }
}
